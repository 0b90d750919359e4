import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';

/** No `service-policy` at all: the run declared nothing to judge retries by. */
export function checkServicePolicyDeclared(history: RetryPolicyHistory): Finding<'no-service-policy'>[] {
  if (history.policies.size > 0) return [];
  return [{ name: 'no-service-policy', detail: 'the history records no service-policy: no class of service or retry policy was declared, so nothing about retries was judged', events: [] }];
}

/** Calls of declared services, but no attempt, attempt-fail, sent or dropped report: the client says nothing these checks read. */
export function checkAttemptsReported(history: RetryPolicyHistory): Finding<'no-attempt-reported'>[] {
  if (history.policies.size === 0 || history.calls.length === 0 || history.reports > 0) return [];
  return [
    {
      name: 'no-attempt-reported',
      detail: `${history.calls.length} call(s) of declared services, but no attempt, attempt-fail, sent or dropped was reported: the client driver does not report its attempts, so its retries could not be judged`,
      events: [history.calls[0].invoke],
    },
  ];
}

export const NO_SERVICE_POLICY = retryPolicyRule({
  name: 'no-service-policy',
  undecided: true,
  guard: true,
  describe: 'No `service-policy` event at all: the run declared no class of service or retry policy, so nothing was judged. Guards against a vacuous pass. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkServicePolicyDeclared,
});

export const NO_ATTEMPT_REPORTED = retryPolicyRule({
  name: 'no-attempt-reported',
  undecided: true,
  guard: true,
  describe: 'Calls of declared services but no `attempt`, `attempt-fail`, `sent` or `dropped` in the whole history: the client driver reports nothing these checks read. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkAttemptsReported,
});
