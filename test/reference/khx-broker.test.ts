import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../reference/broker';
import {
  encodeClientRequest,
  encodeDisconnect,
  encodeJobRequest,
  encodeReady,
  encodeReply,
  KHX_EXTENSION,
} from '../../reference/mdp/codec';
import { waitFor } from '../../harness/util/wait-for';
import { expectJobReplyWithin, expectRequestWithin, freeEndpoint, rawPeers, RawMdpPeer, startBroker, texts } from './helpers';

/**
 * The KHX/1 side of the reference broker (docs/protocol.md) over real sockets, with hand-made
 * frames: job ids, the journal before every acknowledgement, RECORDED, the result grace, 410.
 */
const HEARTBEAT = 30;
const LIVENESS_MS = HEARTBEAT * 3;
const WAIT = 1_500;
const QUIET = 150;

const expectJobReply = (peer: RawMdpPeer, what: string, timeoutMs = WAIT) => expectJobReplyWithin(peer, what, timeoutMs);
const expectRequest = (worker: RawMdpPeer, what: string) => expectRequestWithin(worker, what, WAIT);

describe('reference broker: KHX/1 exactly-once extension', () => {
  let endpoint: string;
  let dir: string;
  let broker: Broker;
  const { peer, closeAll: closePeers } = rawPeers(() => endpoint);

  const start = (options: Partial<BrokerOptions> = {}): Promise<Broker> =>
    startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, requestExpiry: 5_000, journal: path.join(dir, 'broker.journal'), ...options });

  /** A raw worker that declared KHX/1 (or not), heartbeats, and has read the broker's welcome. */
  const registeredWorker = async (khx = true, instance?: string): Promise<RawMdpPeer> => {
    const worker = peer();
    await worker.send(encodeReady('echo', khx ? [KHX_EXTENSION, ...(instance ? [instance] : [])] : []));
    worker.startHeartbeats(HEARTBEAT);
    if (khx) {
      const welcome = await worker.expectAsWorker(WAIT, 'the RECORDED welcome');
      assert.deepEqual(welcome, { kind: 'recorded', jobs: [] }, 'a KHX/1 worker is welcomed with an empty RECORDED');
    }
    return worker;
  };

  /**
   * Restarts the broker with `resultGrace`, sends job `job` to a first KHX/1 worker (declaring
   * `instance`, if given) and silences that worker once it has the REQUEST.
   */
  const jobHeldBySilentWorker = async (resultGrace: number, job: string, instance?: string) => {
    await broker.close();
    broker = await start({ resultGrace });
    const first = await registeredWorker(true, instance);
    const client = peer();
    await client.send(encodeJobRequest('echo', job, [Buffer.from('x')]));
    const request = await expectRequest(first, 'REQUEST at the first worker');
    first.stopHeartbeats();
    return { first, client, request };
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    dir = await mkdtemp(path.join(tmpdir(), 'keelhaul-khx-'));
    broker = await start();
  });

  afterEach(async () => {
    closePeers();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('plain requests served by a KHX/1 worker are answered at once, and RECORDED names each of them, gathered', async () => {
    const worker = await registeredWorker();
    const client = peer();
    const addresses: string[] = [];
    const recorded: string[] = [];
    // A batch goes out RECORDED_DELAY_MS after a reply: on a loaded machine that is before the next
    // REQUEST reaches the worker, so RECORDEDs met while waiting for one are kept, not skipped.
    const nextRequest = async (what: string): Promise<{ client: Buffer; body: Buffer[] }> => {
      for (;;) {
        const message = await worker.expectAsWorker(WAIT, what);
        if (message.kind === 'request') return message;
        assert.equal(message.kind, 'recorded', `expected REQUEST or RECORDED (${what})`);
        if (message.kind === 'recorded') recorded.push(...message.jobs.map((job) => job.toString('hex')));
      }
    };
    for (let i = 0; i < 3; i++) {
      await client.send(encodeClientRequest('echo', [Buffer.from(`plain-${i}`)]));
      const request = await nextRequest(`REQUEST for plain request ${i}`);
      assert.equal(request.client[0], 0, 'a plain request gets a broker-made address (0x00 and random bytes)');
      addresses.push(request.client.toString('hex'));
      await worker.send(encodeReply(request.client, request.body));
      assert.deepEqual(texts((await client.expectAsClient(WAIT, `the reply to plain request ${i}`)).body), [`plain-${i}`]);
    }
    while (recorded.length < addresses.length) {
      const message = await worker.expectAsWorker(WAIT, `RECORDED for the plain requests (have ${recorded.length} of ${addresses.length})`);
      assert.equal(message.kind, 'recorded');
      if (message.kind === 'recorded') recorded.push(...message.jobs.map((job) => job.toString('hex')));
    }
    assert.deepEqual(recorded.sort(), [...addresses].sort());
  });

  test('a job runs once: its id is the envelope, the reply is 200, and a retry is answered from the record', async () => {
    const worker = await registeredWorker();
    const client = peer();
    await client.send(encodeJobRequest('echo', 'job-1', [Buffer.from('payload')]));
    const request = await expectRequest(worker, 'REQUEST for job-1');
    assert.equal(request.client.toString(), 'job-1', 'KHX/1 puts the job id in the envelope');
    await worker.send(encodeReply(request.client, [Buffer.from('result-1')]));
    assert.deepEqual(await worker.expectAsWorker(WAIT, 'RECORDED for job-1'), { kind: 'recorded', jobs: [Buffer.from('job-1')] });
    const reply = await expectJobReply(client, 'the answer to job-1');
    assert.deepEqual({ ...reply, body: texts(reply.body) }, { service: 'echo', job: 'job-1', status: '200', body: ['result-1'] });

    // The same id again, from another socket: answered from the record, never dispatched.
    const retry = peer();
    await retry.send(encodeJobRequest('echo', 'job-1', [Buffer.from('payload')]));
    const again = await expectJobReply(retry, 'the answer to the retry');
    assert.equal(again.status, '200');
    assert.deepEqual(texts(again.body), ['result-1']);
    assert.equal(await worker.receiveAsWorker(QUIET), undefined, 'the retry reached a worker');
    assert.equal(broker.stats().dispatched, 1);
    assert.equal(broker.stats().deduplicated, 1);
  });

  test('a retry while the job runs gets 202, and the result goes to the socket that asked last', async () => {
    const worker = await registeredWorker();
    const first = peer();
    await first.send(encodeJobRequest('echo', 'job-2', [Buffer.from('x')]));
    const request = await expectRequest(worker, 'REQUEST for job-2');
    const second = peer();
    await second.send(encodeJobRequest('echo', 'job-2', [Buffer.from('x')]));
    assert.equal((await expectJobReply(second, '202 for the retry')).status, '202');
    await worker.send(encodeReply(request.client, [Buffer.from('done')]));
    const reply = await expectJobReply(second, 'the result at the retrying socket');
    assert.equal(reply.status, '200');
    assert.equal(await first.receive(QUIET), undefined, 'the first socket got an answer too');
    assert.equal(broker.stats().dispatched, 1);
  });

  test('a pending job survives a broker restart: it is recovered from the journal and dispatched once', async () => {
    const client = peer();
    await client.send(encodeJobRequest('echo', 'job-3', [Buffer.from('x')]));
    await waitFor(() => broker.stats().store.pending === 1, { timeoutMs: WAIT, what: 'job-3 to be journaled' });
    await broker.close();
    broker = await start({ resultGrace: 100 });
    assert.equal(broker.stats().recovered, 1);
    const worker = await registeredWorker();
    const request = await expectRequest(worker, 'the recovered job at a worker');
    assert.equal(request.client.toString(), 'job-3');
    await worker.send(encodeReply(request.client, [Buffer.from('late but once')]));
    // RECORDED follows the durable write: the store's in-memory count drops before that, and a retry
    // in between is (rightly) told 202 first, which under load it was.
    assert.deepEqual(await worker.expectAsWorker(WAIT, 'RECORDED for job-3'), { kind: 'recorded', jobs: [Buffer.from('job-3')] });
    const retry = peer();
    await retry.send(encodeJobRequest('echo', 'job-3', [Buffer.from('x')]));
    assert.deepEqual(texts((await expectJobReply(retry, 'the recorded result')).body), ['late but once']);
  });

  test('a completed job survives a broker restart: the retry is answered without running it', async () => {
    const worker = await registeredWorker();
    const client = peer();
    await client.send(encodeJobRequest('echo', 'job-4', [Buffer.from('x')]));
    const request = await expectRequest(worker, 'REQUEST');
    await worker.send(encodeReply(request.client, [Buffer.from('first and only')]));
    await expectJobReply(client, 'the answer');
    await broker.close();
    broker = await start();
    const after = await registeredWorker();
    const retry = peer();
    await retry.send(encodeJobRequest('echo', 'job-4', [Buffer.from('x')]));
    assert.deepEqual(texts((await expectJobReply(retry, 'the answer after restart')).body), ['first and only']);
    assert.equal(await after.receiveAsWorker(QUIET), undefined, 'the job ran again after the restart');
  });

  test('a KHX/1 worker that falls silent keeps its job out of other hands for the result grace, then hands the result in', async () => {
    const { first, client, request } = await jobHeldBySilentWorker(1_000, 'job-5', 'instance-5');
    const second = await registeredWorker();
    await waitFor(() => broker.stats().requeued === 1, { timeoutMs: WAIT, what: 'the silent worker to expire' });
    assert.equal(await second.receiveAsWorker(LIVENESS_MS * 2), undefined, 'the job went to another worker within the grace');
    // The first worker comes back on a new socket with the same instance id, as the reference worker
    // does, and hands in its result (only the instance the job went to may: docs/security.md).
    first.close();
    const back = await registeredWorker(true, 'instance-5');
    await back.send(encodeReply(request.client, [Buffer.from('from the first run')]));
    const reply = await expectJobReply(client, 'the handed-in result');
    assert.deepEqual(texts(reply.body), ['from the first run']);
    assert.equal(await second.receiveAsWorker(QUIET), undefined, 'the job ran again after its result was recorded');
  });

  test('within the grace, the job goes back to the worker that held it when it returns on a new connection, and only to it', async () => {
    const { first, client } = await jobHeldBySilentWorker(5_000, 'job-10', 'instance-1');
    const other = await registeredWorker(true, 'instance-2');
    await waitFor(() => broker.stats().requeued === 1, { timeoutMs: WAIT, what: 'the silent worker to expire' });
    first.close();
    const back = await registeredWorker(true, 'instance-1');
    const again = await expectRequest(back, 'the job given back to its worker');
    assert.equal(again.client.toString(), 'job-10');
    await back.send(encodeReply(again.client, [Buffer.from('once')]));
    assert.deepEqual(texts((await expectJobReply(client, 'the answer')).body), ['once']);
    assert.equal(await other.receiveAsWorker(QUIET), undefined, 'another worker got the job within the grace');
  });

  test('after the grace the job goes to another worker, and a late result of the first run is not answered twice', async () => {
    const { first, client, request: held } = await jobHeldBySilentWorker(60, 'job-6');
    const second = await registeredWorker();
    const rerun = await expectRequest(second, 'the job at the second worker after the grace');
    await second.send(encodeReply(rerun.client, [Buffer.from('second')]));
    assert.equal((await expectJobReply(client, 'the answer')).status, '200');
    first.close();
    const back = await registeredWorker();
    await back.send(encodeReply(held.client, [Buffer.from('first, late')]));
    assert.deepEqual(await back.expectAsWorker(WAIT, 'RECORDED for the late result'), { kind: 'recorded', jobs: [Buffer.from('job-6')] });
    assert.equal(await client.receive(QUIET), undefined, 'the client got a second answer');
  });

  test('a job no worker ever took expires with 410, durably: a retry, even after a restart, gets 410 too', async () => {
    await broker.close();
    broker = await start({ requestExpiry: 80 });
    const client = peer();
    await client.send(encodeJobRequest('nobody', 'job-7', [Buffer.from('x')]));
    const reply = await expectJobReply(client, '410');
    assert.equal(reply.status, '410');
    await broker.close();
    broker = await start();
    const retry = peer();
    await retry.send(encodeJobRequest('nobody', 'job-7', [Buffer.from('x')]));
    assert.equal((await expectJobReply(retry, '410 after restart')).status, '410');
  });

  test('a job given back by a KHX/1 worker (DISCONNECT) may still expire; one a silent worker held never does', async () => {
    await broker.close();
    broker = await start({ requestExpiry: 150, resultGrace: 5_000 });
    const giver = await registeredWorker();
    const silent = await registeredWorker();
    const a = peer();
    const b = peer();
    await a.send(encodeJobRequest('echo', 'job-given-back', [Buffer.from('x')]));
    await b.send(encodeJobRequest('echo', 'job-held', [Buffer.from('x')]));
    const first = await expectRequest(giver, 'a job at one worker');
    await expectRequest(silent, 'a job at the other');
    giver.stopHeartbeats();
    await giver.send(encodeDisconnect());
    silent.stopHeartbeats();
    const givenBack = first.client.toString() === 'job-given-back' ? a : b;
    const held = givenBack === a ? b : a;
    assert.equal((await expectJobReply(givenBack, '410 for the job given back unrun')).status, '410');
    assert.equal(await held.receive(400), undefined, 'a job that may have run was declared expired');
  });

  test('bad job ids get 400 and are not accepted', async () => {
    const client = peer();
    await client.send(encodeJobRequest('echo', Buffer.from([0x61, 0x00]), [Buffer.from('x')]));
    const reply = await expectJobReply(client, '400');
    assert.equal(reply.status, '400');
    assert.match(texts(reply.body)[0], /non-printable byte 0x00/);
    await client.send(encodeJobRequest('mmi.service', 'job-8', [Buffer.from('echo')]));
    assert.equal((await expectJobReply(client, '400 for mmi')).status, '400');
    assert.equal(broker.stats().store.jobs, 0);
  });

  test('a plain 7/MDP worker serves KHX/1 jobs (no RECORDED for it) and a plain client is served beside them', async () => {
    const plain = await registeredWorker(false);
    const client = peer();
    await client.send(encodeJobRequest('echo', 'job-9', [Buffer.from('x')]));
    const request = await expectRequest(plain, 'REQUEST at the plain worker');
    await plain.send(encodeReply(request.client, [Buffer.from('plain result')]));
    assert.deepEqual(texts((await expectJobReply(client, 'the answer')).body), ['plain result']);
    assert.equal(await plain.receiveAsWorker(QUIET), undefined, 'a plain worker got a KHX/1 command');
  });
});
