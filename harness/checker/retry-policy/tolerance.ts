import type { HarnessEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { RetryPolicyCheckOptions } from './ladder';

/**
 * The constant part of every timing tolerance of the retry-policy checks (ms): a client's timer fires
 * a little late, and the harness stamps each report when it reads the node's pipe, not when it was
 * written. The harness's measured event-loop lag around the time is added to it, so a loaded machine
 * is excused, never accused.
 */
export const TOLERANCE_MS = 25;

/** A tolerance for a time span, in its two parts, so a finding can say why it is as wide as it is. */
export interface Tolerance {
  constantMs: number;
  /** LAG_FACTOR × the worst event-loop lag the harness measured in any sample window touching the span (0 with no samples). */
  lagMs: number;
  /** constantMs + lagMs. */
  ms: number;
}

/**
 * The worst `lagMaxMs` of the harness samples whose window touches [from, to], and of the one before.
 * A sample at h covers (h - windowMs, h]; a stall is measured when the late timer finally fires, as
 * the stall ends, which is when the late stamp is made too; but the sample due during the stall runs
 * only after it, so the stall may be put in the window before the stamp. `harness` is in history order.
 */
export function lagAround(harness: readonly HarnessEvent[], from: number, to: number): number {
  let worst = 0;
  let low = 0;
  let high = harness.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (harness[middle].t + harness[middle].windowMs < from) low = middle + 1;
    else high = middle;
  }
  for (let index = low; index < harness.length; index++) {
    const sample = harness[index];
    if (sample.t - sample.windowMs > to) break;
    worst = Math.max(worst, sample.lagMaxMs);
  }
  return worst;
}

/**
 * The harness's lag stands for the machine's starvation, but the nodes are other processes, descheduled
 * on their own: on a machine loaded 8× its cores a client's timer was seen 364 ms late while the
 * harness measured 308 ms around it. Twice the harness's worst lag covers that and still accuses a
 * client whose delay is wrong by more than the machine's own stalls.
 */
export const LAG_FACTOR = 2;

export function toleranceFor(harness: readonly HarnessEvent[], options: RetryPolicyCheckOptions, from: number, to: number): Tolerance {
  const constantMs = options.toleranceMs ?? TOLERANCE_MS;
  const lagMs = LAG_FACTOR * lagAround(harness, from, to);
  return { constantMs, lagMs, ms: constantMs + lagMs };
}

/** "a tolerance of 25 ms (a client's timer and the harness's pipe reads) + 40 ms of harness event-loop lag measured then". */
export function describeTolerance(tolerance: Tolerance): string {
  const lag = tolerance.lagMs > 0 ? ` + ${ms(tolerance.lagMs)} (${LAG_FACTOR} × the harness's event-loop lag measured then)` : '';
  return `a tolerance of ${ms(tolerance.constantMs)} (a client's timer and the harness's pipe reads)${lag}`;
}
