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
 * One anomaly per (message, subscriber). With `deliveryBound`, a message accepted less than that many
 * ms before the history's last event is not counted: it may still have been on its way.
 */
export function checkPubSubLost(history: PubSubHistory, { deliveryBound }: { deliveryBound?: number } = {}): PubSubAnomaly[] {
  const anomalies: PubSubAnomaly[] = [];
  const end = history.events.length > 0 ? history.events[history.events.length - 1].t : 0;
  for (const message of history.messages.values()) {
    if (!isAccepted(message) || message.firstOkPos === undefined) continue;
    const { put, putPos } = message;
    const ok = message.oks[0];
    // Still in flight when the history stopped (a scenario cut short): not yet owed.
    if (deliveryBound !== undefined && end - ok.t < deliveryBound) continue;
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
