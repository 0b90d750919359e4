/**
 * The harness's side of the sentinel (sentinel-process/sentinel-main.ts): a small watchdog process that removes what
 * this process started when this process is gone, however it went. In-process handlers
 * (process-reaper.ts, docker/run-reaper.ts) are faster and run first, but a SIGKILL runs no handler,
 * and a second Ctrl-C or a process.exit() elsewhere can cut their asynchronous cleanup short.
 *
 * The sentinel is one child per harness process, started on first use. It is detached (a session
 * and process group of its own), so a Ctrl-C sent to the harness's process group does not kill it
 * before it has cleaned up. It learns what to clean over its stdin (one JSON line per message);
 * when that pipe closes — this process exited, by any means — it SIGKILLs every registered process
 * tree still alive (checked by start time: a recycled pid is never killed), removes every registered
 * docker run by label, and exits within a bound. Neither the child nor the pipe keeps this
 * process's event loop alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { identify, type ProcessIdentity } from './proc-stat';

export type SentinelMessage =
  | { op: 'track'; pid: number; startTime: string }
  | { op: 'untrack'; pid: number }
  | { op: 'run'; runId: string }
  | { op: 'unrun'; runId: string }
  | { op: 'ports'; dir: string };

/** Set to '0' to run without a sentinel (the in-process handlers still run). */
export const SENTINEL_ENV = 'KEELHAUL_SENTINEL';
/** A file the sentinel appends what it did to (for debugging a cleanup); default: nowhere. */
export const SENTINEL_LOG_ENV = 'KEELHAUL_SENTINEL_LOG';

let child: ChildProcess | undefined;
let input: Writable | undefined;

function start(): Writable | undefined {
  if (input) return input;
  if (process.env[SENTINEL_ENV] === '0') return undefined;
  const self = identify(process.pid);
  const logFile = process.env[SENTINEL_LOG_ENV];
  let logFd: number | 'ignore' = 'ignore';
  if (logFile) {
    try {
      logFd = fs.openSync(logFile, 'a');
    } catch {
      // no log then
    }
  }
  try {
    child = spawn(process.execPath, [path.join(__dirname, 'sentinel-process', 'sentinel-main.js'), String(self.pid), self.startTime], {
      detached: true,
      stdio: ['pipe', 'ignore', logFd],
      env: { ...process.env, [SENTINEL_ENV]: '0' },
    });
  } finally {
    if (typeof logFd === 'number') fs.closeSync(logFd);
  }
  child.unref();
  child.on('error', () => undefined);
  const stdin = child.stdin;
  if (!stdin) return undefined;
  // The pipe is a libuv handle: unreferenced, it keeps working but never holds the process open.
  (stdin as unknown as { unref?: () => void }).unref?.();
  // A sentinel that died (killed by hand) must not take the harness down with EPIPE.
  stdin.on('error', () => undefined);
  child.once('exit', () => {
    child = undefined;
    input = undefined;
  });
  input = stdin;
  return input;
}

function send(message: SentinelMessage): void {
  start()?.write(`${JSON.stringify(message)}\n`);
}

/** Starts the sentinel now (it is otherwise started by the first registration). */
export function ensureSentinel(): void {
  start();
}

/** The sentinel's pid, if one runs (for tests and diagnostics). */
export function sentinelPid(): number | undefined {
  return child?.pid;
}

/** Kill this process (and its process group) if it is still alive when this harness process is gone. */
export function sentinelTrack(identity: ProcessIdentity): void {
  send({ op: 'track', pid: identity.pid, startTime: identity.startTime });
}

export function sentinelUntrack(pid: number): void {
  if (input) send({ op: 'untrack', pid });
}

/** Remove this docker run's labelled containers, networks and volumes when this harness process is gone. */
export function sentinelTrackRun(runId: string): void {
  send({ op: 'run', runId });
}

export function sentinelReleaseRun(runId: string): void {
  if (input) send({ op: 'unrun', runId });
}

/** Remove this process's port reservations in `dir` (ports.ts) when this harness process is gone. */
export function sentinelPortsDir(dir: string): void {
  send({ op: 'ports', dir });
}
