import type { HistoryEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion } from './jobs';
import { ms } from '../util/format-ms';
import { requestReplyRule } from './request-reply-ladder';

export interface StuckBounds {
  /** Longest a call may take from invoke to its first ok/fail/info (ms). */
  callBound: number;
  /** How soon after the last fault heals some job must succeed again (ms). */
  recoveryBound: number;
}

/** Calls that never returned or returned later than callBound. */
function checkCalls(events: readonly HistoryEvent[], callBound: number): Anomaly<'stuck'>[] {
  const completions = groupByJob(events, isCompletion);
  const anomalies: Anomaly<'stuck'>[] = [];
  for (const [job, invoke] of invokesByJob(events)) {
    const first = completions.get(job)?.[0];
    if (first === undefined) {
      anomalies.push({ name: 'stuck', job, detail: `job ${job} (client ${invoke.process}) never returned`, events: [invoke], boundMissed: true });
      continue;
    }
    const took = first.t - invoke.t;
    if (took > callBound) {
      anomalies.push({
        name: 'stuck',
        job,
        detail: `job ${job} (client ${invoke.process}) took ${ms(took)} to ${first.type}, bound ${ms(callBound)}`,
        events: [invoke, first],
        boundMissed: true,
      });
    }
  }
  return anomalies;
}

/** Fault starts with no end sharing their id. */
function checkUnhealed(faults: readonly NemesisEvent[]): Anomaly<'stuck'>[] {
  const healed = new Set(faults.filter((fault) => fault.phase === 'end').map((fault) => fault.id));
  return faults
    .filter((fault) => fault.phase === 'start' && !healed.has(fault.id))
    .map((fault) => ({
      name: 'stuck' as const,
      detail: `fault ${fault.fault} (${fault.id}) on [${fault.targets.join(', ')}] started at ${ms(fault.t)} and never healed`,
      events: [fault],
      boundMissed: true as const,
    }));
}

/**
 * Once the last fault has healed, a system with work to do must succeed at something within
 * recoveryBound; otherwise it has not recovered.
 */
function checkRecovery(events: readonly HistoryEvent[], faults: readonly NemesisEvent[], recoveryBound: number): Anomaly<'stuck'>[] {
  const ends = faults.filter((fault) => fault.phase === 'end');
  if (ends.length === 0) return [];
  const lastHeal = ends.reduce((latest, end) => (end.t > latest.t ? end : latest));
  const healedAt = lastHeal.t;

  const completions = groupByJob(events, isCompletion);
  const waiting = [...invokesByJob(events).values()].filter((invoke) => {
    const ends = completions.get(invoke.job) ?? [];
    // A job killed on request waits for nothing the system must serve: its kill answered it.
    if (ends.some((end) => end.type === 'fail' && end.killed === true)) return false;
    const first = ends[0];
    return invoke.t > healedAt || first === undefined || first.t > healedAt;
  });
  if (waiting.length === 0) return [];

  const deadline = healedAt + recoveryBound;
  const recovered = events.some((event) => event.type === 'ok' && event.t > healedAt && event.t <= deadline);
  if (recovered) return [];
  const nextOk = events.find((event) => event.type === 'ok' && event.t > healedAt);
  const after = nextOk === undefined ? 'no ok followed at all' : `next ok at ${ms(nextOk.t)}`;
  return [
    {
      name: 'stuck',
      detail: `no progress within ${ms(recoveryBound)} after the last fault healed at ${ms(healedAt)} (${waiting.length} job(s) waiting; ${after})`,
      boundMissed: true,
      events: nextOk === undefined ? [lastHeal] : [lastHeal, nextOk],
    },
  ];
}

/**
 * Liveness: calls that never returned or overran callBound, faults that never healed, and no ok
 * within recoveryBound of the last heal while work was waiting.
 */
export function checkStuck(events: readonly HistoryEvent[], { callBound, recoveryBound }: StuckBounds): Anomaly<'stuck'>[] {
  const faults = events.filter((event): event is NemesisEvent => event.type === 'nemesis');
  return [...checkCalls(events, callBound), ...checkUnhealed(faults), ...checkRecovery(events, faults, recoveryBound)];
}

export const STUCK = requestReplyRule({
  name: 'stuck',
  liveness: true,
  describe:
    '(a) an invoked job with no completion: *never returned*; (b) first completion later than `invoke.t + callBound`: *took X ms, bound Y*; (c) a nemesis `start` with no `end` of the same `id`: *fault never healed*; (d) with T = the latest nemesis `end`\'s `t`: if some job was invoked after T or had no completion by T (a job whose call failed `killed` does not count: its kill answered it), there must be an `ok` with `T < t <= T + recoveryBound`, else one anomaly *no progress within R ms after the last fault healed at T*. A run must therefore keep going at least `recoveryBound` after its last heal.',
  check: checkStuck,
});
