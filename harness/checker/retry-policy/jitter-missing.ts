import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { analyseJitter, JITTER_ALPHA, MIN_RETRIES, MIN_RETRIES_PER_K, type JitterTest } from './jitter-analysis';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';
import { callName, retryWords } from './words';

const EXAMPLES = 4;

/** How the normalised gaps actually fell: their median and the share at the ceiling, so a person sees what the test saw. */
function shape(test: JitterTest): string {
  const ratios = test.retries.map((retry) => retry.gapMs / retry.ceilingMs).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)];
  const atCeiling = ratios.filter((ratio) => ratio >= 0.95).length;
  return `median gap ${median.toFixed(2)} c_k, ${atCeiling} of ${ratios.length} at 0.95 c_k or more`;
}

/**
 * The retries' gaps, each over its ceiling c_k, are not spread as the declared jitter says (the
 * jitter that stops after some attempts of aws-sdk-go-v2#3091, or none at all): the two-sided KS test
 * of jitter-analysis.ts rejects uniform [0, 1] (`full`) or [0.5, 1] (`equal`), pooled or for one k.
 * One finding per rejecting test.
 */
export function checkJitterMissing(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'jitter-missing'>[] {
  const findings: Finding<'jitter-missing'>[] = [];
  for (const service of analyseJitter(history, options)) {
    for (const test of service.tests) {
      if (test.result.p >= test.alpha) continue;
      const { jitter } = service.policy.retry;
      const which = test.k === undefined ? `the ${test.retries.length} retries of service ${service.policy.service} (pooled over k)` : `the ${test.retries.length} retries number ${test.k} of service ${service.policy.service}`;
      const examples = test.retries.slice(0, EXAMPLES);
      findings.push({
        name: 'jitter-missing',
        detail: `${which} are not spread as jitter ${jitter} says (gap / c_k uniform in [${jitter === 'full' ? '0' : '0.5'}, 1]): KS D = ${test.result.d.toFixed(3)}, p <= ${test.result.p.toPrecision(2)} < ${test.alpha.toPrecision(2)} (α ${JITTER_ALPHA} over ${service.tests.length} test(s)), allowing each gap to be late by its tolerance and early by the harness's lag; ${shape(test)}; e.g. ${examples.map((retry) => `${callName(retry.call)}: ${retryWords(retry)}, c_${retry.k} = ${ms(retry.ceilingMs)}`).join('; ')}`,
        events: [service.policy, ...examples.flatMap((retry) => [retry.fail, retry.attempt])],
      });
    }
  }
  return findings;
}

export const JITTER_MISSING = retryPolicyRule({
  name: 'jitter-missing',
  describe: `Per \`retry\` service declaring jitter \`full\` or \`equal\`, with at least ${MIN_RETRIES} retries: the gaps over their ceilings c_k are not uniform on [0, 1] (\`full\`) or [0.5, 1] (\`equal\`) by a two-sided Kolmogorov-Smirnov test, pooled over k and for each k with at least ${MIN_RETRIES_PER_K} retries, at α = ${JITTER_ALPHA} per service split evenly over its tests (Bonferroni); each gap may be late by its tolerance and early by the harness's lag. \`none\` is not judged. One per rejecting test.`,
  check: checkJitterMissing,
});
