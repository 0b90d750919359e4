/**
 * Random exponential backoff. The delay before retry k (k = 1 for the first retry) has the ceiling
 * c_k = min(cap, initial · multiplier^(k−1)) and is drawn from it by the jitter: `full` uniform in
 * [0, c_k] (gRPC A6), `equal` uniform in [c_k/2, c_k], `none` exactly c_k. Jitter spreads retries out
 * instead of letting clients that failed together retry in lockstep.
 */
export type Jitter = 'full' | 'equal' | 'none';

export const JITTERS: readonly Jitter[] = ['full', 'equal', 'none'];

export interface BackoffCurve {
  initial: number;
  multiplier: number;
  cap: number;
  jitter: Jitter;
}

/** c_k: never above `cap`, and never NaN or Infinity however large k grows (a huge power is capped). */
export function retryCeiling(retry: number, { initial, multiplier, cap }: Pick<BackoffCurve, 'initial' | 'multiplier' | 'cap'>): number {
  const grown = initial * multiplier ** Math.max(0, retry - 1);
  return Number.isFinite(grown) ? Math.min(cap, grown) : cap;
}

export function retryDelay(retry: number, curve: BackoffCurve, random: () => number = Math.random): number {
  const ceiling = retryCeiling(retry, curve);
  switch (curve.jitter) {
    case 'full':
      return random() * ceiling;
    case 'equal':
      return ceiling / 2 + random() * (ceiling / 2);
    case 'none':
      return ceiling;
  }
}

/** The reference's long-standing curve: equal jitter, doubling, `attempt` 0-based (0 = the first retry). */
export interface BackoffOptions {
  initial: number;
  max: number;
}

export function backoffDelay(attempt: number, { initial, max }: BackoffOptions, random: () => number = Math.random): number {
  return retryDelay(Math.min(attempt, 30) + 1, { initial, multiplier: 2, cap: max, jitter: 'equal' }, random);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
