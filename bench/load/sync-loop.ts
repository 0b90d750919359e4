import { performance } from 'node:perf_hooks';
import { percentile } from '../stats';

export interface SyncResult {
  p50Us: number;
  p99Us: number;
  perSecond: number;
  samples: number;
}

/**
 * Closed loop with one request outstanding: calls `call` back to back, first for `warmupMs`
 * unrecorded, then for `durationMs` timing each round trip.
 */
export function closedLoop(call: () => Promise<void>, settings: { warmupMs: number; durationMs: number }): Promise<SyncResult> {
  return sampledLoop(async () => {
    const before = performance.now();
    await call();
    return (performance.now() - before) * 1000;
  }, settings);
}

/**
 * Like closedLoop, for a sample whose timed part is only a piece of its work (a kill needs a job to
 * kill first): `sample` does the whole round, back to back, and returns the latency it timed, in µs.
 * `perSecond` is whole samples per second.
 */
export async function sampledLoop(sample: () => Promise<number>, { warmupMs, durationMs }: { warmupMs: number; durationMs: number }): Promise<SyncResult> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await sample();

  const latenciesUs: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  while (last < end) {
    latenciesUs.push(await sample());
    last = performance.now();
  }
  const sorted = Float64Array.from(latenciesUs).sort();
  return {
    p50Us: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    perSecond: latenciesUs.length / ((last - start) / 1000),
    samples: latenciesUs.length,
  };
}
