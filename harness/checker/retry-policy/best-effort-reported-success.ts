import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';
import { callName } from './words';

/** An `ok` for a best-effort call: fire-and-forget never waits for an answer, so it never reports one as success. */
export function checkBestEffortReportedSuccess(history: RetryPolicyHistory): Finding<'best-effort-reported-success'>[] {
  return history.calls
    .filter((call) => call.policy.class === 'best-effort')
    .flatMap((call) =>
      call.outcomes
        .filter((outcome) => outcome.type === 'ok')
        .map((ok) => ({
          name: 'best-effort-reported-success' as const,
          job: call.job,
          detail: `${callName(call)} was reported a success (ok) at ${ms(ok.t)}: ${call.policy.service}=best-effort is fire-and-forget, its losses are counted and nothing is ever reported as delivered`,
          events: [call.policy, call.invoke, ok],
        })),
    );
}

export const BEST_EFFORT_REPORTED_SUCCESS = retryPolicyRule({
  name: 'best-effort-reported-success',
  describe: 'An `ok` from the invoking client for a call of a `best-effort` service. One per `ok`.',
  check: checkBestEffortReportedSuccess,
});
