/**
 * Random exponential backoff ("equal jitter"): the n-th delay lies in [d/2, d] with
 * d = min(max, initial * 2^n), so retries spread out instead of arriving in lockstep.
 */
export interface BackoffOptions {
  initial: number;
  max: number;
}

export function backoffDelay(attempt: number, { initial, max }: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
