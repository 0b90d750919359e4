/**
 * Chaos modes of the reference echo worker (docs/drivers.md, "Worker modes"), for scenarios about
 * workers that are alive but do not get their work done:
 * - `normal`: each job takes its work (the worker's `--work-ms`, or the payload's `work=<ms>`);
 * - `busy`: the first job it takes never ends by itself: the worker stays connected and heartbeats,
 *   stuck on it, until a KHC/1 kill stops the handler (an `unstoppable` one is stuck for good); every
 *   later job runs normally;
 * - `slow=<n>` (`slow` alone: n = 10): each job takes n times its work.
 */
export type WorkerMode = { kind: 'normal' } | { kind: 'busy' } | { kind: 'slow'; factor: number };

export const NORMAL_MODE: WorkerMode = { kind: 'normal' };
const DEFAULT_SLOW_FACTOR = 10;
const MAX_SLOW_FACTOR = 1000;

/** Reads `normal`, `busy`, `slow` or `slow=<n>` (a whole n from 1 to 1000), with a precise error for anything else. */
export function parseWorkerMode(text: string): WorkerMode {
  if (text === 'normal' || text === 'busy') return { kind: text };
  if (text === 'slow') return { kind: 'slow', factor: DEFAULT_SLOW_FACTOR };
  const slow = /^slow=(\d{1,4})$/.exec(text);
  const factor = slow === null ? NaN : Number(slow[1]);
  if (factor >= 1 && factor <= MAX_SLOW_FACTOR) return { kind: 'slow', factor };
  throw new Error(`expected a worker mode: normal, busy, slow or slow=<n> (n from 1 to ${MAX_SLOW_FACTOR}), got "${text}"`);
}

/** The mode as the command line spells it (`--mode`), the inverse of parseWorkerMode. */
export function formatWorkerMode(mode: WorkerMode): string {
  return mode.kind === 'slow' ? `slow=${mode.factor}` : mode.kind;
}

/**
 * How long each job of a worker in `mode` works: `undefined` for the job a busy worker is stuck on
 * (it works until killed). Stateful: a busy worker is stuck on its first job only.
 */
export class JobPacer {
  private stuckYet = false;

  constructor(private readonly mode: WorkerMode) {}

  workMs(planned: number): number | undefined {
    switch (this.mode.kind) {
      case 'normal':
        return planned;
      case 'slow':
        return planned * this.mode.factor;
      case 'busy':
        if (this.stuckYet) return planned;
        this.stuckYet = true;
        return undefined;
    }
  }
}
