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
export async function closedLoop(call: () => Promise<void>, { warmupMs, durationMs }: { warmupMs: number; durationMs: number }): Promise<SyncResult> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await call();

  const latenciesUs: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  while (last < end) {
    const before = performance.now();
    await call();
    last = performance.now();
    latenciesUs.push((last - before) * 1000);
  }
  const sorted = Float64Array.from(latenciesUs).sort();
  return {
    p50Us: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    perSecond: latenciesUs.length / ((last - start) / 1000),
    samples: latenciesUs.length,
  };
}
