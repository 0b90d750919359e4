import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOrphan } from '../../reference/broker';
import {
  CLIENT_PROTOCOL,
  encodeClientRequest,
  encodeDisconnect,
  encodeHeartbeat,
  encodeReady,
  encodeReply,
  encodeRequest,
  WORKER_PROTOCOL,
} from '../../reference/mdp/codec';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, rawPeers, RawMdpPeer, startBroker, texts } from './helpers';

/**
 * The reference broker over real sockets, with hand-made MDP frames on the other side: 30 ms
 * heartbeats and a liveness of 3, so a silent worker is dead after ~90-120 ms.
 */
const HEARTBEAT = 30;
const WAIT = 1_000; // bound on anything that should happen "promptly"
const QUIET = 150; // how long "nothing arrives" is watched

describe('reference broker', () => {
  let endpoint: string;
  let broker: Broker;
  let orphans: BrokerOrphan[] = [];
  const { peer, closeAll: closePeers } = rawPeers(() => endpoint);

  /** A raw worker that registered for `service` and heartbeats; resolves once the broker counts it. */
  const registeredWorker = async (service: string, routingId?: string): Promise<RawMdpPeer> => {
    const before = broker.stats().workers;
    const worker = peer(routingId);
    await worker.send(encodeReady(service));
    worker.startHeartbeats(HEARTBEAT);
    await waitFor(() => broker.stats().workers === before + 1, { timeoutMs: WAIT, what: `the broker to register a worker for ${service}` });
    return worker;
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    orphans = [];
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, requestExpiry: 5_000, onOrphan: (orphan) => orphans.push(orphan) });
  });

  afterEach(async () => {
    closePeers();
    await broker.close();
  });

  test('READY then a client request: dispatched as REQUEST with an envelope, and the REPLY naming it reaches the client', async () => {
    const worker = await registeredWorker('echo');
    const client = peer('client-A');
    const body = [Buffer.from('job-1'), Buffer.from([0x00, 0xff, 0x01])];
    await client.send(encodeClientRequest('echo', body));

    const request = await worker.expectAsWorker(WAIT, 'REQUEST at the worker');
    assert.equal(request.kind, 'request');
    if (request.kind !== 'request') return;
    // The envelope is the broker's own id for the request (0x00-prefixed, unique across broker lives), not the
    // client's socket identity: a retry from a new socket or a reply after a restart can then never be misrouted.
    assert.equal(request.client[0], 0x00, 'a plain request\'s envelope starts with 0x00');
    assert.ok(!request.client.equals(Buffer.from('client-A')));
    assert.deepEqual(request.body, body);

    await worker.send(encodeReply(request.client, [Buffer.from('done'), Buffer.from([0xfe])]));
    const reply = await client.expectAsClient(WAIT, 'reply at the client');
    assert.equal(reply.service, 'echo');
    assert.deepEqual(reply.body, [Buffer.from('done'), Buffer.from([0xfe])]);
    assert.equal(broker.stats().dispatched, 1);
    assert.equal(broker.stats().replies, 1);
  });

  test('8/MMI: mmi.service answers 200 for a served service, 404 otherwise; other mmi.* answer 501', async () => {
    await registeredWorker('echo');
    const client = peer();
    const ask = async (service: string, body: string): Promise<string[]> => {
      await client.send(encodeClientRequest(service, [Buffer.from(body)]));
      const reply = await client.expectAsClient(WAIT, `answer to ${service} ${body}`);
      return [reply.service, ...texts(reply.body)];
    };
    assert.deepEqual(await ask('mmi.service', 'echo'), ['mmi.service', '200']);
    assert.deepEqual(await ask('mmi.service', 'nobody'), ['mmi.service', '404']);
    assert.deepEqual(await ask('mmi.foo', 'echo'), ['mmi.foo', '501']);
    assert.deepEqual(await ask('mmi.discovery', 'x'), ['mmi.discovery', '501']);
  });

  test('a worker that registers a reserved mmi.* service gets DISCONNECT and is not registered', async () => {
    const worker = peer();
    await worker.send(encodeReady('mmi.foo'));
    const answer = await worker.expectAsWorker(WAIT, 'DISCONNECT');
    assert.equal(answer.kind, 'disconnect');
    assert.equal(broker.stats().workers, 0);
    // and the broker did not start serving mmi.foo through it
    const client = peer();
    await client.send(encodeClientRequest('mmi.service', [Buffer.from('mmi.foo')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'mmi answer')).body), ['404']);
  });

  test('a duplicate READY earns DISCONNECT and removes the worker', async () => {
    const worker = await registeredWorker('echo');
    await worker.send(encodeReady('echo'));
    const answer = await worker.expectAsWorker(WAIT, 'DISCONNECT after the second READY');
    assert.equal(answer.kind, 'disconnect');
    await waitFor(() => broker.stats().workers === 0, { timeoutMs: WAIT, what: 'the duplicate worker to be removed' });
  });

  test('HEARTBEAT (or REPLY) from a peer that never sent READY earns DISCONNECT', async () => {
    const stranger = peer();
    await stranger.send(encodeHeartbeat());
    assert.equal((await stranger.expectAsWorker(WAIT, 'DISCONNECT after HEARTBEAT')).kind, 'disconnect');
    await stranger.send(encodeReply(Buffer.from('someone'), [Buffer.from('x')]));
    assert.equal((await stranger.expectAsWorker(WAIT, 'DISCONNECT after REPLY')).kind, 'disconnect');
    assert.equal(broker.stats().workers, 0);
    assert.equal(broker.stats().replies, 0);
  });

  test('a worker DISCONNECT unregisters it silently', async () => {
    const worker = await registeredWorker('echo');
    worker.stopHeartbeats(); // a heartbeat after DISCONNECT would (rightly) earn a DISCONNECT
    await worker.send(encodeDisconnect());
    await waitFor(() => broker.stats().workers === 0, { timeoutMs: WAIT, what: 'the worker to be unregistered' });
    assert.equal(await worker.receiveAsWorker(QUIET), undefined, 'the broker must not answer a DISCONNECT');
  });

  test('a worker that stops heartbeating is expired; its request goes to a second worker; its late REPLY is dropped', async () => {
    const first = await registeredWorker('echo', 'worker-1');
    const client = peer('client-B');
    await client.send(encodeClientRequest('echo', [Buffer.from('job-7')]));
    const held = await first.expectAsWorker(WAIT, 'REQUEST at the first worker');
    assert.equal(held.kind, 'request');
    if (held.kind !== 'request') return;

    // The first worker goes silent while it holds the request; a second worker is idle.
    first.stopHeartbeats();
    const second = await registeredWorker('echo', 'worker-2');

    const redispatched = await second.expectAsWorker(WAIT, 'the re-dispatched REQUEST at the second worker');
    assert.equal(redispatched.kind, 'request');
    if (redispatched.kind !== 'request') return;
    assert.ok(redispatched.client.equals(held.client), 'the same request, by its envelope');
    assert.deepEqual(texts(redispatched.body), ['job-7']);
    assert.equal((await first.expectAsWorker(WAIT, 'DISCONNECT at the expired worker')).kind, 'disconnect');
    const stats = broker.stats();
    assert.equal(stats.requeued, 1);
    assert.equal(stats.workers, 1);

    // The first worker wakes up and answers: the broker no longer knows it, so the client sees nothing.
    await first.send(encodeReply(held.client, [Buffer.from('stale from worker-1')]));
    assert.equal((await first.expectAsWorker(WAIT, 'DISCONNECT for the late REPLY')).kind, 'disconnect');
    assert.equal(await client.receive(QUIET), undefined, 'the expired worker\'s late reply reached the client');

    await second.send(encodeReply(redispatched.client, [Buffer.from('fresh from worker-2')]));
    const reply = await client.expectAsClient(WAIT, 'the second worker\'s reply');
    assert.deepEqual(texts(reply.body), ['fresh from worker-2']);
    assert.equal(await client.receive(QUIET), undefined, 'the client got more than one reply');
    assert.equal(broker.stats().replies, 1);
  });

  test("a stall of the broker's own process longer than the liveness expires no heartbeating worker; a silent one still expires", async () => {
    const live = await registeredWorker('echo', 'worker-live');
    const silent = await registeredWorker('echo', 'worker-silent');
    silent.stopHeartbeats();
    // The broker shares this event loop: blocking it is the broker stalling (CPU starvation, a GC
    // pause) for 5 liveness periods, during which the live worker's heartbeats cannot be sent or read.
    const until = performance.now() + HEARTBEAT * 3 * 5;
    while (performance.now() < until) {
      // stalled
    }
    await waitFor(() => broker.stats().workers === 1, { timeoutMs: WAIT, what: 'the silent worker to expire' });
    assert.equal((await silent.expectAsWorker(WAIT, 'DISCONNECT at the silent worker')).kind, 'disconnect');
    assert.equal(await live.receiveAsWorker(QUIET), undefined, 'the heartbeating worker was expired');
    assert.equal(broker.stats().workers, 1);
  });

  test('a REPLY naming a request the broker does not hold is dropped', async () => {
    const worker = await registeredWorker('echo');
    const client = peer('client-C');
    await client.send(encodeClientRequest('echo', [Buffer.from('x')]));
    const request = await worker.expectAsWorker(WAIT, 'REQUEST');
    assert.equal(request.kind, 'request');
    await worker.send(encodeReply(Buffer.from('client-C-impostor'), [Buffer.from('wrong')]));
    if (request.kind !== 'request') return;
    await worker.send(encodeReply(request.client, [Buffer.from('right')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'reply')).body), ['right']);
    assert.equal(broker.stats().replies, 1);
    assert.equal(broker.stats().orphans, 1, 'the REPLY naming no request in hand is an orphan, counted');
    assert.deepEqual(orphans.map(({ job, what }) => ({ job, what })), [{ job: 'client-C-impostor', what: 'torn-down' }], 'and reported as torn-down');
  });

  test('a second REPLY for a request already answered is an orphan: dropped, counted, never forwarded (issue #19 item 3)', async () => {
    const worker = await registeredWorker('echo');
    const client = peer('client-D');
    await client.send(encodeClientRequest('echo', [Buffer.from('y')]));
    const request = await worker.expectAsWorker(WAIT, 'REQUEST');
    if (request.kind !== 'request') return assert.fail(`expected REQUEST, got ${request.kind}`);
    await worker.send(encodeReply(request.client, [Buffer.from('first')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'reply')).body), ['first']);
    assert.equal(broker.stats().orphans, 0);
    await worker.send(encodeReply(request.client, [Buffer.from('again')]));
    await waitFor(() => broker.stats().orphans === 1, { timeoutMs: WAIT, what: 'the second REPLY to be counted as an orphan' });
    // A plain request is forgotten once answered: its second REPLY names a request nobody holds any more.
    assert.deepEqual(orphans.map(({ what }) => what), ['torn-down'], 'reported as torn-down');
    assert.match(orphans[0].detail, /REPLY from worker .* dropped: no request in hand has its address/);
    assert.equal(await client.receive(QUIET), undefined, 'the orphan reached the client');
    assert.equal(broker.stats().replies, 1);
  });

  test('a request for a service with no workers expires after requestExpiry', async () => {
    await broker.close();
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, requestExpiry: 100 });
    const client = peer();
    const sentAt = Date.now();
    await client.send(encodeClientRequest('nobody', [Buffer.from('lonely')]));
    await waitFor(() => broker.stats().queued === 1, { timeoutMs: WAIT, what: 'the request to be queued' });
    await waitFor(() => broker.stats().expiredRequests === 1, { timeoutMs: WAIT, what: 'the request to expire' });
    const waited = Date.now() - sentAt;
    assert.ok(waited >= 100, `expired after ${waited} ms, before requestExpiry (100 ms)`);
    assert.equal(broker.stats().queued, 0);

    // A worker that turns up later must not be handed the expired request.
    const late = await registeredWorker('nobody');
    assert.equal(await late.receiveAsWorker(QUIET), undefined, 'an expired request was dispatched');
    assert.equal(broker.stats().dispatched, 0);
    assert.equal(await client.receive(1), undefined);
  });

  test('a flood of malformed messages is counted and dropped, and the broker still serves', async () => {
    const E = Buffer.alloc(0);
    const C = Buffer.from(CLIENT_PROTOCOL);
    const W = Buffer.from(WORKER_PROTOCOL);
    const malformed: Buffer[][] = [
      [E],
      [C, Buffer.from('echo'), Buffer.from('x')],
      [E, Buffer.from('MDPX99'), Buffer.from('echo')],
      [E, C],
      [E, C, Buffer.from('echo')],
      [E, C, E, Buffer.from('x')],
      [E, W],
      [E, W, Buffer.from([1, 1]), Buffer.from('echo')],
      [E, W, Buffer.from([0x7f])],
      [E, W, Buffer.from([1])],
      [E, W, Buffer.from([6]), Buffer.from('job-1')],
      [E, Buffer.from('KHXC01'), Buffer.from('echo'), Buffer.from('job-1')],
      encodeRequest(Buffer.from('c'), [Buffer.from('x')]),
      [E, W, Buffer.from([3]), Buffer.from('client')],
      [E, W, Buffer.from([3]), E, E, Buffer.from('x')],
      [E, W, Buffer.from([4]), Buffer.from('extra')],
      [E, W, Buffer.from([5]), Buffer.from('extra')],
    ];
    const rounds = 20;
    const flooder = peer();
    for (let round = 0; round < rounds; round++) for (const frames of malformed) await flooder.send(frames);
    const expected = rounds * malformed.length;
    await waitFor(() => broker.stats().malformed === expected, { timeoutMs: 2_000, what: `${expected} malformed messages to be counted (saw ${broker.stats().malformed})` });
    assert.equal(await flooder.receive(QUIET), undefined, 'the broker answered a malformed message');
    assert.equal(broker.stats().workers, 0);

    const worker = await registeredWorker('echo');
    const client = peer();
    await client.send(encodeClientRequest('echo', [Buffer.from('still alive?')]));
    const request = await worker.expectAsWorker(WAIT, 'REQUEST after the flood');
    assert.equal(request.kind, 'request');
    if (request.kind !== 'request') return;
    await worker.send(encodeReply(request.client, request.body));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'reply after the flood')).body), ['still alive?']);
    assert.equal(broker.stats().malformed, expected);
  });
});
