import type { Finding } from '../registry';
import type { SecureHistory } from './history';
import { secureRule } from './ladder';

/**
 * A principal received a reply whose content echoes another principal's request: the result of
 * another client's job (a job-id reuse answered from the owner's record, or an answer taken in
 * flight). Every harness-driven peer sends content of its own, so the harness can say whose it is.
 */
export function checkCrossClientResult(history: SecureHistory): Finding<'cross-client-result'>[] {
  const findings: Finding<'cross-client-result'>[] = [];
  for (const event of history.events) {
    if (event.type !== 'receive' || event.kind !== 'reply' || event.resultOf === undefined || event.resultOf === event.principal) continue;
    const owner = event.job === undefined ? undefined : history.invokes.get(event.job);
    findings.push({
      name: 'cross-client-result',
      ...(event.job !== undefined ? { job: event.job } : {}),
      detail: `${event.principal} received the result of ${event.resultOf}'s request${event.job !== undefined ? ` (job ${event.job})` : ''}${event.attack !== undefined ? ` (attack ${event.attack})` : ''}`,
      events: owner === undefined ? [event] : [owner, event],
    });
  }
  return findings;
}

export const CROSS_CLIENT_RESULT = secureRule({
  name: 'cross-client-result',
  describe: 'A `receive` of a `reply` whose `resultOf` (the principal whose request the reply\'s content echoes) is not the receiving `principal`: a client got the result of another client\'s job.',
  check: checkCrossClientResult,
});
