import type { HistoryEvent } from '../../history/event';
import { runIndexedChecks } from '../registry';
import type { PubSubAnomaly, PubSubAnomalyName } from './anomaly';
import { isAccepted, isDefinitelyFailed } from './history';
import type { PubSubCheckOptions } from './options';
import { PUBSUB } from './system';

/**
 * The pub/sub checker (issue #7): pure functions over a recorded history, judging the `put`,
 * `put-ok`/`put-fail`/`put-info`, `subscribe`/`subscribed`/`unsubscribe`/`unsubscribed` and `deliver`
 * events (every other event is ignored). The checks are the entries of the pub/sub registry
 * (system.ts); the exact rules are in docs/checkers.md, section "Pub/sub", and on each check:
 *
 * - lost (lost.ts): an accepted message owed to a subscriber (acknowledged subscription before the
 *   put, no unsubscribe before the put-ok) that it never received.
 * - undelivered-at-bound (lost.ts): owed messages of a subscriber still catching up when the run's
 *   bound ran out: late, not lost (undecided).
 * - duplicate-delivery (duplicate-delivery.ts): one message id delivered twice to one subscriber.
 * - reordered (reordered.ts): per subscriber, topic and publisher, deliveries out of put-ok order.
 * - unexpected (unexpected.ts): a delivery nobody sent (never put, all puts failed, wrong topic or
 *   publisher, subscriber never asked for the topic), or a put outcome for a message never put.
 * - empty-history, no-delivery (empty.ts): no put, or no delivery: a vacuous run.
 *
 * Messages put while a subscription is being set up (subscribe asked, not yet acknowledged) or torn
 * down (unsubscribe asked) may or may not be delivered: neither lost nor unexpected. A repeated put of
 * the same message id is a retry of one message: its first put defines topic and publisher, any
 * put-ok accepts it, and it must still reach each subscriber exactly once.
 */

export interface PubSubStats {
  /** Distinct message ids put. */
  messages: number;
  /** Messages with a put-ok. */
  accepted: number;
  /** Messages every put of which ended in put-fail. */
  failed: number;
  /** Messages with put-info and no put-ok. */
  indefinite: number;
  deliveries: number;
  /** Subscribers with any subscription event or delivery. */
  subscribers: number;
}

export interface PubSubCheckResult {
  anomalies: PubSubAnomaly[];
  counts: Record<PubSubAnomalyName, number>;
  stats: PubSubStats;
}

export function checkPubSub(events: readonly HistoryEvent[], options: PubSubCheckOptions = {}): PubSubCheckResult {
  const history = PUBSUB.index(events);
  const { anomalies, counts } = runIndexedChecks(PUBSUB, history, options);
  const messages = [...history.messages.values()];
  const subscribers = new Set<string>();
  for (const event of history.events) if ('subscriber' in event) subscribers.add(event.subscriber);
  const stats: PubSubStats = {
    messages: messages.length,
    accepted: messages.filter(isAccepted).length,
    failed: messages.filter(isDefinitelyFailed).length,
    indefinite: messages.filter((message) => !isAccepted(message) && message.infos.length > 0).length,
    deliveries: history.deliveries.length,
    subscribers: subscribers.size,
  };
  return { anomalies, counts, stats };
}

export { PUBSUB_ANOMALY_NAMES, type PubSubAnomaly, type PubSubAnomalyName } from './anomaly';
export type { PubSubCheckOptions } from './options';
export { PUBSUB, type PubSubCheck, type PubSubProfile } from './system';
export { checkDuplicateDelivery } from './duplicate-delivery';
export { checkPubSubNotEmpty } from './empty';
export { formatPubSubResult } from './format';
export { indexPubSub, isAccepted, isDefinitelyFailed, type Delivery, type Message, type PubSubHistory } from './history';
export { checkPubSubLost, type CatchingUp, type LostOptions } from './lost';
export { checkReordered } from './reordered';
export { SubscriptionLogs, obligingSubscription, type SubscriptionLog } from './subscriptions';
export { checkPubSubUnexpected, deliveryProblem, type DeliveryProblem } from './unexpected';
