import type { AttackEvent } from '../../history/event';
import type { Finding } from '../registry';
import type { SecureHistory } from './history';
import { secureRule } from './ladder';

/**
 * An attack after which a valid call went unanswered within its bound: an oversized frame or a
 * flood of service names that took the node down or wedged it. Not a missed bound of a starved
 * harness alone: the call is made after the attack ended, on an idle node.
 */
export function checkUnservedAfterAttack(history: SecureHistory): Finding<'unserved-after-attack'>[] {
  return history.events
    .filter((event): event is AttackEvent => event.type === 'attack' && event.performed && event.served === false)
    .map((attack) => ({
      name: 'unserved-after-attack' as const,
      detail: `after attack ${attack.attack} by ${attack.principal} (${attack.sent}), a valid call went unanswered: ${attack.outcome}`,
      events: [attack],
    }));
}

export const UNSERVED_AFTER_ATTACK = secureRule({
  name: 'unserved-after-attack',
  describe: 'A performed `attack` with `served: false`: a valid call made after the attack (an oversized frame, a flood of service names, ...) went unanswered within its bound, so the attack denied service.',
  check: checkUnservedAfterAttack,
});
