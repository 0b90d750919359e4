import type { PubSubAnomaly } from './anomaly';
import type { PubSubHistory } from './history';

/**
 * empty-history: a run with no put at all, or with puts but no delivery at all, tested nothing: every
 * other pub/sub check would be silent on it. At most one anomaly.
 */
export function checkPubSubNotEmpty(history: PubSubHistory): PubSubAnomaly[] {
  if (history.messages.size === 0) {
    return [{ name: 'empty-history', detail: 'the run put no message', events: [] }];
  }
  if (history.deliveries.length === 0) {
    return [{ name: 'empty-history', detail: `no message was delivered (${history.messages.size} put): the checker saw nothing to judge`, events: [] }];
  }
  return [];
}
