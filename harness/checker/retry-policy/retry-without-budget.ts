import type { AttemptEvent, AttemptFailEvent, RetryBudget, ServicePolicyEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';

/** Tokens are fractional (ratio 0.1): rounded after each step so that 10 × 0.1 is 1 and a bound at max/2 is met exactly. */
function rounded(tokens: number): number {
  return Math.round(tokens * 1e9) / 1e9;
}

/**
 * Replays each client process's retry budget (gRPC A6 throttling, one bucket per process) over its
 * own events in their order (they come on one pipe): tokens start at maxTokens; an attempt-fail of a
 * `retry` call takes one (floor 0); an ok of any call adds `ratio` (ceiling maxTokens). A retry
 * (attempt n >= 2) is allowed while tokens > maxTokens/2. The decision may be taken when attempt n-1
 * failed or when attempt n is sent, so a retry is flagged only when the bucket was at or below half
 * at both moments: the reading that accuses least.
 */
export function checkRetryWithoutBudget(history: RetryPolicyHistory): Finding<'retry-without-budget'>[] {
  const findings: Finding<'retry-without-budget'>[] = [];
  const budgetedPolicy = [...history.policies.values()].find((policy) => policy.retry.budget !== undefined);
  const budget: RetryBudget | undefined = budgetedPolicy?.retry.budget;
  if (budgetedPolicy === undefined || budget === undefined) return findings;
  const classOf = new Map(history.calls.map((call) => [call.job, call.policy.class]));
  for (const [process, events] of history.budgetEvents) {
    let tokens = budget.maxTokens;
    const afterFail = new Map<string, { fail: AttemptFailEvent; tokens: number }>();
    for (const event of events) {
      if (event.type === 'ok') {
        tokens = rounded(Math.min(budget.maxTokens, tokens + budget.ratio));
        continue;
      }
      if (classOf.get(event.job) !== 'retry') continue;
      if (event.type === 'attempt-fail') {
        tokens = rounded(Math.max(0, tokens - 1));
        afterFail.set(`${event.job}\n${event.n}`, { fail: event, tokens });
        continue;
      }
      if (event.n < 2 || tokens > budget.maxTokens / 2) continue;
      const decided = afterFail.get(`${event.job}\n${event.n - 1}`);
      if (decided !== undefined && decided.tokens > budget.maxTokens / 2) continue;
      findings.push(finding(process, event, tokens, budget, decided?.fail, budgetedPolicy));
    }
  }
  return findings;
}

function finding(process: string, attempt: AttemptEvent, tokens: number, budget: RetryBudget, fail: AttemptFailEvent | undefined, policy: ServicePolicyEvent): Finding<'retry-without-budget'> {
  const when = fail === undefined ? '' : ` and when attempt ${fail.n} failed at ${ms(fail.t)}`;
  return {
    name: 'retry-without-budget',
    job: attempt.job,
    detail: `${process} retried call ${attempt.job} (attempt ${attempt.n} at ${ms(attempt.t)}) with its retry budget at ${tokens} token(s)${when}, not above half of maxTokens ${budget.maxTokens} (budget=${budget.maxTokens}:${budget.ratio}: each failed attempt takes 1, each ok adds ${budget.ratio}; replayed over ${process}'s own reports in their order)`,
    events: [policy, ...(fail === undefined ? [] : [fail]), attempt],
  };
}

export const RETRY_WITHOUT_BUDGET = retryPolicyRule({
  name: 'retry-without-budget',
  describe:
    "With a declared `budget` (maxTokens:ratio), replayed per client `process` over its own events in order: tokens start at maxTokens, each `attempt-fail` of a `retry` call takes 1 (floor 0), each `ok` adds ratio (ceiling maxTokens). An `attempt` with n >= 2 made while tokens <= maxTokens/2, both when attempt n-1 failed and when attempt n was sent.",
  check: checkRetryWithoutBudget,
});
