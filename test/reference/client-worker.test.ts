import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { callBound, DefiniteFailure, IndefiniteFailure, MajordomoClient, type ClientOptions } from '../../reference/client';
import { MajordomoWorker, type Handler, type WorkerOptions } from '../../reference/worker';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, sleep, startBroker, texts } from './helpers';

/**
 * The reference client and worker against an in-process reference broker on real sockets, with
 * short timeouts: 30 ms heartbeats, 200 ms per client attempt.
 */
const CLIENT: Omit<ClientOptions, 'broker' | 'logger'> = {
  timeout: 200,
  attempts: 3,
  backoffInitial: 10,
  backoffMax: 40,
  checkService: true,
  serviceCheckTtl: 1_000,
};
const WORKER = { heartbeatInterval: 30, heartbeatLiveness: 3, reconnectInitial: 10, reconnectMax: 50 } as const;
const WAIT = 2_000;

const b = (text: string): Buffer => Buffer.from(text);

describe('MajordomoClient + MajordomoWorker through the reference broker', () => {
  let endpoint: string;
  let broker: Broker | undefined;
  const clients: MajordomoClient[] = [];
  const workers: MajordomoWorker[] = [];

  const client = (options: Partial<ClientOptions> = {}): MajordomoClient => {
    const created = new MajordomoClient({ ...CLIENT, ...options, broker: endpoint });
    clients.push(created);
    return created;
  };
  const worker = (service: string, handler: Handler, options: Partial<WorkerOptions> = {}): MajordomoWorker => {
    const created = new MajordomoWorker({ ...WORKER, ...options, broker: endpoint, service, handler });
    workers.push(created);
    created.start();
    return created;
  };
  const workersRegistered = (count: number): Promise<void> =>
    waitFor(() => broker?.stats().workers === count, { timeoutMs: WAIT, what: `${count} worker(s) registered with the broker` });
  const echo: Handler = async (body) => body;

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    broker = undefined;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const w of workers.splice(0)) w.close();
    await broker?.close();
  });

  test('a round trip: the worker handles the body and the client gets the reply', async () => {
    broker = await startBroker(endpoint);
    worker('upper', async (body) => body.map((frame) => b(frame.toString().toUpperCase())));
    await workersRegistered(1);
    const reply = await client().request('upper', [b('hello'), b('world')]);
    assert.deepEqual(texts(reply), ['HELLO', 'WORLD']);
  });

  test('a worker stopped gracefully finishes the job it runs, its reply goes out, and its DISCONNECT unregisters it at once', async () => {
    // A broker that waits 20 heartbeats (600 ms) for a silent worker: only DISCONNECT unregisters it sooner.
    broker = await startBroker(endpoint, { heartbeatLiveness: 20 });
    let release!: () => void;
    let startedJob!: () => void;
    const started = new Promise<void>((resolve) => (startedJob = resolve));
    const stopped = worker('slow', async (body) => {
      startedJob();
      await new Promise<void>((done) => (release = done));
      return body;
    });
    await workersRegistered(1);
    const reply = client({ timeout: 2_000, attempts: 1 }).request('slow', [b('job')]);
    await started;
    const stopping = stopped.stop(1_000);
    await sleep(50);
    assert.equal(broker.stats().workers, 1, 'the worker stays registered while it finishes its job');
    release();
    await stopping;
    assert.deepEqual(texts(await reply), ['job']);
    await waitFor(() => broker?.stats().workers === 0, { timeoutMs: 300, what: 'the broker to drop the worker that said DISCONNECT' });
    assert.equal(broker.stats().requeued, 0, 'nothing was held when it left');
  });

  test('a call to a service with no workers fails definitely (service-unavailable) within callBound', async () => {
    broker = await startBroker(endpoint);
    const started = Date.now();
    await assert.rejects(client().request('nobody', [b('x')]), (error: unknown) => {
      assert.ok(error instanceof DefiniteFailure, `expected DefiniteFailure, got ${String(error)}`);
      assert.equal(error.code, 'service-unavailable');
      assert.equal(error.definite, true);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= callBound(CLIENT), `took ${elapsed} ms, bound ${callBound(CLIENT)} ms`);
    assert.equal(broker.stats().queued + broker.stats().dispatched, 0, 'the request itself must never have been sent');
  });

  test('with no broker running: DefiniteFailure broker-unreachable when checking the service', async () => {
    const started = Date.now();
    await assert.rejects(client().request('echo', [b('x')]), (error: unknown) => {
      assert.ok(error instanceof DefiniteFailure, `expected DefiniteFailure, got ${String(error)}`);
      assert.equal(error.code, 'broker-unreachable');
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CLIENT.attempts * CLIENT.timeout - 5, `gave up after ${elapsed} ms, before trying every attempt`);
    assert.ok(elapsed <= callBound(CLIENT), `took ${elapsed} ms, bound ${callBound(CLIENT)} ms`);
  });

  test('with no broker running and checkService off: IndefiniteFailure after every attempt', async () => {
    const options = { ...CLIENT, checkService: false };
    const started = Date.now();
    await assert.rejects(client(options).request('echo', [b('x')]), (error: unknown) => {
      assert.ok(error instanceof IndefiniteFailure, `expected IndefiniteFailure, got ${String(error)}`);
      assert.equal(error.definite, false);
      assert.equal(error.attempts, CLIENT.attempts);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CLIENT.attempts * CLIENT.timeout - 5, `gave up after ${elapsed} ms, before trying every attempt`);
    // callBound plus scheduling slack: each attempt's timer may fire a few ms late.
    assert.ok(elapsed <= callBound(options) + 150, `took ${elapsed} ms, bound ${callBound(options)} ms`);
  });

  test('the client recovers when the broker restarts on the same port', async () => {
    broker = await startBroker(endpoint);
    worker('echo', echo);
    await workersRegistered(1);
    const c = client({ attempts: 10, timeout: 200 });
    assert.deepEqual(texts(await c.request('echo', [b('before')])), ['before']);

    await broker.close();
    broker = undefined;
    // A call made while the broker is down: its first attempts time out; the broker comes back mid-call.
    const during = c.request('echo', [b('during')]);
    await sleep(300);
    broker = await startBroker(endpoint);
    assert.deepEqual(texts(await during), ['during']);
    assert.deepEqual(texts(await c.request('echo', [b('after')])), ['after']);
  });

  test('the worker registers again after the broker restarts and serves requests', async () => {
    broker = await startBroker(endpoint);
    const served: string[] = [];
    worker('echo', async (body) => {
      served.push(body[0].toString());
      return body;
    });
    await workersRegistered(1);
    assert.deepEqual(texts(await client().request('echo', [b('one')])), ['one']);

    await broker.close();
    await sleep(200); // down for longer than the worker's liveness window (3 x 30 ms)
    broker = await startBroker(endpoint);
    await workersRegistered(1);
    assert.deepEqual(texts(await client().request('echo', [b('two')])), ['two']);
    assert.deepEqual(served, ['one', 'two']);
  });

  test('a slow first attempt times out; the call returns the reply to its retry, and the next call gets its own body', async () => {
    broker = await startBroker(endpoint);
    let invocations = 0;
    worker('echo', async (body) => {
      invocations++;
      const invocation = invocations;
      if (invocation === 1) await sleep(320); // longer than one attempt (200 ms)
      return [body[0], b(`invocation-${invocation}`)];
    });
    await workersRegistered(1);
    const c = client();

    const first = await c.request('echo', [b('one')]);
    assert.equal(first[0].toString(), 'one', 'the call got a reply that is not for its body');
    assert.ok(invocations >= 2, `the handler ran ${invocations} time(s): the first attempt did not time out, so nothing was tested`);
    assert.notEqual(first[1].toString(), 'invocation-1', 'the reply to the timed-out attempt came back (its socket should be gone)');

    const second = await c.request('echo', [b('two')]);
    assert.equal(second[0].toString(), 'two', `the second call got ${texts(second).join('|')}`);
    assert.equal(second[1].toString(), `invocation-${invocations}`);
  });

  test('a reply to a call that gave up is never returned for the next call on the same client', async () => {
    broker = await startBroker(endpoint);
    let invocations = 0;
    worker('echo', async (body) => {
      invocations++;
      if (invocations === 1) await sleep(300); // answers ~100 ms after the call's only attempt gave up
      return body;
    });
    await workersRegistered(1);
    const c = client({ attempts: 1, timeout: 200 });

    await assert.rejects(c.request('echo', [b('one')]), IndefiniteFailure);
    // Sent while the worker still runs "one": the late reply to "one" reaches the broker first,
    // during this call's attempt. Were it read on this socket, this call would return "one".
    const next = await c.request('echo', [b('two')]);
    assert.deepEqual(texts(next), ['two']);
    assert.equal(invocations, 2);
  });

  test('a handler that throws does not wedge the worker: the request is given back, retried, and later requests are served', async () => {
    broker = await startBroker(endpoint);
    const seen: string[] = [];
    worker('flaky', async (body) => {
      const job = body[0].toString();
      seen.push(job);
      if (job === 'boom' && seen.filter((j) => j === 'boom').length === 1) throw new Error('transient failure');
      return body;
    });
    await workersRegistered(1);
    const c = client({ attempts: 1, timeout: 1_000 });
    assert.deepEqual(texts(await c.request('flaky', [b('boom')])), ['boom']);
    assert.deepEqual(texts(await c.request('flaky', [b('fine')])), ['fine']);
    assert.deepEqual(seen, ['boom', 'boom', 'fine']);
  });

  test('a request whose handler always fails is retried ever more slowly until the broker expires it; then the worker serves again', async () => {
    broker = await startBroker(endpoint, { requestExpiry: 300 });
    let poisonRuns = 0;
    worker('flaky', async (body) => {
      if (body[0].toString() === 'poison') {
        poisonRuns++;
        throw new Error('always fails');
      }
      return body;
    });
    await workersRegistered(1);
    await assert.rejects(client({ attempts: 1, timeout: 200 }).request('flaky', [b('poison')]), IndefiniteFailure);
    await waitFor(() => broker?.stats().expiredRequests === 1, { timeoutMs: WAIT, what: 'the broker to expire the poison request' });
    // Back-to-back retries would run it every few ms (~40 times in 300 ms); spaced out (10..50 ms) far fewer.
    assert.ok(poisonRuns >= 2 && poisonRuns <= 20, `the poison request ran ${poisonRuns} times`);
    await workersRegistered(1);
    assert.deepEqual(texts(await client({ attempts: 3, timeout: 500 }).request('flaky', [b('fine')])), ['fine']);
  });
});
