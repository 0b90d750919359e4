import { performance } from 'node:perf_hooks';

/** A stretch (performance.now(), ms) in which the harness's event loop did not run. */
export interface Stall {
  from: number;
  to: number;
}

/**
 * Watches the harness's own event loop while a probe times what a peer sends it: a message that
 * arrived while the harness was starved is read late, so the silence before it looks longer than the
 * peer made it. A timer that should fire every `tickMs` and fired later than `tickMs + minStallMs`
 * marks the lateness as a stall. Unref'd: it never keeps a process alive.
 */
export class StallWatch {
  private readonly seen: Stall[] = [];
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();

  constructor(
    private readonly tickMs = 5,
    private readonly minStallMs = 10,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  /** Takes the last stretch into account (a stall still going on ends now) and stops watching. */
  stop(): void {
    this.tick();
    clearInterval(this.timer);
  }

  stalls(): readonly Stall[] {
    return this.seen;
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.last - this.tickMs;
    if (late > this.minStallMs) this.seen.push({ from: this.last + this.tickMs, to: now });
    this.last = now;
  }
}

/** How much of `from`..`to` the harness spent stalled. */
export function stalledWithin(stalls: readonly Stall[], from: number, to: number): number {
  return stalls.reduce((sum, stall) => sum + Math.max(0, Math.min(to, stall.to) - Math.max(from, stall.from)), 0);
}
