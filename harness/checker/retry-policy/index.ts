import type { HistoryEvent, ServiceClass } from '../../history/event';
import { formatFindings, runIndexedChecks, type Finding } from '../registry';
import { amplifications, type Amplification } from './amplification';
import type { RetryPolicyCheckOptions } from './ladder';
import { RETRY_POLICY, type RetryPolicyAnomalyName } from './system';

/**
 * The retry-policy checker (issue #19 item 4): pure functions over a recorded history, judging each
 * call of a declared service (`service-policy`) by what its client reported of its attempts
 * (`attempt`, `attempt-fail`, `sent`, `dropped`), what it got (`ok`, `fail`, `info`) and what the
 * workers ran (`exec-start`, `exec-end`). The exact rules are in docs/checkers.md, "Retry policy".
 */

export interface RetryPolicyStats {
  services: number;
  calls: { retry: number; giveUp: number; bestEffort: number };
  /** Retries whose attempt-fail and next attempt were both reported. */
  retries: number;
  /** Attempts per call over the run, and over the calls invoked while a fault was in force. */
  amplification: { overall: Amplification; duringFaults: Amplification };
  /** Best-effort calls: sent, dropped by the client, and lost (invoked, never executed to the end). */
  bestEffort: { sent: number; dropped: number; lost: number };
}

export interface RetryPolicyCheckResult {
  anomalies: Finding<RetryPolicyAnomalyName>[];
  counts: Record<RetryPolicyAnomalyName, number>;
  stats: RetryPolicyStats;
}

export function checkRetryPolicy(events: readonly HistoryEvent[], options: RetryPolicyCheckOptions = {}): RetryPolicyCheckResult {
  const history = RETRY_POLICY.index(events);
  const { anomalies, counts } = runIndexedChecks(RETRY_POLICY, history, options);
  const ofClass = (name: ServiceClass) => history.calls.filter((call) => call.policy.class === name);
  const bestEffort = ofClass('best-effort');
  const stats: RetryPolicyStats = {
    services: history.policies.size,
    calls: { retry: ofClass('retry').length, giveUp: ofClass('give-up').length, bestEffort: bestEffort.length },
    retries: history.retries.length,
    amplification: amplifications(history),
    bestEffort: {
      sent: bestEffort.filter((call) => call.sends[0]?.type === 'sent').length,
      dropped: bestEffort.filter((call) => call.sends[0]?.type === 'dropped').length,
      lost: bestEffort.filter((call) => call.execEnds.length === 0).length,
    },
  };
  return { anomalies, counts, stats };
}

function ratio(amplification: Amplification): string {
  return `${amplification.ratio.toFixed(2)} (${amplification.attempts}/${amplification.calls})`;
}

/** A short summary of a retry-policy check: stats, every anomaly name with its count, and the first few details. */
export function formatRetryPolicyResult(result: RetryPolicyCheckResult, { maxExamples = 10 }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const header = [
    `retry-policy history: ${stats.services} declared service(s); calls ${stats.calls.retry} retry, ${stats.calls.giveUp} give-up, ${stats.calls.bestEffort} best-effort; ${stats.retries} retries`,
    `  amplification (attempts per call): ${ratio(stats.amplification.overall)} overall, ${ratio(stats.amplification.duringFaults)} for calls made during faults`,
    `  best-effort: ${stats.bestEffort.sent} sent, ${stats.bestEffort.dropped} dropped by the client, ${stats.bestEffort.lost} lost (never executed to the end)`,
  ];
  return [...header, ...formatFindings(RETRY_POLICY, result, { allCounts: true, maxExamples })].join('\n');
}

export { RETRY_POLICY, type RetryPolicyAnomalyName, type RetryPolicyCheck, type RetryPolicyCheckOptions, type RetryPolicyProfile } from './system';
export { indexRetryPolicy, ceilingOf, type RetryPolicyHistory } from './history';
export { TOLERANCE_MS } from './tolerance';
export { JITTER_ALPHA, MIN_RETRIES, MIN_RETRIES_PER_K } from './jitter-analysis';
export { LOCKSTEP_ALPHA, LOCKSTEP_WINDOW_MS } from './lockstep';
export { BEST_EFFORT_SEND_MS } from './best-effort-blocked';
export { GOODPUT_LAG_LIMIT, GOODPUT_WINDOW_MS, describeRecovery, goodputRecovery, recovered, whyNotJudged, type GoodputRecovery } from './goodput-not-recovered';
