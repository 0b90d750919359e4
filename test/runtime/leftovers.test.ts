import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { descendants, identify, isAlive, killTree } from '../../harness/runtime/proc-stat';
import { candidateRange, freePort, releasePort, reservationDir } from '../../harness/runtime/ports';
import { withTimeout } from '../../harness/util/wait-for';
import { assertEngine, dockerSkip } from './docker-available';
import type { ChildReport } from './leftovers-child';

/**
 * Issue 14, items 8 and 6: whatever ends the harness — Ctrl-C once or twice, to its pid or to its
 * process group, SIGTERM, SIGKILL — nothing it started stays behind (frozen nodes and nodes' own
 * children included), and two runs at once never share a port, network or subnet, nor remove each
 * other's things. The harness is a real child process (leftovers-child.ts) using the runtime
 * library; the signals, processes, ports and containers are real.
 */
const CHILD = path.join(__dirname, 'leftovers-child.js');
const START_MS = 40_000;
const GONE_MS = 15_000;

type Kill = { name: string; signals: NodeJS.Signals[]; group?: boolean };
const KILLS: Kill[] = [
  { name: 'SIGINT once, to the pid', signals: ['SIGINT'] },
  { name: 'SIGINT twice, to the pid', signals: ['SIGINT', 'SIGINT'] },
  { name: 'SIGTERM, to the pid', signals: ['SIGTERM'] },
  { name: 'SIGINT to its process group (Ctrl-C)', signals: ['SIGINT'], group: true },
  { name: 'SIGKILL, to the pid', signals: ['SIGKILL'] },
];

interface Harness {
  child: ChildProcess;
  report: ChildReport;
  exited: Promise<void>;
  stderr: () => string;
}

/** Starts the stand-in harness in a process group of its own (so its group can be signalled alone) and reads its report. */
async function startHarness(args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): Promise<Harness> {
  const child = spawn(process.execPath, [CHILD, '--child', ...args], { stdio: [stdin, 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = new Promise<ChildReport>((resolve) => createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as ChildReport)));
  try {
    const report = await withTimeout(
      Promise.race([first, exited.then(() => Promise.reject(new Error(`the stand-in harness exited before its report: ${stderr}`)))]),
      START_MS,
      'the stand-in harness to start its nodes',
    );
    return { child, report, exited, stderr: () => stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

function signal(harness: Harness, kill: Kill, which: NodeJS.Signals): void {
  process.kill(kill.group ? -harness.child.pid! : harness.child.pid!, which);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`after ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Last resort after a failed test: nothing this test started may outlive it. The sentinel is left
 * to finish (it exits by itself within its bound): killing it would leave the harness's port
 * reservations behind.
 */
function reap(harness: Harness | undefined): void {
  if (!harness) return;
  harness.child.kill('SIGKILL');
  for (const identity of harness.report.processes) killTree(identity);
}

describe('killing by identity', () => {
  test('a pid whose start time differs (a recycled pid) is never killed; the right one is, with its child', async () => {
    const child = spawn(process.execPath, ['-e', "require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});setInterval(()=>{},1000)"], {
      stdio: 'ignore',
      detached: true,
    });
    const leader = identify(child.pid!);
    try {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      assert.equal(killTree({ pid: leader.pid, startTime: String(Number(leader.startTime) + 1) }), 0);
      assert.ok(isAlive(leader), 'a process with another start time was killed');
      // Its own child joins the group a moment after it starts.
      let members = descendants(leader);
      await waitUntil(() => (members = descendants(leader)).length === 1, 5_000, () => `the process to start its child: ${JSON.stringify(members)}`);
      assert.equal(killTree(leader), 2);
      await withTimeout(exited, 5_000, 'the killed process to exit');
      await waitUntil(() => members.every((m) => !isAlive(m)), 5_000, () => 'its child to be gone');
    } finally {
      killTree(leader);
    }
  });
});

describe('nothing left behind: process runtime', { timeout: 300_000 }, () => {
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-leftovers-'));
  after(() => fs.rmSync(logRoot, { recursive: true, force: true }));

  for (const kill of KILLS) {
    test(`${kill.name}: no node (frozen ones and nodes' children included), no port, no sentinel remains`, async (t) => {
      let harness: Harness | undefined;
      try {
        harness = await startHarness(['process', path.join(logRoot, kill.name.replace(/\W+/g, '-'))]);
        const { processes, frozen, ports, sentinel } = harness.report;
        // fault proxy in-process; broker, two workers, a parent node and its child: 5 processes.
        assert.equal(processes.length, 5, `processes: ${JSON.stringify(processes)}`);
        assert.equal(frozen.length, 3, `frozen: worker-2, the parent node and its child, got ${JSON.stringify(frozen)}`);
        assert.ok(sentinel, 'a sentinel runs beside the harness');
        for (const p of processes) assert.ok(isAlive(p), `pid ${p.pid} runs before the signal`);
        for (const port of ports) assert.equal(await canListen(port), false, `port ${port} is in use before the signal`);

        const started = Date.now();
        for (const which of kill.signals) signal(harness, kill, which);
        await withTimeout(harness.exited, GONE_MS, 'the harness to exit');
        const alive = () => processes.filter((p) => isAlive(p));
        await waitUntil(() => alive().length === 0, GONE_MS, () => `still alive: ${alive().map((p) => p.pid).join(', ')}`);
        const busy = async () => (await Promise.all(ports.map(async (port) => ((await canListen(port)) ? undefined : port)))).filter((p) => p !== undefined);
        await waitUntil(async () => (await busy()).length === 0, GONE_MS, () => `ports still in use: ${ports.join(', ')}`);
        await waitUntil(() => !isAlive({ pid: sentinel!, startTime: '' }), GONE_MS, () => `the sentinel ${sentinel} is still running`);
        const leftReservations = ports.filter((port) => fs.existsSync(path.join(reservationDir(), String(port))));
        assert.deepEqual(leftReservations, [], 'port reservations of the dead harness');
        t.diagnostic(`${kill.signals.join('+')}: everything gone ${Date.now() - started} ms after the signal`);
      } finally {
        reap(harness);
      }
    });
  }
});

describe('runs never disturb each other: process runtime', { timeout: 120_000 }, () => {
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-pair-'));
  after(() => fs.rmSync(logRoot, { recursive: true, force: true }));

  test('ports come from below the ephemeral range, and one process never gets the same port twice', async () => {
    const [low, high] = candidateRange();
    assert.deepEqual(candidateRange([32768, 60999]), [10_000, 32767]);
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    try {
      assert.equal(new Set(ports).size, ports.length);
      for (const port of ports) assert.ok(port >= low && port <= high, `port ${port} outside [${low}, ${high}]`);
      for (const port of ports) assert.ok(fs.existsSync(path.join(reservationDir(), String(port))), `port ${port} is reserved`);
    } finally {
      for (const port of ports) releasePort(port);
    }
    for (const port of ports) assert.equal(fs.existsSync(path.join(reservationDir(), String(port))), false);
  });

  test('two harnesses starting 6 brokers each at the same moment get distinct ports, and one shutting down leaves the other running', async () => {
    let a: Harness | undefined;
    let b: Harness | undefined;
    try {
      [a, b] = await Promise.all([startHarness(['pair', path.join(logRoot, 'a'), '6'], 'pipe'), startHarness(['pair', path.join(logRoot, 'b'), '6'], 'pipe')]);
      const shared = a.report.ports.filter((port) => b!.report.ports.includes(port));
      assert.deepEqual(shared, [], 'ports handed to both runs');
      assert.equal(a.report.processes.length, 6);
      assert.equal(b.report.processes.length, 6);
      // A ends normally (stdin closes: runtime.shutdown(), exit 0); B's brokers are untouched.
      a.child.stdin!.end();
      await withTimeout(a.exited, GONE_MS, 'run A to shut down');
      assert.equal(a.child.exitCode, 0, a.stderr());
      const aAlive = () => a!.report.processes.filter((p) => isAlive(p));
      await waitUntil(() => aAlive().length === 0, GONE_MS, () => `run A's nodes still alive: ${aAlive().map((p) => p.pid).join(', ')}`);
      for (const p of b.report.processes) assert.ok(isAlive(p), `run B's pid ${p.pid} died when run A shut down`);
      for (const port of b.report.ports) assert.equal(await canListen(port), false, `run B's port ${port} is no longer listened on`);
      const sentinel = a.report.sentinel;
      await waitUntil(() => !sentinel || !isAlive({ pid: sentinel, startTime: '' }), GONE_MS, () => `run A's sentinel ${sentinel} outlived a normal exit`);
      b.child.stdin!.end();
      await withTimeout(b.exited, GONE_MS, 'run B to shut down');
      assert.equal(b.child.exitCode, 0, b.stderr());
    } finally {
      reap(a);
      reap(b);
    }
  });
});

describe('nothing left behind: docker runtime', { timeout: 300_000, skip: dockerSkip }, () => {
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-leftovers-'));
  let image = '';
  let listLabelled: typeof import('../../harness/runtime/docker/labels').listLabelled;
  let removeLabelled: typeof import('../../harness/runtime/docker/labels').removeLabelled;

  before(async () => {
    if (dockerSkip) return;
    ({ listLabelled, removeLabelled } = await import('../../harness/runtime/docker/labels'));
  });
  after(() => fs.rmSync(logRoot, { recursive: true, force: true }));

  test('a Docker engine answers', async () => {
    assertEngine();
    const { ensureNodeImage } = await import('../../harness/runtime/docker/image');
    image = (await ensureNodeImage()).tag;
  });

  for (const kill of KILLS.filter((k) => k.name.startsWith('SIGINT') || k.signals[0] === 'SIGKILL')) {
    test(`${kill.name}: no container (the fault proxy and a paused node included), network or volume of the run remains`, async (t) => {
      assert.ok(image, 'the image test ran first');
      let harness: Harness | undefined;
      try {
        harness = await startHarness(['docker', path.join(logRoot, kill.name.replace(/\W+/g, '-')), image]);
        const { runId } = harness.report;
        assert.ok(runId);
        const before = await listLabelled(runId);
        assert.equal(before.containers.length, 3, `fault proxy, broker, worker: ${before.containers.join(', ')}`);
        assert.equal(before.networks.length, 1);
        const started = Date.now();
        for (const which of kill.signals) signal(harness, kill, which);
        await withTimeout(harness.exited, 30_000, 'the harness to exit');
        let left = before;
        await waitUntil(
          async () => {
            left = await listLabelled(runId);
            return left.containers.length + left.networks.length + left.volumes.length === 0;
          },
          40_000,
          () => `run ${runId} left ${JSON.stringify(left)}`,
        );
        const sentinel = harness.report.sentinel;
        await waitUntil(() => !sentinel || !isAlive({ pid: sentinel, startTime: '' }), 40_000, () => `the sentinel ${sentinel} is still running`);
        t.diagnostic(`${kill.signals.join('+')}${kill.group ? ' (group)' : ''}: run ${runId} gone ${Date.now() - started} ms after the signal`);
      } finally {
        reap(harness);
        if (harness?.report.runId) await removeLabelled(harness.report.runId).catch(() => undefined);
      }
    });
  }
});

describe('runs never disturb each other: docker runtime', { timeout: 180_000, skip: dockerSkip }, () => {
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-pair-'));
  after(() => fs.rmSync(logRoot, { recursive: true, force: true }));

  test('three runs at once get distinct networks and non-overlapping subnets, and each removes only its own', async () => {
    assertEngine();
    const { DockerRuntime } = await import('../../harness/runtime/docker/docker-runtime');
    const { listLabelled, removeLabelled } = await import('../../harness/runtime/docker/labels');
    const { overlaps } = await import('../../harness/runtime/docker/docker-network');
    const { ensureNodeImage } = await import('../../harness/runtime/docker/image');
    const { brokerSpec, MAIN } = await import('./leftovers-child');
    const image = (await ensureNodeImage()).tag;
    const runs = ['a', 'b', 'c'].map((name) => new DockerRuntime({ logDir: path.join(logRoot, name), image }));
    try {
      const networks = await Promise.all(runs.map((run) => run.network()));
      assert.equal(new Set(networks.map((n) => n.name)).size, 3);
      for (let i = 0; i < 3; i++) {
        for (let j = i + 1; j < 3; j++) assert.ok(!overlaps(networks[i]!.subnet.cidr, networks[j]!.subnet.cidr), `${networks[i]!.subnet.cidr} overlaps ${networks[j]!.subnet.cidr}`);
      }
      await Promise.all(
        runs.map((run) => run.start({ ...brokerSpec('broker', 5555), args: [MAIN, 'broker', '--endpoint', 'tcp://0.0.0.0:5555', '--name', 'broker', '--heartbeat', '100'] })),
      );
      await runs[0]!.shutdown();
      assert.deepEqual(await listLabelled(runs[0]!.runId), { containers: [], networks: [], volumes: [] });
      for (const run of runs.slice(1)) {
        const mine = await listLabelled(run.runId);
        assert.equal(mine.containers.length, 1, `run ${run.runId} lost its broker when another run shut down`);
        assert.equal(mine.networks.length, 1);
        assert.equal(run.node('broker')?.running, true);
      }
    } finally {
      await Promise.allSettled(runs.map((run) => run.shutdown()));
      await Promise.allSettled(runs.map((run) => removeLabelled(run.runId)));
    }
  });
});
