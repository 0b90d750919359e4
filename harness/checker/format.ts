import type { CheckResult } from './check-history';
import { formatFindings } from './registry';
import { REQUEST_REPLY, type RequestReplyProfile } from './request-reply';

/**
 * A short summary for a failing scenario's error message: stats, counts per anomaly, and a few
 * example details (violations first when a profile is given, since those failed the run).
 */
export function formatCheckResult(result: CheckResult, profile?: RequestReplyProfile, { allCounts = false }: { allCounts?: boolean } = {}): string {
  const { stats } = result;
  const header =
    `history: ${stats.invoked} invoked, ${stats.ok} ok, ${stats.fail} fail, ${stats.info} info, ` +
    `${stats.executions} executions, ${stats.faults} faults` +
    (stats.orphans > 0 ? `, ${stats.orphans} orphans dropped` : '');
  return [header, ...formatFindings(REQUEST_REPLY, result, { profile, allCounts })].join('\n');
}
