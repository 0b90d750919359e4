import type { AttackEvent } from '../../history/event';
import type { Finding } from '../registry';
import type { SecureHistory } from './history';
import { secureRule } from './ladder';

/**
 * A history with no `policy`: there is nothing to judge entitlements by, so the harness failed to
 * set the run up. It accuses nobody.
 */
export function checkPolicyRecorded(history: SecureHistory): Finding<'no-policy'>[] {
  if (history.policies.length > 0) return [];
  return [{ name: 'no-policy', detail: 'the history records no policy: there is nothing to judge who may receive what by', events: [] }];
}

export const NO_POLICY = secureRule({
  name: 'no-policy',
  undecided: true,
  guard: true,
  describe: 'No `policy` event at all: the run recorded no entitlement table to judge by. Guards against a vacuous pass. **Undecided**: the harness failed, nobody is accused (INCONCLUSIVE).',
  check: checkPolicyRecorded,
});

/**
 * An attack the harness could not carry out (its peer could not be set up, the node it needed was
 * not there): nothing was tested, so neither PASS nor FAIL.
 */
export function checkAttacksPerformed(history: SecureHistory): Finding<'attack-not-performed'>[] {
  return history.events
    .filter((event): event is AttackEvent => event.type === 'attack' && !event.performed)
    .map((attack) => ({
      name: 'attack-not-performed' as const,
      detail: `attack ${attack.attack} by ${attack.principal} could not be performed: ${attack.error ?? attack.outcome}`,
      events: [attack],
    }));
}

export const ATTACK_NOT_PERFORMED = secureRule({
  name: 'attack-not-performed',
  undecided: true,
  guard: true,
  describe: 'An `attack` with `performed: false`: the harness could not carry the attack out, so it tested nothing. **Undecided**: it keeps a scenario from passing but accuses nobody (INCONCLUSIVE).',
  check: checkAttacksPerformed,
});
