import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { requestReplyRule } from './request-reply-ladder';

/** Guards against a vacuous pass: every other checker is silent on a history with nothing in it. */
export function checkNotEmpty(events: readonly HistoryEvent[]): Anomaly<'empty-history'>[] {
  if (!events.some((event) => event.type === 'invoke')) {
    return [{ name: 'empty-history', detail: 'the run saw no operations', events: [] }];
  }
  if (!events.some((event) => event.type === 'ok')) {
    return [{ name: 'empty-history', detail: 'no operation succeeded: the checker saw nothing to judge', events: [] }];
  }
  return [];
}

export const EMPTY_HISTORY = requestReplyRule({
  name: 'empty-history',
  guard: true,
  describe:
    'No `invoke` at all (*the run saw no operations*), or invokes but no `ok` anywhere (*no operation succeeded*). Guards against vacuous passes.',
  check: checkNotEmpty,
});
