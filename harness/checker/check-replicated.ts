import type { HistoryEvent } from '../history/event';
import { formatFindings, runIndexedChecks, type Finding } from './registry';
import { REPLICATED, type ReplicatedAnomalyName, type ReplicatedCheckOptions } from './replicated';

/**
 * The replicated checker (issue #20 item 4): pure functions over a recorded history, judging a
 * cluster of brokers by what its clients got (`ok`, `fail`, `info` with their `term`) and what its
 * workers ran (`exec-start` with the dispatching session's `term`, `exec-end`), around the faults
 * the nemesis aimed at the leader. The exact rules are in docs/checkers.md, "Replicated".
 */

export interface ReplicatedStats {
  invoked: number;
  /** Answers that carried a term, and the distinct terms among them. */
  termedAnswers: number;
  terms: number[];
  /** Faults that struck the leader. */
  leaderFaults: number;
}

export interface ReplicatedCheckResult {
  anomalies: Finding<ReplicatedAnomalyName>[];
  counts: Record<ReplicatedAnomalyName, number>;
  /** Duplicate executions a fault explains; not in counts. */
  explained: number;
  stats: ReplicatedStats;
}

export function checkReplicated(events: readonly HistoryEvent[], options: ReplicatedCheckOptions): ReplicatedCheckResult {
  const history = REPLICATED.index(events);
  const { anomalies, counts, explained } = runIndexedChecks(REPLICATED, history, options);
  const stats: ReplicatedStats = {
    invoked: history.invokes.length,
    termedAnswers: history.termedAnswers.length,
    terms: [...new Set(history.termedAnswers.map((answer) => answer.term))].sort((a, b) => a - b),
    leaderFaults: history.leaderFaults.length,
  };
  return { anomalies, counts, explained, stats };
}

/** A short summary of a replicated check: stats, every anomaly name with its count, and the first few details. */
export function formatReplicatedResult(result: ReplicatedCheckResult, { maxExamples = 10 }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const header = `replicated history: ${stats.invoked} invoked; ${stats.termedAnswers} answer(s) with a term (terms ${stats.terms.join(', ') || 'none'}); ${stats.leaderFaults} fault(s) on the leader`;
  return [header, ...formatFindings(REPLICATED, result, { allCounts: true, maxExamples })].join('\n');
}

export { REPLICATED, type ReplicatedAnomalyName, type ReplicatedCheck, type ReplicatedCheckOptions, type ReplicatedProfile } from './replicated';
export * from './replicated/index';
