import type { PutEvent } from '../../history/event';
import type { PubSubAnomaly } from './anomaly';
import { isAccepted, isDefinitelyFailed, type Message, type PubSubHistory } from './history';
import { pubSubRule } from './ladder';

/** empty-history: a run with no put at all recorded nothing to judge; every other pub/sub check would be silent on it. */
export function checkPubSubNotEmpty(history: PubSubHistory): PubSubAnomaly<'empty-history'>[] {
  if (history.messages.size === 0) return [{ name: 'empty-history', detail: 'the run put no message', events: [] }];
  return [];
}

/** How a message's puts ended, as no-delivery counts them. */
export function putOutcome(message: Message): string {
  if (isAccepted(message)) return 'accepted (put-ok)';
  if (isDefinitelyFailed(message)) return `refused (${message.fails[0].error})`;
  if (message.infos.length > 0) return `indefinite (${message.infos[0].error})`;
  return 'unanswered';
}

/**
 * no-delivery: messages were put but none reached a subscriber. The detail counts the puts by how
 * they ended, so the reader sees whether nothing was accepted or accepted messages went nowhere.
 */
export function checkSomeDelivery(history: PubSubHistory): PubSubAnomaly<'no-delivery'>[] {
  if (history.messages.size === 0 || history.deliveries.length > 0) return [];
  const counts = new Map<string, number>();
  for (const message of history.messages.values()) counts.set(putOutcome(message), (counts.get(putOutcome(message)) ?? 0) + 1);
  const puts = [...history.messages.values()].slice(0, NO_DELIVERY_EXAMPLES).map((message) => message.put);
  return [noDeliveryFinding(counts, puts)];
}

/** How many puts no-delivery shows: the first messages put. */
export const NO_DELIVERY_EXAMPLES = 12;

/** The no-delivery finding: `counts` per put outcome, in the order each outcome was first seen (ties keep it). */
export function noDeliveryFinding(counts: ReadonlyMap<string, number>, puts: PutEvent[]): PubSubAnomaly<'no-delivery'> {
  const outcomes = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${count} message${count === 1 ? '' : 's'} ${outcome}`)
    .join(', ');
  return { name: 'no-delivery', detail: `no message was delivered: ${outcomes}`, events: puts };
}

export const PUBSUB_EMPTY_HISTORY = pubSubRule({
  name: 'empty-history',
  guard: true,
  describe: 'No `put` at all (*the run put no message*): the run recorded nothing to judge. At most one.',
  check: checkPubSubNotEmpty,
});

export const PUBSUB_NO_DELIVERY = pubSubRule({
  name: 'no-delivery',
  guard: true,
  describe:
    'Puts, but no `deliver` at all: *no message was delivered*, then the messages counted by how their puts ended: *accepted (put-ok)*, *refused (error)*, *indefinite (error)*, *unanswered*. At most one.',
  check: checkSomeDelivery,
});
