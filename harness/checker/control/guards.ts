import type { Finding } from '../registry';
import type { ControlHistory } from './history';
import { controlRule } from './ladder';

/**
 * A history judged against `control` with no `kill` at all tested nothing about kills: the harness
 * did not carry out what the scenario is about. It accuses nobody.
 */
export function checkKillPerformed(history: ControlHistory): Finding<'no-kill-performed'>[] {
  if (history.kills > 0) return [];
  return [{ name: 'no-kill-performed', detail: 'the history records no kill: nothing about kills was tested', events: [] }];
}

export const NO_KILL_PERFORMED = controlRule({
  name: 'no-kill-performed',
  undecided: true,
  guard: true,
  describe: 'No `kill` event at all: the run asked for no kill, so it tested nothing the profile promises. Guards against a vacuous pass. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkKillPerformed,
});
