import type { HistoryEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { PolicyCall, RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';
import { callName, declaredWords } from './words';

/** The most attempts a call of its class may make: the policy's for `retry`, one for `give-up` and `best-effort`. */
export function allowedAttempts(call: PolicyCall): number {
  return call.policy.class === 'retry' ? call.policy.retry.attempts : 1;
}

/**
 * A call that made more attempts than its class allows. Attempts are the client's `attempt` reports
 * (their count, or the highest `n`, whichever is more); for `give-up` and `best-effort`, whose job may
 * run at most once, the workers' `exec-start`s of the job count too: a second execution is a second
 * attempt whoever made it (the client's retry or the broker's re-dispatch), and it is seen without
 * trusting the client's word.
 */
export function checkTooManyAttempts(history: RetryPolicyHistory): Finding<'too-many-attempts'>[] {
  const findings: Finding<'too-many-attempts'>[] = [];
  for (const call of history.calls) {
    const allowed = allowedAttempts(call);
    const reported = Math.max(call.attempts.length, ...call.attempts.map((attempt) => attempt.n));
    const executed = call.policy.class === 'retry' ? 0 : call.execStarts.length;
    if (reported <= allowed && executed <= allowed) continue;
    const seen: string[] = [];
    if (reported > allowed) seen.push(`${reported} attempts reported (at ${call.attempts.map((attempt) => ms(attempt.t)).join(', ')})`);
    if (executed > allowed) seen.push(`${executed} executions started (${call.execStarts.map((start) => `${start.worker} at ${ms(start.t)}`).join(', ')})`);
    const evidence: HistoryEvent[] = [call.invoke, ...call.attempts.slice(allowed), ...(executed > allowed ? call.execStarts : [])];
    findings.push({
      name: 'too-many-attempts',
      job: call.job,
      detail: `${callName(call)} made more attempts than its class allows: ${seen.join('; ')}, but ${declaredWords(call.policy)} allows ${allowed}`,
      events: [call.policy, ...evidence.sort((a, b) => a.t - b.t)],
    });
  }
  return findings;
}

export const TOO_MANY_ATTEMPTS = retryPolicyRule({
  name: 'too-many-attempts',
  describe:
    "A call that made more attempts than its class allows (`retry`: the policy's `attempts`; `give-up` and `best-effort`: 1): more `attempt` reports than that, or one with a higher `n`; for `give-up` and `best-effort` also more `exec-start`s of the job (a second run, whoever caused it).",
  check: checkTooManyAttempts,
});
