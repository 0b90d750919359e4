import type { PubSubEvent } from '../../history/event';
import type { PubSubAnomaly } from './anomaly';
import { isDefinitelyFailed, type Delivery, type PubSubHistory } from './history';
import { askedBefore, forbiddingDeparture } from './subscriptions';
import { pubSubRule } from './ladder';

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
 * the delivery), or when the message was first put after the subscriber's acknowledged unsubscribe
 * from the topic and the subscriber did not ask to subscribe again before the delivery.
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
    const departure = forbiddingDeparture(log, message.putPos, pos);
    if (departure !== undefined) {
      reasons.push(
        `message ${event.msg} was first put at t=${message.put.t}, after ${event.subscriber}'s unsubscribe from topic ${event.topic} was acknowledged (t=${departure.t}), and ${event.subscriber} did not subscribe again before the delivery`,
      );
      evidence.push(departure);
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
    'One per `deliver` that: names a message never put; or was recorded before the message\'s first `put`; or whose message definitely failed; or has a topic or a `publisher` other than the first `put`\'s; or goes to a subscriber with no `subscribe`/`subscribed` on the delivery\'s topic before it; or is of a message first `put` after the subscriber\'s `unsubscribed` on that topic, with no `subscribe`/`subscribed` of it on the topic between that `unsubscribed` and the delivery (events: the delivery, the `put`, the `unsubscribed`). Also one per `put-ok`/`put-fail`/`put-info` whose `msg` no `put` names. Otherwise a delivery of a message put while S was not subscribed, to an S that did ask at some point, is allowed: a message put while S\'s unsubscribe was in flight (after `unsubscribe`, before `unsubscribed`) may have been accepted during the subscription, one put before a new `subscribe` may have been accepted after it, and a system may replay retained messages to a new subscription.',
  check: checkPubSubUnexpected,
});
