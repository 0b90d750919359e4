import type { SubscriptionEvent } from '../../history/event';

/**
 * The subscription events of one subscriber on one topic, as positions in check order. `subscribe`
 * and `subscribed` both show the subscriber asked (a recorded acknowledgement implies the request);
 * `unsubscribe` and `unsubscribed` both show it asked to leave.
 */
export interface SubscriptionLog {
  subscriber: string;
  topic: string;
  /** Positions of subscribe and subscribed events (sorted). */
  asked: number[];
  /** Positions of subscribed events (sorted) and the events themselves. */
  acknowledged: number[];
  acknowledgements: SubscriptionEvent[];
  /** Positions of unsubscribe and unsubscribed events (sorted). */
  leaving: number[];
  /** Positions of unsubscribed events (sorted) and the events themselves: the acknowledged departures. */
  departed: number[];
  departures: SubscriptionEvent[];
}

/** Subscription logs per topic, then per subscriber. */
export class SubscriptionLogs {
  private readonly byTopic = new Map<string, Map<string, SubscriptionLog>>();

  /** Events must be added in check order (increasing position). */
  add(event: SubscriptionEvent, pos: number): void {
    const log = this.log(event.subscriber, event.topic, true);
    switch (event.type) {
      case 'subscribed':
        log.acknowledged.push(pos);
        log.acknowledgements.push(event);
        log.asked.push(pos);
        break;
      case 'subscribe':
        log.asked.push(pos);
        break;
      case 'unsubscribed':
        log.departed.push(pos);
        log.departures.push(event);
        log.leaving.push(pos);
        break;
      case 'unsubscribe':
        log.leaving.push(pos);
        break;
    }
  }

  /** The logs of every subscriber with any subscription event on `topic`. */
  onTopic(topic: string): Iterable<SubscriptionLog> {
    return this.byTopic.get(topic)?.values() ?? [];
  }

  get(subscriber: string, topic: string): SubscriptionLog | undefined {
    return this.log(subscriber, topic, false);
  }

  private log(subscriber: string, topic: string, create: true): SubscriptionLog;
  private log(subscriber: string, topic: string, create: false): SubscriptionLog | undefined;
  private log(subscriber: string, topic: string, create: boolean): SubscriptionLog | undefined {
    let bySubscriber = this.byTopic.get(topic);
    if (bySubscriber === undefined) {
      if (!create) return undefined;
      bySubscriber = new Map();
      this.byTopic.set(topic, bySubscriber);
    }
    let log = bySubscriber.get(subscriber);
    if (log === undefined && create) {
      log = { subscriber, topic, asked: [], acknowledged: [], acknowledgements: [], leaving: [], departed: [], departures: [] };
      bySubscriber.set(subscriber, log);
    }
    return log;
  }
}

/** Index of the last element of sorted `positions` below `pos`, or -1. */
export function lastBefore(positions: readonly number[], pos: number): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (positions[mid] < pos) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/** Whether sorted `positions` holds a value strictly between `after` and `before`. */
export function anyBetween(positions: readonly number[], after: number, before: number): boolean {
  const next = lastBefore(positions, after + 1) + 1; // first position > after
  return next < positions.length && positions[next] < before;
}

/**
 * The acknowledgement that obliges the subscriber to receive a message first put at `putPos`: the
 * latest `subscribed` before the put, provided that subscription never ended (no unsubscribe, asked
 * or acknowledged, after it). Undefined when the message is not owed to this subscriber: it had no
 * acknowledged subscription before the put, or it left the topic later. Unsubscribing releases the
 * messages still pending for the subscriber (KHP/1 proxy rule 5, as issue #7 asks), so a message
 * accepted during a subscription that later ended may or may not have been delivered.
 */
export function obligingSubscription(log: SubscriptionLog, putPos: number): SubscriptionEvent | undefined {
  const index = lastBefore(log.acknowledged, putPos);
  if (index < 0) return undefined;
  if (anyBetween(log.leaving, log.acknowledged[index], Number.POSITIVE_INFINITY)) return undefined;
  return log.acknowledgements[index];
}

/** Whether the subscriber had asked (subscribe or subscribed) to subscribe to the topic before `pos`. */
export function askedBefore(log: SubscriptionLog | undefined, pos: number): boolean {
  return log !== undefined && log.asked.length > 0 && log.asked[0] < pos;
}

/**
 * The acknowledged unsubscribe during which a message was accepted, so the subscriber must never
 * get it (KHP/1 proxy rules 3 and 5: a message is owed to the subscribers subscribed when it is
 * accepted, and to no one else). The message was first put at `putPos`, after the latest
 * `unsubscribed` before it, and was accepted by `acceptedBy` (its first put-ok or a delivery,
 * whichever came first); if the subscriber did not ask to subscribe again (subscribe or subscribed)
 * between that `unsubscribed` and `acceptedBy`, the proxy had removed the subscription and not yet
 * heard of a new one when it accepted the message. Undefined when a delivery may be allowed: a
 * message put while the unsubscribe was in flight (before `unsubscribed`) may have been accepted
 * during the subscription, and one accepted after a new subscribe may be owed to it.
 */
export function forbiddingDeparture(log: SubscriptionLog | undefined, putPos: number, acceptedBy: number): SubscriptionEvent | undefined {
  if (log === undefined) return undefined;
  const index = lastBefore(log.departed, putPos);
  if (index < 0) return undefined;
  if (anyBetween(log.asked, log.departed[index], acceptedBy)) return undefined;
  return log.departures[index];
}
