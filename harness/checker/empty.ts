import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';

/** Guards against a vacuous pass: every other checker is silent on a history with nothing in it. */
export function checkNotEmpty(events: readonly HistoryEvent[]): Anomaly[] {
  if (!events.some((event) => event.type === 'invoke')) {
    return [{ name: 'empty-history', detail: 'the run saw no operations', events: [] }];
  }
  if (!events.some((event) => event.type === 'ok')) {
    return [{ name: 'empty-history', detail: 'no operation succeeded: the checker saw nothing to judge', events: [] }];
  }
  return [];
}
