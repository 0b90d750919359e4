import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { analyseJitter, MIN_RETRIES } from './jitter-analysis';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';

/**
 * A service whose declared jitter is judged retried, but fewer than MIN_RETRIES times: too few to
 * tell its spread from the declared one, so the spread was not judged. It accuses nobody.
 */
export function checkTooFewRetries(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'too-few-retries'>[] {
  return analyseJitter(history, options)
    .filter((service) => service.retries.length > 0 && service.retries.length < MIN_RETRIES)
    .map((service) => ({
      name: 'too-few-retries' as const,
      detail: `service ${service.policy.service} declares jitter ${service.policy.retry.jitter}, but its calls were retried only ${service.retries.length} time(s), fewer than the ${MIN_RETRIES} its spread is judged over: the jitter was not judged`,
      events: [service.policy],
    }));
}

export const TOO_FEW_RETRIES = retryPolicyRule({
  name: 'too-few-retries',
  undecided: true,
  guard: true,
  describe: `A \`retry\` service declaring jitter \`full\` or \`equal\` whose calls were retried at least once but fewer than ${MIN_RETRIES} times: too few to judge the spread (\`jitter-missing\`). **Undecided**: nobody is accused (INCONCLUSIVE).`,
  check: checkTooFewRetries,
});
