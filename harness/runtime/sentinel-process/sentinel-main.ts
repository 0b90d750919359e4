/**
 * The sentinel process (see sentinel.ts): `node sentinel-main.js <harness pid> <harness start time>`.
 *
 * Reads JSON lines on stdin that register process trees and docker runs. When stdin ends (the
 * harness exited or was killed) or the harness's pid no longer names the harness (a pipe held open
 * by some inherited descriptor must not keep the sentinel waiting forever), it cleans up and exits:
 * - every registered process still alive, and its descendants, get SIGKILL (SIGKILL, not SIGTERM:
 *   a frozen node keeps SIGTERM pending forever, but SIGKILL ends a stopped process too). The
 *   descendants are also snapshotted every second while the harness lives: a node that exits when
 *   its stdin closes (--exit-with-stdin) leaves its children to init, where no /proc walk finds them;
 * - every registered docker run is removed by label, swept again until a sweep finds nothing (a
 *   create the engine was still serving when the harness died lands after the first sweep);
 * - the harness's port reservations are deleted.
 * The whole cleanup is bounded (CLEANUP_BOUND_MS); the sentinel exits then whatever is left.
 *
 * A folder of its own: this program cleans up after every runtime (it loads the docker runtime's
 * label sweep), while the runtimes reach it only by spawning this file, so no import runs back up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { descendants, isAlive, killTree, type ProcessIdentity } from '../proc-stat';
import type { SentinelMessage } from '../sentinel';

const CLEANUP_BOUND_MS = 30_000;
const PARENT_POLL_MS = 1_000;
const SWEEP_GAP_MS = 1_000;
const MAX_SWEEPS = 4;

const harness: ProcessIdentity = { pid: Number(process.argv[2]), startTime: process.argv[3] ?? '' };
const processes = new Map<number, ProcessIdentity>();
/** The last snapshot of each registered process's descendants. */
const known = new Map<number, ProcessIdentity[]>();
const runs = new Set<string>();
const portDirs = new Set<string>();
let cleaning = false;

function log(text: string): void {
  process.stderr.write(`${new Date().toISOString()} sentinel ${process.pid} (harness ${harness.pid}): ${text}\n`);
}

function onMessage(line: string): void {
  let message: SentinelMessage;
  try {
    message = JSON.parse(line) as SentinelMessage;
  } catch {
    return;
  }
  switch (message.op) {
    case 'track':
      processes.set(message.pid, { pid: message.pid, startTime: message.startTime });
      break;
    case 'untrack':
      processes.delete(message.pid);
      known.delete(message.pid);
      break;
    case 'run':
      runs.add(message.runId);
      break;
    case 'unrun':
      runs.delete(message.runId);
      break;
    case 'ports':
      portDirs.add(message.dir);
      break;
  }
}

function killProcesses(): void {
  for (const identity of processes.values()) {
    const n = killTree(identity, known.get(identity.pid));
    if (n > 0) log(`SIGKILL to pid ${identity.pid} and its descendants: ${n} process(es)`);
  }
  processes.clear();
}

/** Deletes the reservation files (ports.ts) that name the harness as their owner. */
function releasePorts(): void {
  const owner = `${harness.pid} ${harness.startTime}`;
  for (const dir of portDirs) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const file = path.join(dir, entry);
      try {
        if (fs.readFileSync(file, 'utf8').trim() === owner) fs.unlinkSync(file);
      } catch {
        // taken or gone meanwhile
      }
    }
  }
}

async function removeRuns(): Promise<void> {
  if (runs.size === 0) return;
  // Loaded only when needed: the docker client is heavy, and most sentinels never touch Docker.
  const { removeLabelled } = require('../docker/labels') as typeof import('../docker/labels');
  for (let sweep = 1; sweep <= MAX_SWEEPS && runs.size > 0; sweep++) {
    let found = false;
    for (const runId of [...runs]) {
      try {
        const removed = await removeLabelled(runId);
        const count = removed.containers.length + removed.networks.length + removed.volumes.length;
        if (count > 0) {
          found = true;
          log(`run ${runId}: removed ${JSON.stringify({ ...removed, errors: undefined })}`);
        }
        if (removed.errors.length > 0) {
          found = true;
          log(`run ${runId}: ${removed.errors.join('; ')}`);
        }
      } catch (error) {
        found = true;
        log(`run ${runId}: ${(error as Error).message}`);
      }
    }
    if (!found && sweep > 1) break;
    await new Promise((resolve) => setTimeout(resolve, SWEEP_GAP_MS));
  }
}

async function cleanup(reason: string): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  setTimeout(() => {
    log(`cleanup bound of ${CLEANUP_BOUND_MS} ms reached; exiting`);
    process.exit(2);
  }, CLEANUP_BOUND_MS);
  if (processes.size + runs.size > 0) log(`cleaning up (${reason}): ${processes.size} process(es), ${runs.size} docker run(s)`);
  killProcesses();
  releasePorts();
  await removeRuns();
  process.exit(0);
}

// Nothing sent to the harness's terminal or process group may stop the cleanup half-way.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, () => undefined);
process.on('SIGTERM', () => void cleanup('SIGTERM'));

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', onMessage).on('close', () => void cleanup('the harness closed the pipe'));
process.stdin.on('error', () => void cleanup('the pipe failed'));
setInterval(() => {
  if (!isAlive(harness)) {
    void cleanup(`harness pid ${harness.pid} is gone`);
    return;
  }
  for (const identity of processes.values()) {
    const found = descendants(identity);
    if (found.length > 0) known.set(identity.pid, found);
  }
}, PARENT_POLL_MS);
