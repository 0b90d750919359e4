import type { HistoryEvent } from '../history/event';
import { derivedOnce } from './frozen-history';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion } from './jobs';
import { requestReplyRule } from './request-reply-ladder';

/**
 * What the guards read of the calls, additive over any split of the jobs (mergeCallOutcomes), so a
 * large history checked part by part (request-reply-in-parts.ts) is guarded as a whole: how many jobs were
 * invoked, whether any ok came, and (only while none did) the calls by service and outcome with the
 * first few invokes and first completions as examples.
 */
export interface CallOutcomes {
  invoked: number;
  anyOk: boolean;
  /** JSON [service, outcome] to count; empty once an ok is seen (no-success is then silent). */
  groups: Map<string, number>;
  invokes: HistoryEvent[];
  firstEnds: HistoryEvent[];
}

const EXAMPLES = 12;

/** The calls' outcomes over the history (once per frozen history; a part of a large one is seeded with the whole's). */
export function callOutcomes(events: readonly HistoryEvent[]): CallOutcomes {
  return derivedOnce(events, callOutcomes, collectCallOutcomes);
}

function collectCallOutcomes(events: readonly HistoryEvent[]): CallOutcomes {
  const invokes = [...invokesByJob(events).values()];
  const anyOk = events.some((event) => event.type === 'ok');
  const outcomes: CallOutcomes = { invoked: invokes.length, anyOk, groups: new Map(), invokes: invokes.slice(0, EXAMPLES), firstEnds: [] };
  if (anyOk || invokes.length === 0) return outcomes;
  const completions = groupByJob(events, isCompletion);
  for (const invoke of invokes) {
    const key = JSON.stringify([invoke.service, outcomeOf(completions.get(invoke.job) ?? [])]);
    outcomes.groups.set(key, (outcomes.groups.get(key) ?? 0) + 1);
  }
  outcomes.firstEnds = invokes.flatMap((invoke) => (completions.get(invoke.job) ?? []).slice(0, 1)).slice(0, EXAMPLES);
  return outcomes;
}

/** The outcomes over two disjoint sets of jobs; examples keep the earliest. */
export function mergeCallOutcomes(a: CallOutcomes, b: CallOutcomes): CallOutcomes {
  const earliest = (x: readonly HistoryEvent[], y: readonly HistoryEvent[]): HistoryEvent[] => [...x, ...y].sort((p, q) => p.t - q.t).slice(0, EXAMPLES);
  const anyOk = a.anyOk || b.anyOk;
  const groups = new Map<string, number>();
  if (!anyOk) for (const [key, count] of [...a.groups, ...b.groups]) groups.set(key, (groups.get(key) ?? 0) + count);
  return { invoked: a.invoked + b.invoked, anyOk, groups, invokes: earliest(a.invokes, b.invokes), firstEnds: earliest(a.firstEnds, b.firstEnds) };
}

/** Guards against a vacuous pass: every other checker is silent on a history with nothing in it. */
export function checkNotEmpty(events: readonly HistoryEvent[]): Anomaly<'empty-history'>[] {
  if (callOutcomes(events).invoked === 0) return [{ name: 'empty-history', detail: 'the run saw no operations', events: [] }];
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
function outcomeSummary(groups: ReadonlyMap<string, number>): string {
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
  const outcomes = callOutcomes(events);
  if (outcomes.invoked === 0 || outcomes.anyOk) return [];
  return [{ name: 'no-success', detail: `no operation succeeded: ${outcomeSummary(outcomes.groups)}`, events: [...outcomes.invokes, ...outcomes.firstEnds].slice(0, EXAMPLES) }];
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
