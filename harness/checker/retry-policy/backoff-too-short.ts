import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { Retry, RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';
import { lagAround } from './tolerance';
import { callName, delayRule, retryWords } from './words';

/** The shortest delay the declared jitter draws before retry k: 0 (full), c_k/2 (equal), c_k (none). */
export function shortestDelay(retry: Retry): number {
  const { jitter } = retry.call.policy.retry;
  return jitter === 'full' ? 0 : jitter === 'equal' ? retry.ceilingMs / 2 : retry.ceilingMs;
}

/**
 * A retry sent sooner than the declared jitter can draw: gap < the shortest delay minus the
 * harness's lag (a stall can stamp the attempt-fail late and so shorten the gap it shows; a client's
 * timer never fires early). Needed beside jitter-missing: with `jitter none` the spread is not judged
 * at all, and one retry at once after a failure is a broken policy however few retries there were.
 */
export function checkBackoffTooShort(history: RetryPolicyHistory): Finding<'backoff-too-short'>[] {
  const findings: Finding<'backoff-too-short'>[] = [];
  for (const retry of history.retries) {
    const shortest = shortestDelay(retry);
    if (shortest <= 0) continue;
    const lagMs = lagAround(history.harness, retry.fail.t, retry.attempt.t);
    // The constant part of the tolerance is for lateness, which only lengthens a gap; the early side gets the lag alone.
    if (retry.gapMs >= shortest - lagMs) continue;
    const excuse = lagMs > 0 ? ` less ${ms(lagMs)} of harness event-loop lag measured then (a stall can stamp the attempt-fail late)` : ' (a timer never fires early; the harness measured no lag then)';
    findings.push({
      name: 'backoff-too-short',
      job: retry.call.job,
      detail: `${callName(retry.call)} retried too soon: ${retryWords(retry)}, shorter than the ${ms(shortest)} that ${delayRule(retry.call.policy.retry, retry.ceilingMs)} allows at least${excuse}`,
      events: [retry.call.policy, retry.fail, retry.attempt],
    });
  }
  return findings;
}

export const BACKOFF_TOO_SHORT = retryPolicyRule({
  name: 'backoff-too-short',
  describe:
    'A retry of a `retry` call whose gap (`attempt-fail` n to `attempt` n+1) is shorter than the declared jitter can draw (`equal`: c_k/2, `none`: c_k; `full` has no floor) less the harness\'s event-loop lag around it (a client\'s timer is never early; a stall can stamp the attempt-fail late).',
  check: checkBackoffTooShort,
});
