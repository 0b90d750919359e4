import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { MajordomoClient } from '../../reference/client';
import { MajordomoWorker, type Handler as WorkerHandler } from '../../reference/worker';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, sleep, startBroker, texts } from '../reference/helpers';
import { PYTHON, requirement } from '../support/requirements';

/**
 * Interoperability with an independent 7/MDP implementation: test/interop/mdp_peer.py, a worker
 * and a client written in Python (pyzmq, libzmq from Debian) from the spec alone.
 */
const PEER = path.resolve(__dirname, '../../../test/interop/mdp_peer.py');
const HEARTBEAT = 50;
const PYTHON_TIMEOUT_MS = 10_000; // hard ceiling on any Python process this file starts
const WAIT = 5_000; // Python start-up included

/** Skipped, saying how to install it, without Debian's pyzmq; failed instead when KEELHAUL_REQUIRE names python. */
const python = requirement('python');

interface PythonRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Python client once; resolves when it exits (it is killed after PYTHON_TIMEOUT_MS). */
function runPythonClient(endpoint: string, service: string, body: string[], children: ChildProcess[]): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER, 'client', '--broker', endpoint, '--service', service, '--timeout', '3000', ...body], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PYTHON_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function parseReply(run: PythonRun): { service: string; body: string[] } {
  assert.equal(run.status, 0, `the Python client failed (status ${run.status}): ${run.stderr}`);
  const parsed: unknown = JSON.parse(run.stdout.trim());
  assert.ok(typeof parsed === 'object' && parsed !== null, `unexpected output ${run.stdout}`);
  const { service, body } = parsed as { service: unknown; body: unknown };
  assert.equal(typeof service, 'string');
  assert.ok(Array.isArray(body) && body.every((frame) => typeof frame === 'string'), `unexpected body in ${run.stdout}`);
  return { service: service as string, body: body as string[] };
}

describe('interop with an independent Python Majordomo peer', () => {
  let endpoint: string;
  let broker: Broker | undefined;
  const children: ChildProcess[] = [];
  const closers: (() => void)[] = [];

  /** Starts the Python worker; it exits when its stdin closes, at the latest after PYTHON_TIMEOUT_MS. */
  const startPythonWorker = (service: string): { served: string[][]; stderr: () => string } => {
    const child = spawn(PYTHON, [PEER, 'worker', '--broker', endpoint, '--service', service, '--heartbeat', String(HEARTBEAT), '--max-seconds', '20'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: PYTHON_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    children.push(child);
    const served: string[][] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; body?: string[] };
      if (event.event === 'served' && event.body) served.push(event.body);
    });
    return { served, stderr: () => stderr };
  };

  /** Starts a reference worker for `service` and waits until the broker has it registered. */
  const startReferenceWorker = async (service: string, handler: WorkerHandler): Promise<void> => {
    const worker = new MajordomoWorker({
      broker: endpoint,
      service,
      handler,
      heartbeatInterval: HEARTBEAT,
      heartbeatLiveness: 3,
      reconnectInitial: 10,
      reconnectMax: 50,
    });
    worker.start();
    closers.push(() => worker.close());
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the reference worker to register' });
  };

  beforeEach(async () => {
    python.assertAvailable();
    endpoint = await freeEndpoint();
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3 });
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    const exits = children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
    await broker?.close();
  });

  test('reference broker + Python worker + reference client: the reply is the body upper-cased', { skip: python.skipReason }, async () => {
    const python = startPythonWorker('upper');
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: `the Python worker to register (stderr: ${python.stderr()})` });

    const client = new MajordomoClient({ broker: endpoint, timeout: 1_000, attempts: 2, backoffInitial: 10, backoffMax: 50 });
    closers.push(() => client.close());
    assert.deepEqual(texts(await client.request('upper', [Buffer.from('hello'), Buffer.from('wörld')])), ['HELLO', 'WöRLD']);
    assert.deepEqual(python.served, [['hello', 'wörld']]);

    // Several liveness windows later the Python worker's heartbeats still keep it registered.
    await sleep(HEARTBEAT * 3 * 3);
    assert.equal(broker?.stats().workers, 1, `the broker expired the Python worker (stderr: ${python.stderr()})`);
    assert.deepEqual(texts(await client.request('upper', [Buffer.from('again')])), ['AGAIN']);
  });

  test('Python client → reference broker → reference worker', { skip: python.skipReason }, async () => {
    await startReferenceWorker('reverse', async (body) => body.map((frame) => Buffer.from([...frame.toString()].reverse().join(''))));

    const reply = parseReply(await runPythonClient(endpoint, 'reverse', ['abc', 'hello world'], children));
    assert.deepEqual(reply, { service: 'reverse', body: ['cba', 'dlrow olleh'] });
  });

  test('Python client asks 8/MMI mmi.service: 200 for a served service, 404 otherwise, 501 for other mmi.*', { skip: python.skipReason }, async () => {
    await startReferenceWorker('echo', async (body) => body);

    const [served, unserved, other] = await Promise.all([
      runPythonClient(endpoint, 'mmi.service', ['echo'], children),
      runPythonClient(endpoint, 'mmi.service', ['nobody'], children),
      runPythonClient(endpoint, 'mmi.nothing', ['echo'], children),
    ]);
    assert.deepEqual(parseReply(served), { service: 'mmi.service', body: ['200'] });
    assert.deepEqual(parseReply(unserved), { service: 'mmi.service', body: ['404'] });
    assert.deepEqual(parseReply(other), { service: 'mmi.nothing', body: ['501'] });
  });
});
