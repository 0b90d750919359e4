import type { HistoryEvent, NemesisEvent, OkEvent } from '../history/event';
import { derivedOnce } from './frozen-history';
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

/** When the last fault healed: the latest nemesis end, or undefined when none ended. */
function lastHealOf(faults: readonly NemesisEvent[]): NemesisEvent | undefined {
  const ends = faults.filter((fault) => fault.phase === 'end');
  return ends.length === 0 ? undefined : ends.reduce((latest, end) => (end.t > latest.t ? end : latest));
}

/**
 * What recovery is judged on, after the last heal: how many jobs were waiting (invoked after it, or
 * with no completion by it; a job killed on request waits for nothing), and the earliest ok after it.
 * Additive over any split of the jobs (mergeRecoveryProgress), so a large history checked part by part
 * (request-reply-in-parts.ts) judges it over the whole.
 */
export interface RecoveryProgress {
  waiting: number;
  nextOk: OkEvent | undefined;
}

/** The progress after the last heal over the history (once per frozen history; a part of a large one is seeded with the whole's). */
export function recoveryProgress(events: readonly HistoryEvent[]): RecoveryProgress {
  return derivedOnce(events, recoveryProgress, collectRecoveryProgress);
}

function collectRecoveryProgress(events: readonly HistoryEvent[]): RecoveryProgress {
  const healedAt = lastHealOf(events.filter((event): event is NemesisEvent => event.type === 'nemesis'))?.t;
  if (healedAt === undefined) return { waiting: 0, nextOk: undefined };
  const completions = groupByJob(events, isCompletion);
  let waiting = 0;
  for (const invoke of invokesByJob(events).values()) {
    const ends = completions.get(invoke.job) ?? [];
    // A job killed on request waits for nothing the system must serve: its kill answered it.
    if (ends.some((end) => end.type === 'fail' && end.killed === true)) continue;
    const first = ends[0];
    if (invoke.t > healedAt || first === undefined || first.t > healedAt) waiting++;
  }
  let nextOk: OkEvent | undefined;
  for (const event of events) if (event.type === 'ok' && event.t > healedAt && (nextOk === undefined || event.t < nextOk.t)) nextOk = event;
  return { waiting, nextOk };
}

/** The progress over two disjoint sets of jobs sharing the same faults. */
export function mergeRecoveryProgress(a: RecoveryProgress, b: RecoveryProgress): RecoveryProgress {
  const nextOk = a.nextOk === undefined || (b.nextOk !== undefined && b.nextOk.t < a.nextOk.t) ? b.nextOk : a.nextOk;
  return { waiting: a.waiting + b.waiting, nextOk };
}

/**
 * Once the last fault has healed, a system with work to do must succeed at something within
 * recoveryBound; otherwise it has not recovered.
 */
function checkRecovery(events: readonly HistoryEvent[], faults: readonly NemesisEvent[], recoveryBound: number): Anomaly<'stuck'>[] {
  const lastHeal = lastHealOf(faults);
  if (lastHeal === undefined) return [];
  const healedAt = lastHeal.t;
  const { waiting, nextOk } = recoveryProgress(events);
  if (waiting === 0) return [];

  const deadline = healedAt + recoveryBound;
  // The earliest ok after the heal is within the bound exactly when any is.
  if (nextOk !== undefined && nextOk.t <= deadline) return [];
  const after = nextOk === undefined ? 'no ok followed at all' : `next ok at ${ms(nextOk.t)}`;
  return [
    {
      name: 'stuck',
      detail: `no progress within ${ms(recoveryBound)} after the last fault healed at ${ms(healedAt)} (${waiting} job(s) waiting; ${after})`,
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
