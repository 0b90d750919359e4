import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { KilledFailure, MajordomoClient, type ClientOptions } from '../../reference/client';
import { MajordomoWorker, type Handler } from '../../reference/worker';
import { waitFor } from '../../harness/util/wait-for';
import { endpointAndDirPerTest } from '../support/endpoint-and-dir';
import { startBroker } from '../reference/helpers';

/**
 * KHC/1 end to end with the reference broker, worker and client in process on real sockets: the
 * worker's acks decide the broker's answers, and the caller of a killed job gets the killed failure.
 */
const CLIENT: Omit<ClientOptions, 'broker' | 'logger' | 'security'> = { timeout: 300, attempts: 20, backoffInitial: 10, backoffMax: 50, checkService: true, serviceCheckTtl: 1_000 };
const WORKER = { heartbeatInterval: 30, heartbeatLiveness: 3, reconnectInitial: 10, reconnectMax: 50 } as const;
const WAIT = 5_000;

describe('KHC/1: reference client + worker + broker', () => {
  let broker: Broker | undefined;
  const closers: (() => unknown)[] = [];
  const fresh = endpointAndDirPerTest('keelhaul-khc-', async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await broker?.close();
    broker = undefined;
  });

  const track = <T extends { close(): unknown }>(created: T): T => {
    closers.push(() => created.close());
    return created;
  };
  const client = (): MajordomoClient => track(new MajordomoClient({ ...CLIENT, broker: fresh.endpoint }));
  const worker = (handler: Handler, onStopped?: () => void): MajordomoWorker => {
    const created = track(new MajordomoWorker({ ...WORKER, broker: fresh.endpoint, service: 'echo', handler, onStopped }));
    created.start();
    return created;
  };
  /** Runs `ms` per job unless killed; `unstoppable` in the body ignores kills. */
  const started: string[] = [];
  const working = (ms: number): Handler => async (body, job) => {
    started.push(body[0].toString());
    if (body[0].toString().includes('unstoppable')) job.unstoppable();
    await sleep(ms, undefined, body[0].toString().includes('unstoppable') ? undefined : { signal: job.signal });
    if (!job.mayCommit()) throw new Error('may not commit');
    return body;
  };

  test('a running job killed: the worker stops it, the broker answers killed, and its caller gets the killed failure', async () => {
    broker = await startBroker(fresh.endpoint, { resultGrace: 500 });
    worker(working(10_000));
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    const call = client().request('echo', [Buffer.from('job-a')], { job: 'job-a' });
    const outcome = call.then(
      () => 'ok',
      (error: unknown) => error,
    );
    await waitFor(() => started.includes('job-a'), { timeoutMs: WAIT, what: 'the job to start' });
    assert.equal(await client().kill('job-a'), 'killed');
    const failure = await outcome;
    assert.ok(failure instanceof KilledFailure, `the call ended ${String(failure)}`);
    assert.equal(await client().kill('job-a'), 'killed', 'a repeated kill is answered the same');
  });

  test('an unstoppable job: the kill is answered finished and the caller gets its reply; a finished job, finished; an unknown id, unknown', async () => {
    broker = await startBroker(fresh.endpoint, { resultGrace: 500 });
    worker(working(300));
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    const call = client().request('echo', [Buffer.from('job-unstoppable')], { job: 'job-unstoppable' });
    await waitFor(() => started.includes('job-unstoppable'), { timeoutMs: WAIT, what: 'the job to start' });
    assert.equal(await client().kill('job-unstoppable'), 'finished');
    assert.deepEqual((await call).map(String), ['job-unstoppable']);
    assert.equal(await client().kill('job-unstoppable'), 'finished');
    assert.equal(await client().kill('never-submitted'), 'unknown');
  });

  test('drainWorker and stopWorker by instance id: ok, the worker stops and calls onStopped; an unknown instance is unknown', async () => {
    broker = await startBroker(fresh.endpoint, { resultGrace: 500 });
    let stopped = false;
    const running = worker(working(10), () => (stopped = true));
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    assert.deepEqual((await client().request('echo', [Buffer.from('job-d')], { job: 'job-d' })).map(String), ['job-d']);
    assert.equal(await client().drainWorker(running.instanceId), 'ok');
    assert.equal(await client().drainWorker('no-such-instance'), 'unknown');
    assert.equal(await client().stopWorker(running.instanceId), 'ok');
    await waitFor(() => stopped, { timeoutMs: WAIT, what: 'the worker to stop' });
    await waitFor(() => broker?.stats().workers === 0, { timeoutMs: WAIT, what: 'the broker to forget the stopped worker' });
  });
});
