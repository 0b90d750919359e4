import type { PubSubAnomaly } from './anomaly';
import type { PubSubHistory } from './history';
import { pubSubRule } from './ladder';

/**
 * empty-history: a run with no put at all, or with puts but no delivery at all, tested nothing: every
 * other pub/sub check would be silent on it. At most one anomaly.
 */
export function checkPubSubNotEmpty(history: PubSubHistory): PubSubAnomaly<'empty-history'>[] {
  if (history.messages.size === 0) {
    return [{ name: 'empty-history', detail: 'the run put no message', events: [] }];
  }
  if (history.deliveries.length === 0) {
    return [{ name: 'empty-history', detail: `no message was delivered (${history.messages.size} put): the checker saw nothing to judge`, events: [] }];
  }
  return [];
}

export const PUBSUB_EMPTY_HISTORY = pubSubRule({
  name: 'empty-history',
  guard: true,
  describe:
    'No `put` at all (*the run put no message*), or puts but no `deliver` at all (*no message was delivered*). At most one.',
  check: checkPubSubNotEmpty,
});
