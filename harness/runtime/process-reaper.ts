import type { ChildProcess } from 'node:child_process';

/**
 * Every child process the harness starts is tracked here, so that a normal exit, an uncaught
 * failure or Ctrl-C never leaves a node running (a frozen node ignores SIGTERM, so SIGKILL).
 */
const children = new Set<ChildProcess>();
let installed = false;

export function track(child: ChildProcess): void {
  children.add(child);
}

export function untrack(child: ChildProcess): void {
  children.delete(child);
}

export function killAllNow(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

export function killAllOnExit(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
