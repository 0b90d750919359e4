import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../reference/broker';
import { encodeClientRequest, encodeDisconnect, encodeLate, encodeReady, encodeReply, encodeTimedJobRequest, KHT_EXTENSION, KHX_EXTENSION, KhxStatus, type WorkerInbound } from '../../reference/mdp/codec';
import { KHT_MMI_SERVICE } from '../../reference/mdp/mmi';
import { encodeControlAck, KHC_EXTENSION } from '../../reference/mdp/control-codec';
import { parseProcessingTimeout } from '../../reference/broker/processing-timeout';
import { expectJobReplyWithin, expectRequestWithin, freeEndpoint, rawPeers, sleep, startBroker, type RawMdpPeer } from '../reference/helpers';

/**
 * The reference broker's KHT/1 timed jobs (docs/protocol.md, "Timed jobs") over real sockets, raw
 * peers playing clients and workers: the deadline travels to a KHT/1 worker, a timed job is never
 * dispatched twice (lost holder, processing timeout: 504), a late one is never dispatched (410), and a
 * restart forgets it.
 */
const HEARTBEAT = 30;
const WAIT = 2_000;

describe('reference broker: KHT/1 timed jobs', () => {
  let endpoint: string;
  let dir: string;
  let broker: Broker;
  const { peer, closeAll } = rawPeers(() => endpoint);

  const start = (options: Partial<BrokerOptions> = {}): Promise<Broker> =>
    startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, journal: path.join(dir, 'journal'), resultGrace: 100, ...options });

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    dir = await mkdtemp(path.join(tmpdir(), 'keelhaul-timed-'));
    broker = await start();
  });

  afterEach(async () => {
    closeAll();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A worker that heartbeats: KHT/1 (with KHX/1 and an instance id, and KHC/1 if asked), or plain 7/MDP. */
  const worker = async (instance?: string, khc = false): Promise<RawMdpPeer> => {
    const created = peer();
    await created.send(encodeReady('step', instance === undefined ? [] : [KHX_EXTENSION, instance, ...(khc ? [KHC_EXTENSION] : []), KHT_EXTENSION]));
    created.startHeartbeats(HEARTBEAT);
    if (instance !== undefined) assert.deepEqual(await created.expectAsWorker(WAIT, 'the RECORDED welcome'), { kind: 'recorded', jobs: [] });
    if (khc) assert.deepEqual(await created.expectAsWorker(WAIT, 'the control welcome'), { kind: 'control' });
    return created;
  };

  const submit = async (job: string, inMs: number): Promise<{ client: RawMdpPeer; deadline: number }> => {
    const client = peer();
    const deadline = Date.now() + inMs;
    await client.send(encodeTimedJobRequest('step', job, deadline, [Buffer.from(job)]));
    return { client, deadline };
  };

  const nothingFor = async (at: RawMdpPeer, ms: number, what: string): Promise<void> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const message: WorkerInbound | undefined = await at.receiveAsWorker(deadline - Date.now());
      if (message === undefined) return;
      assert.equal(message.kind, 'recorded', `${what}: got ${JSON.stringify(message)}`);
    }
  };

  test('mmi.kht answers 200; a KHT/1 worker gets the deadline with the job, a plain worker a plain REQUEST; the result is a 200 job reply', async () => {
    const asker = peer();
    await asker.send(encodeClientRequest(KHT_MMI_SERVICE, [Buffer.from('KHT/1')]));
    assert.equal((await asker.expectAsClient(WAIT, 'the mmi.kht answer')).body[0]?.toString(), '200');
    const timed = await worker('w-kht');
    const { client, deadline } = await submit('t-1', 2_000);
    const request = await expectRequestWithin(timed, 'the timed request', WAIT);
    assert.equal(request.client.toString(), 't-1');
    assert.equal((request as { deadline?: number }).deadline, deadline);
    await timed.send(encodeReply(request.client, [Buffer.from('done')]));
    const reply = await expectJobReplyWithin(client, 'the answer', WAIT);
    assert.deepEqual([reply.status, reply.body[0]?.toString()], [KhxStatus.Done, 'done']);
    await timed.send(encodeDisconnect());
    timed.close();
    const plain = await worker();
    await submit('t-2', 2_000);
    const plainRequest = await expectRequestWithin(plain, 'the request at a plain worker', WAIT);
    assert.equal((plainRequest as { deadline?: number }).deadline, undefined);
  });

  test('queued with no worker: 410 just before the deadline, and never dispatched to a worker that comes later', async () => {
    const { client, deadline } = await submit('t-3', 300);
    const reply = await expectJobReplyWithin(client, 'the 410', WAIT);
    assert.equal(reply.status, KhxStatus.Expired);
    assert.ok(Date.now() < deadline, `answered ${Date.now() - deadline} ms after the deadline`);
    const late = await worker('w-late');
    await nothingFor(late, 200, 'a worker registered after the deadline');
    assert.equal(broker.stats().timedExpired, 1);
  });

  test('a request already past its deadline is answered 410 and never queued', async () => {
    const { client } = await submit('t-4', -5);
    assert.equal((await expectJobReplyWithin(client, 'the 410', WAIT)).status, KhxStatus.Expired);
    assert.equal(broker.stats().queued, 0);
  });

  test('the holder lost (silent): 504, and the job goes to no other worker', async () => {
    const holder = await worker('w-1');
    const { client } = await submit('t-5', 3_000);
    await expectRequestWithin(holder, 'the timed request', WAIT);
    const other = await worker('w-2');
    holder.stopHeartbeats();
    const reply = await expectJobReplyWithin(client, 'the 504', WAIT);
    assert.equal(reply.status, KhxStatus.GivenUp);
    await nothingFor(other, 300, 'the job was dispatched again');
    assert.equal(broker.stats().timedGivenUp, 1);
  });

  test('a processing timeout on a timed job: 504 (failed for give-up), never run elsewhere, the worker disabled until it reports', async () => {
    await broker.close();
    broker = await start({ processingTimeouts: parseProcessingTimeout('step=150') });
    const holder = await worker('w-1');
    const { client } = await submit('t-6', 3_000);
    const request = await expectRequestWithin(holder, 'the timed request', WAIT);
    const other = await worker('w-2');
    assert.equal((await expectJobReplyWithin(client, 'the 504', WAIT)).status, KhxStatus.GivenUp);
    await nothingFor(other, 200, 'the job was dispatched again');
    assert.equal(broker.stats().processingTimeouts, 1);
    await holder.send(encodeReply(request.client, [Buffer.from('late')]));
    await sleep(50);
    assert.equal(broker.stats().orphans, 1, 'its late result is an orphan');
  });

  test('a KHC/1 worker past the processing timeout on a timed job: 504, CONTROL KILL once, and its ack `killed` frees it for the next job', async () => {
    await broker.close();
    broker = await start({ processingTimeouts: parseProcessingTimeout('step=150') });
    const holder = await worker('w-khc', true);
    const { client } = await submit('t-10', 3_000);
    const request = await expectRequestWithin(holder, 'the timed request', WAIT);
    assert.equal((await expectJobReplyWithin(client, 'the 504', WAIT)).status, KhxStatus.GivenUp);
    const kill = await holder.expectAsWorker(WAIT, 'CONTROL KILL');
    assert.ok(kill.kind === 'control' && kill.instruction === 'KILL' && kill.job.equals(request.client), JSON.stringify(kill));
    await submit('t-11', 3_000);
    await nothingFor(holder, 200, 'a job went to the worker before it acked the kill');
    await holder.send(encodeControlAck({ kind: 'control-ack', instruction: 'KILL', job: request.client, outcome: 'killed' }));
    assert.equal((await expectRequestWithin(holder, 'the next job', WAIT)).client.toString(), 't-11');
  });

  test('LATE from the worker: 410 (it never ran), and the worker takes the next job', async () => {
    const holder = await worker('w-1');
    const { client } = await submit('t-7', 3_000);
    const request = await expectRequestWithin(holder, 'the timed request', WAIT);
    await holder.send(encodeLate(request.client));
    assert.equal((await expectJobReplyWithin(client, 'the 410', WAIT)).status, KhxStatus.Expired);
    await submit('t-8', 3_000);
    assert.equal((await expectRequestWithin(holder, 'the next job', WAIT)).client.toString(), 't-8');
  });

  test('a restart forgets timed jobs (never journaled): none is dispatched after it', async () => {
    await submit('t-9', 3_000);
    await sleep(50);
    await broker.close();
    broker = await start();
    const after = await worker('w-after');
    await nothingFor(after, 300, 'a timed job dispatched after a restart');
    assert.equal(broker.stats().recovered, 0);
  });
});
