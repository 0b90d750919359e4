import type { ChildProcess } from 'node:child_process';
import { identify, killTree, type ProcessIdentity } from './proc-stat';
import { ensureSentinel, sentinelTrack, sentinelUntrack } from './sentinel';

/**
 * Every child process the harness starts is tracked here, so that a normal exit, an uncaught
 * failure or Ctrl-C never leaves a node running, nor its own children (found through /proc).
 * SIGKILL, because a frozen (SIGSTOPped) node keeps SIGTERM pending forever.
 *
 * A SIGKILL of the harness runs none of this: every tracked node is also registered with the
 * sentinel (sentinel.ts), which kills what is left once the harness is gone.
 */
const children = new Map<ChildProcess, ProcessIdentity>();
let installed = false;

/** Tracks a just-spawned child (call it synchronously after spawn, before its pid can be reaped). */
export function track(child: ChildProcess): ProcessIdentity | undefined {
  if (child.pid === undefined) return undefined;
  const identity = identify(child.pid);
  children.set(child, identity);
  sentinelTrack(identity);
  return identity;
}

/** The child exited: no longer tracked. */
export function untrack(child: ChildProcess): void {
  const identity = children.get(child);
  children.delete(child);
  if (identity) sentinelUntrack(identity.pid);
}

export function killAllNow(): void {
  for (const identity of children.values()) killTree(identity);
  children.clear();
}

export function killAllOnExit(): void {
  if (installed) return;
  installed = true;
  // Started before the first node, so there is no moment when a node runs unwatched.
  ensureSentinel();
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129);
    });
  }
}
