import type { Finding } from '../registry';
import type { ReplicatedHistory } from './history';
import { replicatedRule } from './ladder';

/**
 * A history with calls but not one term on any answer or dispatch: the clients and workers reported
 * nothing the term rules read (dual-dispatch, stale-leader-reply), so they tested nothing. It
 * accuses nobody: a driver may leave the terms out.
 */
export function checkNoTermReported(history: ReplicatedHistory): Finding<'no-term-reported'>[] {
  if (history.invokes.length === 0 || history.termedAnswers.length > 0) return [];
  for (const windows of history.windows.values()) if (windows.some((window) => window.start.term !== undefined)) return [];
  return [{ name: 'no-term-reported', detail: 'no ok, fail, info or exec-start carries a term: the term rules (dual-dispatch, stale-leader-reply) had nothing to judge', events: [] }];
}

export const NO_TERM_REPORTED = replicatedRule({
  name: 'no-term-reported',
  undecided: true,
  guard: true,
  describe: 'Calls were invoked, but no `ok`, `fail`, `info` or `exec-start` carries a `term`: `dual-dispatch` and `stale-leader-reply` had nothing to judge. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkNoTermReported,
});
