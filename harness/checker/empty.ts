import type { HistoryEvent, InvokeEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion } from './jobs';
import { requestReplyRule } from './request-reply-ladder';

/** Guards against a vacuous pass: every other checker is silent on a history with nothing in it. */
export function checkNotEmpty(events: readonly HistoryEvent[]): Anomaly<'empty-history'>[] {
  if (!events.some((event) => event.type === 'invoke')) return [{ name: 'empty-history', detail: 'the run saw no operations', events: [] }];
  return [];
}

/** How one call ended, as the detail counts it: `failed definitely (<error>)`, `ended indefinitely (<error>)`, `never returned`. */
function outcomeOf(completions: readonly HistoryEvent[]): string {
  const first = completions[0];
  if (first === undefined) return 'never returned';
  if (first.type === 'fail') return `failed definitely (${first.error})`;
  if (first.type === 'info') return `ended indefinitely (${first.error})`;
  return first.type;
}

/**
 * `3 calls to nobody-home failed definitely (no worker for it), 1 call to echo never returned`: the
 * calls grouped by service and by how each ended, largest group first, so the reader sees which
 * outcome was wrong rather than that nothing succeeded.
 */
function outcomeSummary(invokes: readonly InvokeEvent[], completions: ReadonlyMap<string, readonly HistoryEvent[]>): string {
  const groups = new Map<string, number>();
  for (const invoke of invokes) {
    const key = JSON.stringify([invoke.service, outcomeOf(completions.get(invoke.job) ?? [])]);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => {
      const [service, outcome] = JSON.parse(key) as [string, string];
      return `${count} call${count === 1 ? '' : 's'} to ${service} ${outcome}`;
    })
    .join(', ');
}

/** Calls were made, but not one got a reply: says how each ended, so the wrong outcome is named. */
export function checkSomeSuccess(events: readonly HistoryEvent[]): Anomaly<'no-success'>[] {
  const invokes = [...invokesByJob(events).values()];
  if (invokes.length === 0 || events.some((event) => event.type === 'ok')) return [];
  const completions = groupByJob(events, isCompletion);
  const firstEnds = invokes.flatMap((invoke) => (completions.get(invoke.job) ?? []).slice(0, 1));
  return [{ name: 'no-success', detail: `no operation succeeded: ${outcomeSummary(invokes, completions)}`, events: [...invokes, ...firstEnds].slice(0, 12) }];
}

export const EMPTY_HISTORY = requestReplyRule({
  name: 'empty-history',
  guard: true,
  describe: 'No `invoke` at all (*the run saw no operations*): the run recorded nothing to judge. Guards against vacuous passes.',
  check: checkNotEmpty,
});

export const NO_SUCCESS = requestReplyRule({
  name: 'no-success',
  guard: true,
  describe:
    'Invokes, but no `ok` anywhere: *no operation succeeded*, then the calls counted by service and by how each ended (its first completion): *failed definitely (error)*, *ended indefinitely (error)*, *never returned*. Guards against vacuous passes; the counts say which outcome was wrong (a client that never asks 8/MMI times out where it should fail definitely).',
  check: checkSomeSuccess,
});
