import type { PubSubEvent } from '../../history/event';
import type { PubSubAnomaly } from './anomaly';
import { isDefinitelyFailed, type Delivery, type PubSubHistory } from './history';
import { askedBefore, forbiddingDeparture } from './subscriptions';
import { pubSubRule } from './ladder';
import { ms } from '../../util/format-ms';

export interface DeliveryProblem {
  reasons: string[];
  /** The events besides the delivery that show the problem (the put, its put-fails). */
  evidence: PubSubEvent[];
}

/**
 * Why a delivery is one nobody sent, or undefined when it is plausible. A delivery is unexpected when
 * its message id was never put (or only put after the delivery), when every put attempt of it ended
 * in put-fail, when its topic or publisher differs from the message's first put, or when the
 * subscriber had not asked to subscribe to the delivery's topic (no subscribe or subscribed before
 * the delivery), or when the message was accepted while the subscriber was unsubscribed: first put
 * after its acknowledged unsubscribe from the topic, and put-ok (or this delivery) before it asked
 * to subscribe again.
 */
export function deliveryProblem(history: PubSubHistory, delivery: Delivery): DeliveryProblem | undefined {
  const { event, pos } = delivery;
  const reasons: string[] = [];
  const evidence: PubSubEvent[] = [];
  const message = history.messages.get(event.msg);
  if (message === undefined) {
    reasons.push(`message ${event.msg} was never put`);
  } else {
    evidence.push(message.put);
    if (message.putPos > pos) reasons.push(`message ${event.msg} was delivered before it was put`);
    if (isDefinitelyFailed(message)) {
      reasons.push(`every put of message ${event.msg} ended in put-fail (${message.fails[0].error})`);
      evidence.push(...message.fails);
    }
    if (event.topic !== message.put.topic) reasons.push(`delivered on topic ${event.topic} but put on topic ${message.put.topic}`);
    if (event.publisher !== message.put.process) reasons.push(`delivered as from ${event.publisher} but put by ${message.put.process}`);
  }
  const log = history.subscriptions.get(event.subscriber, event.topic);
  if (!askedBefore(log, pos)) {
    reasons.push(`${event.subscriber} never asked to subscribe to topic ${event.topic}`);
  } else if (message !== undefined && message.putPos < pos) {
    // Accepted at the latest by its first put-ok or by this delivery, whichever came first.
    const acceptedAt = message.firstOkPos !== undefined && message.firstOkPos < pos ? message.firstOkPos : pos;
    const okFirst = acceptedAt !== pos;
    const departure = forbiddingDeparture(log, message.putPos, acceptedAt);
    if (departure !== undefined) {
      const acceptedBy = okFirst ? `put-ok at ${ms(message.oks[0].t)}` : `delivered at ${ms(event.t)}`;
      reasons.push(
        `message ${event.msg} was accepted while ${event.subscriber} was unsubscribed from topic ${event.topic}: first put at ${ms(message.put.t)}, after the unsubscribe was acknowledged (at ${ms(departure.t)}), and ${acceptedBy}, before ${event.subscriber} asked to subscribe again`,
      );
      evidence.push(departure);
      if (okFirst) evidence.push(message.oks[0]);
    }
  }
  return reasons.length === 0 ? undefined : { reasons, evidence };
}

/**
 * unexpected: one anomaly per delivery that deliveryProblem rejects, and one per put-ok, put-fail
 * or put-info whose message id no put names (an answer to a put nobody made).
 */
export function checkPubSubUnexpected(history: PubSubHistory): PubSubAnomaly<'unexpected'>[] {
  const anomalies: PubSubAnomaly<'unexpected'>[] = [];
  for (const delivery of history.deliveries) {
    const problem = deliveryProblem(history, delivery);
    if (problem === undefined) continue;
    const { event } = delivery;
    anomalies.push({
      name: 'unexpected',
      job: event.msg,
      subscriber: event.subscriber,
      topic: event.topic,
      detail: `delivery of message ${event.msg} to ${event.subscriber}: ${problem.reasons.join('; ')}`,
      events: [event, ...problem.evidence],
    });
  }
  for (const outcome of history.orphanOutcomes) {
    anomalies.push({
      name: 'unexpected',
      job: outcome.msg,
      topic: outcome.topic,
      detail: `${outcome.type} for message ${outcome.msg} (from ${outcome.process}), which was never put`,
      events: [outcome],
    });
  }
  return anomalies;
}

export const PUBSUB_UNEXPECTED = pubSubRule({
  name: 'unexpected',
  describe:
    'One per `deliver` that: names a message never put; or was recorded before the message\'s first `put`; or whose message definitely failed; or has a topic or a `publisher` other than the first `put`\'s; or goes to a subscriber with no `subscribe`/`subscribed` on the delivery\'s topic before it; or is of a message accepted while the subscriber was unsubscribed: first `put` after the subscriber\'s `unsubscribed` on that topic, and its first `put-ok` (or, without an earlier one, the delivery itself) before the subscriber\'s next `subscribe`/`subscribed` on the topic (events: the delivery, the `put`, the `unsubscribed`, the `put-ok`). Also one per `put-ok`/`put-fail`/`put-info` whose `msg` no `put` names. Otherwise a delivery of a message put while S was not subscribed, to an S that did ask at some point, is allowed: a message put while S\'s unsubscribe was in flight (after `unsubscribe`, before `unsubscribed`) may have been accepted during the subscription, one acknowledged (`put-ok`) after a new `subscribe` may have been accepted after it, and a system may replay retained messages to a first subscription.',
  check: checkPubSubUnexpected,
});
