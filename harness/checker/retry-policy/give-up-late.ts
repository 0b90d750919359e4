import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';
import { describeTolerance, toleranceFor } from './tolerance';
import { callName } from './words';

/**
 * A `give-up` call that did not end within F ms of its start: its first outcome (ok, fail or info)
 * came later than invoke + F + tolerance, or never. A bound missed, so a starved harness can excuse it.
 */
export function checkGiveUpLate(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'give-up-late'>[] {
  const findings: Finding<'give-up-late'>[] = [];
  for (const call of history.calls) {
    if (call.policy.class !== 'give-up' || call.policy.giveUpMs === undefined) continue;
    const bound = call.policy.giveUpMs;
    const outcome = call.outcomes[0];
    const end = outcome?.t ?? call.invoke.t + bound;
    const tolerance = toleranceFor(history.harness, options, call.invoke.t, end);
    if (outcome !== undefined && outcome.t - call.invoke.t <= bound + tolerance.ms) continue;
    const what = outcome === undefined ? 'never ended (no ok, fail or info)' : `ended (${outcome.type}) only at ${ms(outcome.t)}, ${ms(outcome.t - call.invoke.t)} after it started`;
    findings.push({
      name: 'give-up-late',
      job: call.job,
      detail: `${callName(call)}, started at ${ms(call.invoke.t)}, ${what}: ${call.policy.service}=give-up:${bound} ends every call within ${ms(bound)}, plus ${describeTolerance(tolerance)}`,
      events: [call.policy, call.invoke, ...(outcome === undefined ? [] : [outcome])],
      boundMissed: true,
    });
  }
  return findings;
}

export const GIVE_UP_LATE = retryPolicyRule({
  name: 'give-up-late',
  liveness: true,
  describe: 'A call of a `give-up` service (F = `giveUpMs`) whose first `ok`/`fail`/`info` came later than `invoke.t` + F + tolerance, or never. A missed bound: INCONCLUSIVE when the harness itself starved.',
  check: checkGiveUpLate,
});
