import { ms } from '../jobs';
import type { PubSubAnomaly } from './anomaly';
import { isAccepted, type PubSubHistory } from './history';
import { obligingSubscription } from './subscriptions';

/**
 * lost: a message with a put-ok, owed to a subscriber, that the subscriber never received by the
 * end of the history. A message is owed to a subscriber of its topic when the subscriber's latest
 * `subscribed` before the message's (first) put exists and that subscription never ended (an
 * unsubscribe releases what is still pending for the subscriber, so it is owed nothing then). Any delivery of the message id to
 * the subscriber counts as received (a delivery with a wrong topic or publisher is `unexpected`,
 * not also lost). Messages with only put-info or put-fail, or no outcome at all, are owed to nobody.
 * One anomaly per (message, subscriber).
 */
export function checkPubSubLost(history: PubSubHistory): PubSubAnomaly[] {
  const anomalies: PubSubAnomaly[] = [];
  for (const message of history.messages.values()) {
    if (!isAccepted(message) || message.firstOkPos === undefined) continue;
    const { put, putPos } = message;
    const ok = message.oks[0];
    for (const log of history.subscriptions.onTopic(put.topic)) {
      const subscribed = obligingSubscription(log, putPos);
      if (subscribed === undefined) continue;
      if (history.deliveriesBySubscriber.get(log.subscriber)?.has(message.msg) === true) continue;
      anomalies.push({
        name: 'lost',
        job: message.msg,
        subscriber: log.subscriber,
        topic: put.topic,
        detail:
          `message ${message.msg} (topic ${put.topic}, from ${put.process}) accepted at ${ms(ok.t)} never delivered to ` +
          `${log.subscriber}, subscribed since ${ms(subscribed.t)}`,
        events: [subscribed, put, ok],
      });
    }
  }
  return anomalies;
}
