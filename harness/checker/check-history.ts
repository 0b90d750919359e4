import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { isExcused, runChecks } from './registry';
import { REQUEST_REPLY, type RequestReplyAnomalyName, type RequestReplyCheckOptions } from './request-reply';

export type CheckOptions = RequestReplyCheckOptions;
export type { RequestReplyAnomalyName };

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
  anomalies: Anomaly<RequestReplyAnomalyName>[];
  /** Per anomaly name; duplicate-execution counts only unexplained re-runs. */
  counts: Record<RequestReplyAnomalyName, number>;
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

/** Whether an anomaly counts against the system (explained re-runs do not: see `explained` on an entry). */
export function isUnexplained(anomaly: Anomaly): boolean {
  return !isExcused(REQUEST_REPLY, anomaly);
}

/** Runs every request-reply check of the registry (request-reply.ts) over the history. */
export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions): CheckResult {
  const { anomalies, counts, explained } = runChecks(REQUEST_REPLY, events, options);
  return { anomalies, counts, explainedReruns: explained, stats: statsOf(events) };
}
