import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';
import { describeTolerance, toleranceFor } from './tolerance';
import { callName, delayRule, retryWords } from './words';

/**
 * A retry that waited longer than its ceiling allows: gap > c_k + tolerance, whatever the jitter
 * (every jitter draws at most c_k). Jitter that pushes past the cap (agenda#1748) and a backoff that
 * overflows (aws-sdk-java-v2#1673) are this. A bound missed, so a starved harness can excuse it.
 */
export function checkBackoffOverCap(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'backoff-over-cap'>[] {
  const findings: Finding<'backoff-over-cap'>[] = [];
  for (const retry of history.retries) {
    const tolerance = toleranceFor(history.harness, options, retry.fail.t, retry.attempt.t);
    if (retry.gapMs <= retry.ceilingMs + tolerance.ms) continue;
    findings.push({
      name: 'backoff-over-cap',
      job: retry.call.job,
      detail: `${callName(retry.call)} waited too long before retry ${retry.k}: ${retryWords(retry)}, more than c_${retry.k} = ${ms(retry.ceilingMs)} (${delayRule(retry.call.policy.retry, retry.ceilingMs)}) plus ${describeTolerance(tolerance)}`,
      events: [retry.call.policy, retry.fail, retry.attempt],
      boundMissed: true,
    });
  }
  return findings;
}

export const BACKOFF_OVER_CAP = retryPolicyRule({
  name: 'backoff-over-cap',
  liveness: true,
  describe:
    "A retry of a `retry` call whose gap (from `attempt-fail` n to `attempt` n+1 of the same call and client) is longer than c_k + tolerance, with k = n and c_k = min(cap, initial × multiplier^(k-1)) as declared. A missed bound: INCONCLUSIVE when the harness itself starved.",
  check: checkBackoffOverCap,
});
