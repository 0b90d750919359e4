import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Router } from 'zeromq';
import type { Broker } from '../../reference/broker';
import { DefiniteFailure, IndefiniteFailure, MajordomoClient, type ClientOptions } from '../../reference/client';
import { decodeAtBroker, encodeClientReply } from '../../reference/mdp/codec';
import { MajordomoWorker, type Handler } from '../../reference/worker';
import { waitFor } from '../../harness/util/wait-for';
import { endpointAndDirPerTest } from '../support/endpoint-and-dir';
import { sleep, startBroker, texts } from './helpers';

/**
 * KHX/1 end to end with the reference client, worker and a journaled broker, in process on real
 * sockets: a job runs once through a broker restart, and a client degrades to plain 7/MDP.
 */
const CLIENT: Omit<ClientOptions, 'broker' | 'logger'> = {
  timeout: 300,
  attempts: 12,
  backoffInitial: 10,
  backoffMax: 50,
  checkService: true,
  serviceCheckTtl: 1_000,
};
const WORKER = { heartbeatInterval: 30, heartbeatLiveness: 3, reconnectInitial: 10, reconnectMax: 50 } as const;
const BROKER = { heartbeatInterval: 30, heartbeatLiveness: 3, requestExpiry: 5_000, resultGrace: 500 } as const;
const WAIT = 3_000;

describe('KHX/1: reference client + worker + journaled broker', () => {
  let broker: Broker | undefined;
  const closers: (() => unknown)[] = [];
  const fresh = endpointAndDirPerTest('keelhaul-eo-', async () => {
    for (const close of closers.splice(0)) await close();
    await broker?.close();
    broker = undefined;
  });

  const client = (): MajordomoClient => {
    const created = new MajordomoClient({ ...CLIENT, broker: fresh.endpoint });
    closers.push(() => created.close());
    return created;
  };
  const worker = (handler: Handler): MajordomoWorker => {
    const created = new MajordomoWorker({ ...WORKER, broker: fresh.endpoint, service: 'echo', handler });
    closers.push(() => created.close());
    created.start();
    return created;
  };
  const journaled = () => startBroker(fresh.endpoint, { ...BROKER, journal: path.join(fresh.dir, 'journal') });

  test('a job whose worker finishes while the broker is down is answered once, by that run, after the restart', async () => {
    broker = await journaled();
    let runs = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    worker(async (body) => {
      runs++;
      started();
      await sleep(250);
      return [Buffer.from(`run ${runs}`), ...body];
    });
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    const call = client().request('echo', [Buffer.from('job-a')], { job: 'job-a' });
    await running;
    await broker.close(); // the broker goes away while the job runs; the result has nowhere to go
    broker = undefined;
    await sleep(300);
    broker = await journaled();
    assert.equal(broker.stats().recovered, 1, 'the pending job was recovered from the journal');
    const reply = await call;
    assert.deepEqual(texts(reply), ['run 1', 'job-a']);
    assert.equal(runs, 1, 'the job ran more than once');
  });

  test('the same job id sent again by another client is answered from the record, not run', async () => {
    broker = await journaled();
    let runs = 0;
    worker(async (body) => {
      runs++;
      return body;
    });
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    assert.deepEqual(texts(await client().request('echo', [Buffer.from('first')], { job: 'job-b' })), ['first']);
    // A different body under the same id: still the same job, so still the first reply.
    assert.deepEqual(texts(await client().request('echo', [Buffer.from('second')], { job: 'job-b' })), ['first']);
    assert.equal(runs, 1);
  });

  test('a job to a service with no worker ends in a definite failure once the broker gives up on it (410)', async () => {
    broker = await startBroker(fresh.endpoint, { ...BROKER, requestExpiry: 100, journal: path.join(fresh.dir, 'journal') });
    const lonely = new MajordomoClient({ ...CLIENT, checkService: false, broker: fresh.endpoint });
    closers.push(() => lonely.close());
    await assert.rejects(lonely.request('nobody', [Buffer.from('x')], { job: 'job-c' }), (error: unknown) => {
      assert.ok(error instanceof DefiniteFailure);
      assert.equal(error.code, 'expired');
      return true;
    });
  });

  test('an accepted job whose answer never comes ends indefinite, marked accepted', async () => {
    broker = await journaled();
    worker(async () => new Promise<never>(() => undefined)); // takes the job and never finishes
    await waitFor(() => broker?.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    const impatient = new MajordomoClient({ ...CLIENT, attempts: 3, timeout: 150, broker: fresh.endpoint });
    closers.push(() => impatient.close());
    await assert.rejects(impatient.request('echo', [Buffer.from('x')], { job: 'job-d' }), (error: unknown) => {
      assert.ok(error instanceof IndefiniteFailure);
      assert.equal(error.accepted, true, 'a retry of a pending job is answered 202, so the client knows it was accepted');
      return true;
    });
  });

  test('against a broker without KHX/1 (mmi.khx answers 501) the client sends plain 7/MDP requests', async () => {
    // A minimal plain broker: 8/MMI answers 501 to mmi.khx, and it echoes every other request itself.
    const plain = new Router({ linger: 0 });
    await plain.bind(fresh.endpoint);
    closers.push(() => plain.close());
    const seen: string[] = [];
    void (async () => {
      for await (const [identity, ...frames] of plain) {
        const message = decodeAtBroker(frames);
        if (message.kind !== 'client-request') continue;
        seen.push(message.service);
        const answer = message.service.startsWith('mmi.') ? (message.service === 'mmi.service' ? '200' : '501') : message.body[0].toString();
        await plain.send([identity, ...encodeClientReply(message.service, [Buffer.from(answer)])]);
      }
    })().catch(() => undefined);
    assert.deepEqual(texts(await client().request('echo', [Buffer.from('plain please')], { job: 'job-e' })), ['plain please']);
    assert.deepEqual(seen, ['mmi.khx', 'mmi.service', 'echo'], 'after 501 the job went out as a plain MDPC01 request');
  });
});
