/**
 * Cleanup without Ryuk: every live docker run is registered here, and whatever the run created is
 * removed by label when this process ends without having shut the run down — a normal exit, an
 * uncaught error, SIGINT or SIGTERM.
 *
 * - SIGINT/SIGTERM/SIGHUP: the removal runs (async, bounded), then the process exits 130/143/129.
 * - 'exit' (no async work possible any more): a child node process removes the run's resources
 *   while this one waits for it (spawnSync; this file is that child's entry point).
 *
 * A run stays registered until its removal has finished, so whichever handler ends the process
 * first (another module's SIGINT handler calling process.exit, a second Ctrl-C), the 'exit' hook
 * still removes it. And every run is registered with the sentinel (../sentinel.ts), which removes
 * it once this process is gone by any means, SIGKILL included.
 *
 * Usable by hand too: `node dist/harness/runtime/docker/run-reaper.js [runId]` removes one run's
 * leftovers, or every keelhaul run's without an argument.
 */
import { spawnSync } from 'node:child_process';
import { removeLabelled } from './labels';
import { sentinelReleaseRun, sentinelTrackRun } from '../sentinel';

const SIGNAL_CLEANUP_MS = 10_000;
const EXIT_CLEANUP_MS = 20_000;

const live = new Set<string>();
let installed = false;

/** Removes the run's labelled resources when this process ends, unless `release` was called first. */
export function reapOnExit(runId: string): void {
  live.add(runId);
  sentinelTrackRun(runId);
  install();
}

/** The run was shut down properly: nothing left to remove at exit. */
export function release(runId: string): void {
  live.delete(runId);
  sentinelReleaseRun(runId);
}

/** Runs still registered (not shut down). */
export function liveRuns(): string[] {
  return [...live];
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const runId of live) {
      spawnSync(process.execPath, [__filename, runId], { stdio: 'ignore', timeout: EXIT_CLEANUP_MS });
    }
    live.clear();
  });
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const signal of Object.keys(codes) as (keyof typeof codes)[]) {
    process.once(signal, () => {
      // Not cleared before the removal ends: if the process exits first, the 'exit' hook takes over.
      const runs = [...live];
      const cleanup = Promise.allSettled(
        runs.map(async (runId) => {
          const removed = await removeLabelled(runId);
          if (removed.errors.length === 0) release(runId);
        }),
      );
      const bound = new Promise((resolve) => setTimeout(resolve, SIGNAL_CLEANUP_MS).unref());
      void Promise.race([cleanup, bound]).then(() => process.exit(codes[signal]));
    });
  }
}

if (require.main === module) {
  const runId = process.argv[2];
  removeLabelled(runId)
    .then((removed) => {
      process.stdout.write(`${JSON.stringify(removed)}\n`);
      process.exit(removed.errors.length === 0 ? 0 : 1);
    })
    .catch((error: Error) => {
      process.stderr.write(`run-reaper: ${error.message}\n`);
      process.exit(2);
    });
}
