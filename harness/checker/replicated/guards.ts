import type { Finding } from '../registry';
import type { ReplicatedHistory } from './history';
import { replicatedRule } from './ladder';

/**
 * Calls made, yet the term rules had nothing to read: no answer carries a term (stale-leader-reply
 * judged nothing), or jobs were dispatched and no exec-start carries one (dual-dispatch judged
 * nothing). Each rule needs terms of its own kind: a cluster whose clients report terms while its
 * workers (or broker, which tells them their term) report none has its dispatches unjudged. It
 * accuses nobody: a driver may leave the terms out.
 */
export function checkNoTermReported(history: ReplicatedHistory): Finding<'no-term-reported'>[] {
  if (history.invokes.length === 0) return [];
  const windows = [...history.windows.values()].flat();
  const missing: string[] = [];
  if (history.termedAnswers.length === 0) missing.push('no ok, fail or info carries a term: stale-leader-reply had nothing to judge');
  if (windows.length > 0 && !windows.some((window) => window.start.term !== undefined)) missing.push('no exec-start carries a term: dual-dispatch had nothing to judge');
  return missing.map((detail) => ({ name: 'no-term-reported' as const, detail, events: [] }));
}

export const NO_TERM_REPORTED = replicatedRule({
  name: 'no-term-reported',
  undecided: true,
  guard: true,
  describe:
    'Calls were invoked, but no `ok`, `fail` or `info` carries a `term` (`stale-leader-reply` had nothing to judge), or jobs were dispatched and no `exec-start` carries one (`dual-dispatch` had nothing to judge): one finding for each. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkNoTermReported,
});
