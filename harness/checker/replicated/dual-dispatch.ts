import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { ExecutionWindow, ReplicatedHistory } from './history';
import { replicatedRule } from './ladder';

/** How long two runs overlapped (ms), 0 or less when they did not. */
function overlapMs(a: ExecutionWindow, b: ExecutionWindow): number {
  return Math.min(a.endT, b.endT) - Math.max(a.start.t, b.start.t);
}

function describeRun(window: ExecutionWindow): string {
  const end = !window.closed ? 'the end of the history' : window.endedBy !== undefined ? `${ms(window.endT)} (${window.endedBy.fault} of ${window.worker})` : ms(window.endT);
  return `${window.worker} (term ${window.start.term}) from ${ms(window.start.t)} to ${end}`;
}

/**
 * One job run at once by two workers whose sessions were dispatched in different terms: two brokers
 * each believed it led and dispatched the same job (split brain), seen from the workers' own reports.
 * A re-run in the same term (one leader re-dispatching after a lease lapsed) and runs that did not
 * overlap (a failover that re-ran a job whose first worker was gone) are duplicate-execution's to
 * judge; runs without a term cannot be told apart and are not judged here. One finding per pair.
 */
export function checkDualDispatch(history: ReplicatedHistory): Finding<'dual-dispatch'>[] {
  const findings: Finding<'dual-dispatch'>[] = [];
  for (const [job, windows] of history.windows) {
    for (let i = 0; i < windows.length; i++) {
      for (let j = i + 1; j < windows.length; j++) {
        const [a, b] = [windows[i], windows[j]];
        if (a.worker === b.worker || a.start.term === undefined || b.start.term === undefined || a.start.term === b.start.term) continue;
        const overlap = overlapMs(a, b);
        if (overlap <= 0) continue;
        findings.push({
          name: 'dual-dispatch',
          job,
          detail: `job ${job} ran on two workers dispatched in different terms at once for ${ms(overlap)} (from ${ms(Math.max(a.start.t, b.start.t))}): ${describeRun(a)}, and ${describeRun(b)}`,
          events: [a.start, b.start],
        });
      }
    }
  }
  return findings;
}

export const DUAL_DISPATCH = replicatedRule({
  name: 'dual-dispatch',
  describe:
    'Two `exec-start`s of one job by different workers whose `term`s differ, with overlapping runs (each run from its `exec-start` to the same worker\'s next `exec-end` or `exec-killed` of the job, to a `kill`, `crash-restart` or `lose-unsynced-writes` of that worker, or to the end of the history): two brokers dispatched the same job at once. The detail gives the overlap in ms. Runs without a `term`, in the same term, or one after the other are not counted here.',
  check: checkDualDispatch,
});
