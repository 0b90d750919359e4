import type { HistoryEvent } from '../history/event';
import { ANOMALY_NAMES, type Anomaly, type AnomalyName } from './anomaly';
import { checkDuplicateExecution } from './duplicate-execution';
import { checkDuplicateReply } from './duplicate-reply';
import { checkNotEmpty } from './empty';
import { checkFaultsHit } from './ineffective-fault';
import { checkLost } from './lost';
import { checkStaleReply } from './stale-reply';
import { checkStuck, type StuckBounds } from './stuck';
import { checkUnexpected } from './unexpected';

export type CheckOptions = StuckBounds;

export interface HistoryStats {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
  /** exec-end events: committed runs, re-runs included. */
  executions: number;
  /** nemesis start events. */
  faults: number;
}

export interface CheckResult {
  /** Every anomaly found, explained duplicate executions included (they carry explainedBy). */
  anomalies: Anomaly[];
  /** Per anomaly name; duplicate-execution counts only unexplained re-runs. */
  counts: Record<AnomalyName, number>;
  /** Duplicate executions a fault explains; not in counts. */
  explainedReruns: number;
  stats: HistoryStats;
}

function statsOf(events: readonly HistoryEvent[]): HistoryStats {
  const count = (accept: (event: HistoryEvent) => boolean): number => events.filter(accept).length;
  return {
    invoked: count((event) => event.type === 'invoke'),
    ok: count((event) => event.type === 'ok'),
    fail: count((event) => event.type === 'fail'),
    info: count((event) => event.type === 'info'),
    executions: count((event) => event.type === 'exec-end'),
    faults: count((event) => event.type === 'nemesis' && event.phase === 'start'),
  };
}

/** Whether an anomaly counts against the system (explained re-runs do not). */
export function isUnexplained(anomaly: Anomaly): boolean {
  return anomaly.name !== 'duplicate-execution' || anomaly.explainedBy === undefined;
}

export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions): CheckResult {
  const anomalies = [
    ...checkNotEmpty(events),
    ...checkFaultsHit(events),
    ...checkLost(events),
    ...checkDuplicateReply(events),
    ...checkDuplicateExecution(events),
    ...checkStaleReply(events),
    ...checkUnexpected(events),
    ...checkStuck(events, options),
  ];
  const counts = Object.fromEntries(ANOMALY_NAMES.map((name) => [name, 0])) as Record<AnomalyName, number>;
  let explainedReruns = 0;
  for (const anomaly of anomalies) {
    if (isUnexplained(anomaly)) counts[anomaly.name]++;
    else explainedReruns++;
  }
  return { anomalies, counts, explainedReruns, stats: statsOf(events) };
}
