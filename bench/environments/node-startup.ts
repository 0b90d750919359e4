import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../../harness/runtime/ports';
import { percentile } from '../stats';
import { defineMeasurement, type Environment, type Measurement } from '../measurement';

/**
 * Node start-up: how long `keelhaul worker` and `keelhaul broker` take from spawn to their ready
 * report, against a bare `node` that prints one (the floor: what starting Node costs at all). A
 * scenario starts several nodes, and restarts some, so this is paid many times per scenario.
 * Nothing runs beside them: the environment starts no process, each sample spawns one and kills it
 * once it reported ready (the worker's broker is a free port nobody listens on; it is ready before
 * it connects).
 */
const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
const READY_LINE = JSON.stringify({ type: 'ready' });

export const noProcesses: Environment<undefined> = {
  id: 'no-processes',
  description: 'nothing running: each sample spawns its own process',
  start: () => Promise.resolve(undefined),
};

/** Spawns `args` under this Node, resolves with the ms until its first stdout line, then kills it. Bounded by `timeoutMs`. */
function timeToReady(args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: no ready line within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout.once('data', (chunk: Buffer) => {
      const elapsed = performance.now() - started;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (!chunk.toString().includes('"type":"ready"')) reject(new Error(`${args.join(' ')}: first line was not a ready report: ${chunk.toString().slice(0, 200)}`));
      else child.once('exit', () => resolve(elapsed));
    });
  });
}

function startupMeasurement(id: string, title: string, args: () => Promise<string[]>, baseline?: string): Measurement {
  return defineMeasurement<undefined>({
    id,
    title,
    environment: noProcesses,
    figures: [{ id: `${id}.p50`, label: `${title}: spawn → ready p50`, unit: 'ms', ...(baseline === undefined ? {} : { baseline: `${baseline}.p50` }) }],
    async run(_environment, { warmupMs, durationMs, replyTimeoutMs }) {
      // One at a time: a node's start-up is CPU-bound, and two at once on 2 cores would time each other.
      const warmEnd = performance.now() + Math.min(warmupMs, 500);
      while (performance.now() < warmEnd) await timeToReady(await args(), replyTimeoutMs);
      const samples: number[] = [];
      const end = performance.now() + durationMs;
      while (performance.now() < end || samples.length < 3) samples.push(await timeToReady(await args(), replyTimeoutMs));
      return { [`${id}.p50`]: percentile(Float64Array.from(samples).sort(), 50) };
    },
  });
}

export const startupFloor = startupMeasurement('startup.floor', 'Bare node printing a ready line', () => Promise.resolve(['-e', `console.log(${JSON.stringify(READY_LINE)})`]));
export const startupWorker = startupMeasurement(
  'startup.worker',
  'keelhaul worker',
  async () => [BIN, 'worker', '--broker', `tcp://127.0.0.1:${await freePort()}`],
  'startup.floor',
);
export const startupBroker = startupMeasurement(
  'startup.broker',
  'keelhaul broker',
  async () => [BIN, 'broker', '--endpoint', `tcp://127.0.0.1:${await freePort()}`],
  'startup.floor',
);
