import type { Finding } from '../registry';
import { amplificationOf, duringFault, type Amplification } from './amplification';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';

function words(amplification: Amplification): string {
  return `${amplification.attempts} attempts for ${amplification.calls} calls (${amplification.ratio.toFixed(2)} per call)`;
}

/**
 * A service whose policy declares `maxAmplification` made more attempts per call than that, over the
 * run or over the calls invoked while a fault was in force (retries are how a fault becomes a
 * metastable overload). The measure itself is always reported (RetryPolicyStats); only a declared
 * bound makes it an anomaly.
 */
export function checkRetryAmplification(history: RetryPolicyHistory): Finding<'retry-amplification'>[] {
  const findings: Finding<'retry-amplification'>[] = [];
  for (const policy of history.policies.values()) {
    const bound = policy.retry.maxAmplification;
    if (bound === undefined) continue;
    const calls = history.calls.filter((call) => call.policy === policy);
    const spans: [string, Amplification][] = [
      ['over the run', amplificationOf(calls)],
      ['over the calls invoked while a fault was in force', amplificationOf(calls.filter((call) => duringFault(history, call)))],
    ];
    for (const [span, amplification] of spans) {
      if (amplification.calls === 0 || amplification.ratio <= bound) continue;
      findings.push({
        name: 'retry-amplification',
        detail: `service ${policy.service} amplified its load ${span}: ${words(amplification)}, more than its declared maxAmplification ${bound}`,
        events: [policy],
      });
    }
  }
  return findings;
}

export const RETRY_AMPLIFICATION = retryPolicyRule({
  name: 'retry-amplification',
  describe:
    'Only for a service whose policy declares `maxAmplification`: its `attempt`s per call (a call with none reported counts 1) above it, over the run or over the calls invoked while a fault was in force (a nemesis `start` to its `end`). The ratio is always reported as a measure.',
  check: checkRetryAmplification,
});
