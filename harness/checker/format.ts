import { JOB_ANOMALY_NAMES } from './anomaly';
import type { CheckResult } from './check-history';
import { forbiddenAnomalies, judge, type RequestReplyProfile } from './profile';

const MAX_EXAMPLES = 10;

/**
 * A short summary for a failing scenario's error message: stats, counts per anomaly, and a few
 * example details (violations first when a profile is given, since those failed the run).
 */
export function formatCheckResult(result: CheckResult, profile?: RequestReplyProfile, { allCounts = false }: { allCounts?: boolean } = {}): string {
  const { stats } = result;
  const lines = [
    `history: ${stats.invoked} invoked, ${stats.ok} ok, ${stats.fail} fail, ${stats.info} info, ` +
      `${stats.executions} executions, ${stats.faults} faults`,
  ];
  const forbidden = new Set(profile === undefined ? [] : forbiddenAnomalies(profile));
  const judgement = profile === undefined ? undefined : judge(result, profile);
  if (judgement !== undefined) lines.push(`verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)`);

  for (const name of JOB_ANOMALY_NAMES) {
    const count = result.counts[name];
    if (count > 0 || allCounts) lines.push(`  ${name}: ${count}${forbidden.has(name) ? ' (forbidden)' : ''}`);
  }
  if (result.explainedReruns > 0 || allCounts) lines.push(`  explained re-runs: ${result.explainedReruns} (allowed)`);
  if (result.anomalies.length === 0) lines.push('  no anomalies');

  const violations = judgement?.violations ?? [];
  const examples = [...violations, ...result.anomalies.filter((anomaly) => !violations.includes(anomaly))];
  for (const anomaly of examples.slice(0, MAX_EXAMPLES)) lines.push(`  - [${anomaly.name}] ${anomaly.detail}`);
  if (examples.length > MAX_EXAMPLES) lines.push(`  ... and ${examples.length - MAX_EXAMPLES} more`);
  return lines.join('\n');
}
