import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { isExcused, runIndexedChecks } from './registry';
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
  /** orphan events: messages a node dropped because nothing waited for them any more (never an anomaly). */
  orphans: number;
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

export function emptyStats(): HistoryStats {
  return { invoked: 0, ok: 0, fail: 0, info: 0, executions: 0, faults: 0, orphans: 0 };
}

/** Counts one event into `stats`: over a history in memory, or streamed (request-reply-in-parts.ts). */
export function countEvent(stats: HistoryStats, event: HistoryEvent): void {
  if (event.type === 'invoke') stats.invoked++;
  else if (event.type === 'ok' || event.type === 'fail' || event.type === 'info') stats[event.type]++;
  else if (event.type === 'exec-end') stats.executions++;
  else if (event.type === 'nemesis' && event.phase === 'start') stats.faults++;
  else if (event.type === 'orphan') stats.orphans++;
}

function statsOf(events: readonly HistoryEvent[]): HistoryStats {
  const stats = emptyStats();
  // One pass: a long history is counted once, not once per figure.
  for (const event of events) countEvent(stats, event);
  return stats;
}

/** Whether an anomaly counts against the system (explained re-runs do not: see `explained` on an entry). */
export function isUnexplained(anomaly: Anomaly): boolean {
  return !isExcused(REQUEST_REPLY, anomaly);
}

/** Runs every request-reply check of the registry (request-reply.ts) over the history. */
export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions): CheckResult {
  const history = REQUEST_REPLY.index(events);
  const { anomalies, counts, explained } = runIndexedChecks(REQUEST_REPLY, history, options);
  return { anomalies, counts, explainedReruns: explained, stats: statsOf(history) };
}
