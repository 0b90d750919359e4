import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../reference/broker';
import { decodeJobReply, encodeClientRequest, encodeJobRequest, encodeReady, KHX_EXTENSION, KhxStatus, type WorkerInbound } from '../../reference/mdp/codec';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, rawPeers, startBroker } from './helpers';

/**
 * The broker's bounds (docs/limits.md) over real sockets: what a hostile or broken peer can make it
 * hold is limited, and refusals are counted and answered where the protocol has words for them.
 */
const HEARTBEAT = 30;
const WAIT = 1_500;

describe('reference broker: bounds', () => {
  let endpoint: string;
  let broker: Broker;
  const { peer, closeAll: closePeers } = rawPeers(() => endpoint);
  const start = async (limits: BrokerOptions['limits'], options: Partial<BrokerOptions> = {}): Promise<void> => {
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, requestExpiry: 100, limits, ...options });
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
  });
  afterEach(async () => {
    closePeers();
    await broker?.close();
  });

  test('requests naming thousands of services leave no service entries once they expire', async () => {
    await start({ maxRequestsPerPeer: 10_000 });
    const client = peer();
    for (let index = 0; index < 3_000; index += 1) await client.send(encodeClientRequest(`svc-${index}`, [Buffer.from('x')]));
    await waitFor(() => broker.stats().expiredRequests === 3_000, { timeoutMs: 10_000, what: 'every request to expire' });
    await waitFor(() => broker.stats().services === 0, { timeoutMs: 2_000, what: 'the service table to empty' });
  });

  test('a service name over the limit is malformed: dropped and counted, nothing created', async () => {
    await start({ maxServiceNameBytes: 16 });
    const client = peer();
    await client.send(encodeClientRequest('s'.repeat(17), [Buffer.from('x')]));
    await client.send(encodeClientRequest('s'.repeat(64 * 1024), [Buffer.from('x')]));
    await waitFor(() => broker.stats().malformed === 2, { timeoutMs: WAIT, what: 'two malformed messages' });
    assert.equal(broker.stats().services, 0);
  });

  test('a message with too many frames is malformed', async () => {
    await start({ maxFrames: 8 });
    await peer().send(encodeClientRequest('echo', Array.from({ length: 10 }, () => Buffer.from('x'))));
    await waitFor(() => broker.stats().malformed === 1, { timeoutMs: WAIT, what: 'the malformed message' });
  });

  test('a full service table refuses a new service with 503, and takes it once an empty one is gone', async () => {
    await start({ maxServices: 2 }, { requestExpiry: 60_000 });
    const client = peer();
    await client.send(encodeJobRequest('a', 'job-a', [Buffer.from('x')]));
    await client.send(encodeJobRequest('b', 'job-b', [Buffer.from('x')]));
    await waitFor(() => broker.stats().services === 2, { timeoutMs: WAIT, what: 'two services' });
    await client.send(encodeJobRequest('c', 'job-c', [Buffer.from('x')]));
    const refused = decodeJobReply((await client.receive(WAIT))!);
    assert.equal(refused.status, KhxStatus.Unavailable);
    assert.match(refused.body[0].toString(), /service table is full \(2 services\)/);
    assert.equal(broker.stats().refused, 1);
  });

  test('a peer over its quota of requests in hand gets 429; another peer is still served', async () => {
    await start({ maxRequestsPerPeer: 3 }, { requestExpiry: 60_000 });
    const greedy = peer();
    for (let index = 0; index < 4; index += 1) await greedy.send(encodeJobRequest('echo', `g-${index}`, [Buffer.from('x')]));
    // New jobs are not answered until they run (no worker here); the fourth is refused at once.
    const refused = decodeJobReply((await greedy.receive(WAIT))!);
    assert.equal(refused.status, KhxStatus.TooManyRequests);
    assert.equal(refused.job, 'g-3');
    const other = peer();
    await other.send(encodeJobRequest('echo', 'o-1', [Buffer.from('x')]));
    assert.equal(await other.receive(300), undefined, 'another peer is not refused');
    assert.equal(broker.stats().refused, 1);
  });

  test('a KHX/1 job swallowed by a worker is given up at the job deadline: 504, and the worker is disconnected', async () => {
    await start({ jobDeadline: 300 });
    const worker = peer();
    await worker.send(encodeReady('echo', [KHX_EXTENSION]));
    worker.startHeartbeats(HEARTBEAT);
    const client = peer();
    await client.send(encodeJobRequest('echo', 'swallowed', [Buffer.from('x')]));
    const seen: WorkerInbound['kind'][] = [];
    const given = await client.receive(WAIT);
    assert.ok(given, 'an answer at the deadline');
    assert.equal(decodeJobReply(given).status, KhxStatus.GivenUp);
    // Until the DISCONNECT, bounded: a worker that keeps heartbeating after it is told to go earns a DISCONNECT each time.
    const until = Date.now() + WAIT;
    while (!seen.includes('disconnect') && Date.now() < until) {
      const message = await worker.receiveAsWorker(until - Date.now());
      if (message) seen.push(message.kind);
    }
    worker.stopHeartbeats();
    assert.ok(seen.includes('disconnect'), `the worker is told to go (saw ${seen.join(', ') || 'nothing'})`);
    assert.equal(broker.stats().givenUp, 1);
    // A retry is answered from the record: given up, never run again.
    await client.send(encodeJobRequest('echo', 'swallowed', [Buffer.from('x')]));
    assert.equal(decodeJobReply((await client.receive(WAIT))!).status, KhxStatus.GivenUp);
  });

  test('a message over the size limit disconnects the peer without reaching the broker', async () => {
    await start({ maxMessageSize: 64 * 1024 });
    const big = peer();
    await big.send(encodeClientRequest('echo', [Buffer.alloc(256 * 1024)]));
    const client = peer();
    await client.send(encodeClientRequest('mmi.service', [Buffer.from('echo')]));
    const answer = await client.receive(WAIT);
    assert.ok(answer, 'the broker still answers');
    assert.equal(broker.stats().malformed, 0);
  });
});
