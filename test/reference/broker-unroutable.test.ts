import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { encodeClientRequest, encodeReady, encodeReply } from '../../reference/mdp/codec';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, rawPeers, type RawMdpPeer, startBroker, texts } from './helpers';

/**
 * A worker whose connection closed is gone at the broker's next write to it (ZMQ_ROUTER_MANDATORY),
 * not a liveness period later. The liveness here is 100 heartbeats (3 s), so a request that reaches a
 * second worker within WAIT can only have been moved by that write failing. Found under load: after a
 * broker freeze, workers that had reconnected under new ids left ghosts a job was dispatched to.
 */
const HEARTBEAT = 30;
const LIVENESS = 100;
const WAIT = 1_000;

describe('reference broker: a worker whose connection is gone', () => {
  let endpoint: string;
  let broker: Broker;
  const { peer, closeAll } = rawPeers(() => endpoint);

  const registeredWorker = async (routingId: string): Promise<RawMdpPeer> => {
    const before = broker.stats().workers;
    const worker = peer(routingId);
    await worker.send(encodeReady('echo'));
    worker.startHeartbeats(HEARTBEAT);
    await waitFor(() => broker.stats().workers === before + 1, { timeoutMs: WAIT, what: `the broker to register ${routingId}` });
    return worker;
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: LIVENESS, requestExpiry: 10_000 });
  });

  afterEach(async () => {
    closeAll();
    await broker.close();
  });

  test('holding a request: the request goes to another worker at the next heartbeat, long before the liveness runs out', async () => {
    const first = await registeredWorker('worker-1');
    const client = peer('client-A');
    await client.send(encodeClientRequest('echo', [Buffer.from('job-1')]));
    const held = await first.expectAsWorker(WAIT, 'REQUEST at the first worker');
    assert.equal(held.kind, 'request');
    const second = await registeredWorker('worker-2');
    const started = performance.now();
    first.close();

    const moved = await second.expectAsWorker(WAIT, `the REQUEST at the second worker (the liveness is ${HEARTBEAT * LIVENESS} ms)`);
    assert.equal(moved.kind, 'request');
    if (moved.kind !== 'request') return;
    assert.ok(performance.now() - started < HEARTBEAT * LIVENESS, 'moved only once the liveness ran out');
    assert.deepEqual(texts(moved.body), ['job-1']);
    assert.equal(broker.stats().workers, 1);
    assert.equal(broker.stats().requeued, 1);
    await second.send(encodeReply(moved.client, [Buffer.from('done')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'the reply')).body), ['done']);
  });

  test('idle and first in line: the REQUEST that cannot go is dispatched to the next worker at once', async () => {
    const first = await registeredWorker('worker-1');
    const second = await registeredWorker('worker-2');
    first.close();
    // No heartbeat may find it first: the request is what is written to it next (or a heartbeat is, and the result is the same).
    const client = peer('client-B');
    await client.send(encodeClientRequest('echo', [Buffer.from('job-2')]));
    const request = await second.expectAsWorker(WAIT, 'the REQUEST at the second worker');
    assert.equal(request.kind, 'request');
    if (request.kind !== 'request') return;
    assert.deepEqual(texts(request.body), ['job-2']);
    await waitFor(() => broker.stats().workers === 1, { timeoutMs: WAIT, what: 'the closed worker to be removed' });
    await second.send(encodeReply(request.client, [Buffer.from('done')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'the reply')).body), ['done']);
  });
});
