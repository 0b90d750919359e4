import type { RetryPolicy, ServicePolicyEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { PolicyCall, Retry } from './history';

/** "call j-7 of client-2 (service echo)": who made which call, for every finding's detail. */
export function callName(call: PolicyCall): string {
  return `call ${call.job} of ${call.invoke.process} (service ${call.invoke.service})`;
}

/** The declared retry policy in the words of the `--retry` grammar: "attempts=5,initial=100,...". */
export function policyWords(retry: RetryPolicy): string {
  const budget = retry.budget === undefined ? '' : `,budget=${retry.budget.maxTokens}:${retry.budget.ratio}`;
  const amplification = retry.maxAmplification === undefined ? '' : `,maxAmplification=${retry.maxAmplification}`;
  return `attempts=${retry.attempts},initial=${retry.initial},multiplier=${retry.multiplier},cap=${retry.cap},jitter=${retry.jitter}${budget}${amplification}`;
}

/** "echo=retry (attempts=5,...)" / "step=give-up:800": what a service declared. */
export function declaredWords(policy: ServicePolicyEvent): string {
  if (policy.class === 'give-up') return `${policy.service}=give-up:${policy.giveUpMs ?? '?'}`;
  if (policy.class === 'best-effort') return `${policy.service}=best-effort`;
  return `${policy.service}=retry (${policyWords(policy.retry)})`;
}

/** The declared delay rule of retry k: "uniform [0, c_k]" and its bounds in ms. */
export function delayRule(retry: RetryPolicy, ceilingMs: number): string {
  if (retry.jitter === 'full') return `jitter full: a delay uniform in [0, ${ms(ceilingMs)}]`;
  if (retry.jitter === 'equal') return `jitter equal: a delay uniform in [${ms(ceilingMs / 2)}, ${ms(ceilingMs)}]`;
  return `jitter none: a delay of ${ms(ceilingMs)}`;
}

/** "attempt-fail 2 (timeout) at 310 ms, attempt 3 at 820 ms: a gap of 510 ms": one retry's timeline. */
export function retryWords(retry: Retry): string {
  return `attempt-fail ${retry.fail.n} (${retry.fail.reason}) at ${ms(retry.fail.t)}, attempt ${retry.attempt.n} at ${ms(retry.attempt.t)}: a gap of ${ms(retry.gapMs)}`;
}
