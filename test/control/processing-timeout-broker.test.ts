import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../reference/broker';
import { encodeJobRequest, encodeReady, encodeReply, KHX_EXTENSION, type Frame, type WorkerInbound } from '../../reference/mdp/codec';
import { encodeControlAck, KHC_EXTENSION, type KillAck } from '../../reference/mdp/control-codec';
import { parseProcessingTimeout, processingTimeoutFor } from '../../reference/broker/processing-timeout';
import { expectJobReplyWithin, expectRequestWithin, freeEndpoint, rawPeers, RawMdpPeer, startBroker, texts } from '../reference/helpers';

/**
 * The reference broker's per-service processing timeout (docs/protocol.md, KHX/1 broker rule 9) over
 * real sockets: raw DEALERs play workers that heartbeat but sit on a job, and the clients.
 */
const HEARTBEAT = 30;
const PROCESSING_TIMEOUT = 250;
const WAIT = 2_000;
const QUIET = 200;

const ack = (address: Frame, outcome: KillAck) => encodeControlAck({ kind: 'control-ack', instruction: 'KILL', job: address, outcome });

/** The next message at a worker other than HEARTBEAT and RECORDED, or undefined when none comes within `timeoutMs`. */
async function nextInstruction(worker: RawMdpPeer, timeoutMs: number): Promise<WorkerInbound | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await worker.receiveAsWorker(deadline - Date.now());
    if (message === undefined || message.kind !== 'recorded') return message;
  }
}

async function expectKill(worker: RawMdpPeer, address: Frame, what: string, timeoutMs = WAIT): Promise<void> {
  const message = await nextInstruction(worker, timeoutMs);
  assert.ok(message?.kind === 'control' && message.instruction === 'KILL' && message.job.equals(address), `${what}: got ${JSON.stringify(message) ?? 'nothing'}`);
}

async function expectNothing(worker: RawMdpPeer, what: string, timeoutMs = QUIET): Promise<void> {
  const message = await nextInstruction(worker, timeoutMs);
  assert.equal(message, undefined, `${what}: got ${JSON.stringify(message)}`);
}

describe('processing timeout: parsing --processing-timeout', () => {
  test('<ms> sets the default, <service>=<ms> one service, and the service form wins', () => {
    const timeouts = parseProcessingTimeout('echo=2000', parseProcessingTimeout('500'));
    assert.equal(processingTimeoutFor(timeouts, 'echo'), 2000);
    assert.equal(processingTimeoutFor(timeouts, 'other'), 500);
    assert.equal(processingTimeoutFor(parseProcessingTimeout('a=b=7'), 'a=b'), 7, 'the last "=" splits');
    assert.equal(processingTimeoutFor(parseProcessingTimeout('echo=1'), 'other'), undefined, 'no default: off for other services');
  });

  test('anything else is a precise error', () => {
    for (const bad of ['', '0', '-5', '1.5', 'soon', 'echo=', '=100', 'echo=0']) assert.throws(() => parseProcessingTimeout(bad), /expected/, `"${bad}" was accepted`);
  });
});

describe('reference broker: processing timeout', () => {
  let endpoint: string;
  let dir: string;
  let broker: Broker;
  const { peer, closeAll: closePeers } = rawPeers(() => endpoint);

  const start = (options: Partial<BrokerOptions> = {}): Promise<Broker> =>
    startBroker(endpoint, {
      heartbeatInterval: HEARTBEAT,
      heartbeatLiveness: 3,
      requestExpiry: 5_000,
      journal: path.join(dir, 'broker.journal'),
      processingTimeouts: parseProcessingTimeout(`echo=${PROCESSING_TIMEOUT}`),
      ...options,
    });

  /** A raw worker that heartbeats; with `instance` a KHC/1 worker that has read both welcomes, without it a plain 7/MDP worker. */
  const worker = async (instance?: string, service = 'echo'): Promise<RawMdpPeer> => {
    const created = peer();
    await created.send(encodeReady(service, instance === undefined ? [] : [KHX_EXTENSION, instance, KHC_EXTENSION]));
    created.startHeartbeats(HEARTBEAT);
    if (instance !== undefined) {
      assert.deepEqual(await created.expectAsWorker(WAIT, 'the RECORDED welcome'), { kind: 'recorded', jobs: [] });
      assert.deepEqual(await created.expectAsWorker(WAIT, 'the control welcome'), { kind: 'control' });
    }
    return created;
  };

  const submit = async (job: string): Promise<RawMdpPeer> => {
    const client = peer();
    await client.send(encodeJobRequest('echo', job, [Buffer.from(`payload of ${job}`)]));
    return client;
  };

  const expectRequest = async (to: RawMdpPeer, job: string, what: string): Promise<Frame> => {
    const request = await expectRequestWithin(to, what, WAIT);
    assert.equal(request.client.toString(), job, `${what}: the REQUEST names another job`);
    return request.client;
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    dir = await mkdtemp(path.join(tmpdir(), 'keelhaul-processing-timeout-'));
    broker = await start();
  });

  afterEach(async () => {
    closePeers();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a KHC/1 worker past the timeout is told to KILL (repeated until it acks); only after `killed` does the job go to another worker', async () => {
    const stuck = await worker('stuck');
    const client = await submit('t-1');
    const address = await expectRequest(stuck, 't-1', 'the REQUEST at the first worker');
    const dispatchedAt = Date.now();
    const other = await worker('other');
    await expectKill(stuck, address, 'CONTROL KILL after the processing timeout');
    assert.ok(Date.now() - dispatchedAt >= PROCESSING_TIMEOUT, `KILL ${Date.now() - dispatchedAt} ms after the dispatch, before the ${PROCESSING_TIMEOUT} ms timeout`);
    await expectKill(stuck, address, 'CONTROL KILL repeated on the next tick');
    await expectNothing(other, 'the job went to another worker before the stuck one acked');
    assert.equal(broker.stats().processingTimeouts, 1);
    await stuck.send(ack(address, 'killed'));
    const again = await expectRequest(other, 't-1', 'the re-queued job at the other worker');
    await other.send(encodeReply(again, [Buffer.from('t-1'), Buffer.from('done elsewhere')]));
    const reply = await expectJobReplyWithin(client, 'the 200', WAIT);
    assert.equal(reply.status, '200');
    assert.deepEqual(texts(reply.body), ['t-1', 'done elsewhere']);
    assert.equal(broker.stats().processingTimeouts, 1, 'the timeout struck more than once');
  });

  test('a plain worker past the timeout: the job is re-queued at once (at-least-once), the first result wins, and the worker gets no job until it reports done', async () => {
    const stuck = await worker();
    const first = await submit('p-1');
    const address = await expectRequest(stuck, 'p-1', 'the REQUEST at the plain worker');
    const other = await worker();
    const again = await expectRequest(other, 'p-1', 'the job at the other worker once the timeout struck');
    assert.equal(broker.stats().processingTimeouts, 1);
    const second = await submit('p-2');
    await expectNothing(stuck, 'a disabled worker got a new job (or a CONTROL: it speaks no KHC/1)');
    // The stuck worker finishes after all: its result is the first recorded, and it is enabled again.
    await stuck.send(encodeReply(address, [Buffer.from('p-1'), Buffer.from('from the stuck worker')]));
    const reply = await expectJobReplyWithin(first, 'the 200 for p-1', WAIT);
    assert.equal(reply.status, '200');
    assert.deepEqual(texts(reply.body), ['p-1', 'from the stuck worker']);
    const next = await expectRequest(stuck, 'p-2', 'the queued job at the worker that reported done');
    await other.send(encodeReply(again, [Buffer.from('p-1'), Buffer.from('second run')]));
    assert.equal(await first.receive(QUIET), undefined, 'the second result of p-1 reached its client');
    assert.equal(broker.stats().orphans, 1, 'the second result of p-1, for a job already answered, is an orphan: counted');
    await stuck.send(encodeReply(next, [Buffer.from('p-2')]));
    assert.equal((await expectJobReplyWithin(second, 'the 200 for p-2', WAIT)).status, '200');
  });

  test('a KHC/1 worker that acks `cannot` keeps its job: no other worker runs it, and its result answers', async () => {
    const stuck = await worker('stubborn');
    const client = await submit('c-1');
    const address = await expectRequest(stuck, 'c-1', 'the REQUEST');
    const other = await worker('other');
    await expectKill(stuck, address, 'CONTROL KILL after the processing timeout');
    await stuck.send(ack(address, 'cannot'));
    const deadline = Date.now() + 3 * HEARTBEAT;
    while (Date.now() < deadline) await stuck.receiveAsWorker(deadline - Date.now());
    await expectNothing(stuck, 'CONTROL KILL went on after `cannot`');
    await expectNothing(other, 'a job whose handler cannot stop ran on another worker too');
    await stuck.send(encodeReply(address, [Buffer.from('c-1'), Buffer.from('at last')]));
    assert.equal((await expectJobReplyWithin(client, 'the 200', WAIT)).status, '200');
    assert.equal(broker.stats().processingTimeouts, 1);
  });

  test('the timeout is per service: a worker of a service without one holds its job as long as it takes', async () => {
    const slow = await worker('untimed-worker', 'untimed');
    const client = peer();
    await client.send(encodeJobRequest('untimed', 'u-1', [Buffer.from('x')]));
    const request = await expectRequestWithin(slow, 'the REQUEST for the untimed service', WAIT);
    await expectNothing(slow, 'a KILL for a service with no processing timeout', 2 * PROCESSING_TIMEOUT);
    await slow.send(encodeReply(request.client, [Buffer.from('u-1')]));
    assert.equal((await expectJobReplyWithin(client, 'the 200', WAIT)).status, '200');
    assert.equal(broker.stats().processingTimeouts, 0);
  });

  test('the time a job waits in its result grace is not processing time: a worker that takes it after the grace has the whole timeout', async () => {
    await broker.close();
    const resultGrace = 2 * PROCESSING_TIMEOUT;
    broker = await start({ resultGrace });
    const lost = await worker('lost');
    const client = await submit('g-1');
    await expectRequest(lost, 'g-1', 'the first REQUEST');
    lost.stopHeartbeats();
    const other = await worker('other');
    const address = await expectRequest(other, 'g-1', 'the job after the result grace');
    // Held for less than the timeout, though more than the timeout has passed since the first dispatch.
    await expectNothing(other, 'a KILL for a job held less than its timeout', PROCESSING_TIMEOUT / 2);
    await other.send(encodeReply(address, [Buffer.from('g-1'), Buffer.from('ok')]));
    assert.equal((await expectJobReplyWithin(client, 'the 200', WAIT)).status, '200');
    assert.equal(broker.stats().processingTimeouts, 0);
  });
});
