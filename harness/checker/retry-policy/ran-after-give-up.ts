import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';
import { describeTolerance, toleranceFor } from './tolerance';
import { callName } from './words';

/**
 * A `give-up` job that started running after its client was told it failed or may have run: the
 * client's first fail/info promised it will not run again. The exec-start comes on a worker's pipe
 * and the outcome on the client's, so only a start later than the outcome by more than the tolerance counts.
 */
export function checkRanAfterGiveUp(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'ran-after-give-up'>[] {
  const findings: Finding<'ran-after-give-up'>[] = [];
  for (const call of history.calls) {
    if (call.policy.class !== 'give-up') continue;
    const gaveUp = call.outcomes.find((outcome) => outcome.type === 'fail' || outcome.type === 'info');
    if (gaveUp === undefined) continue;
    for (const start of call.execStarts) {
      const tolerance = toleranceFor(history.harness, options, gaveUp.t, start.t);
      if (start.t <= gaveUp.t + tolerance.ms) continue;
      findings.push({
        name: 'ran-after-give-up',
        job: call.job,
        detail: `${callName(call)} was given up (${gaveUp.type}: ${gaveUp.error}) at ${ms(gaveUp.t)}, then ${start.worker} started it at ${ms(start.t)}, ${ms(start.t - gaveUp.t)} later (beyond ${describeTolerance(tolerance)}): ${call.policy.service}=give-up never runs a job after its failure was reported`,
        events: [call.policy, call.invoke, gaveUp, start],
      });
    }
  }
  return findings;
}

export const RAN_AFTER_GIVE_UP = retryPolicyRule({
  name: 'ran-after-give-up',
  describe: "An `exec-start` of a `give-up` call's job later than the invoking client's first `fail` or `info` for it by more than the tolerance (they come on different pipes). One per such start.",
  check: checkRanAfterGiveUp,
});
