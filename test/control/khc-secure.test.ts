import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { encodeJobRequest } from '../../reference/mdp/codec';
import { decodeControlAnswer, encodeInspect, encodeKill, type ControlAnswer } from '../../reference/mdp/control-codec';
import { waitFor } from '../../harness/util/wait-for';
import { expectJobReplyWithin, freeEndpoint, RawMdpPeer, startBroker } from '../reference/helpers';
import { SecurityFixture } from '../reference/security/fixture';

/** KHC/1 in secure mode (docs/protocol.md, "Control"): a kill reaches only the requester's own jobs. */
const WAIT = 2_000;

describe('reference broker: KHC/1 kills in secure mode are scoped by key', () => {
  let broker: Broker | undefined;
  const peers: RawMdpPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await broker?.close();
  });

  test("another key's KILL and INSPECT of a job id find nothing (unknown); the owner's KILL kills it", async () => {
    const fixture = new SecurityFixture({ 'client-a': { call: ['echo'] }, 'client-b': { call: ['echo'] } });
    const endpoint = await freeEndpoint();
    broker = await startBroker(endpoint, { heartbeatInterval: 30, heartbeatLiveness: 3, security: { keyPair: fixture.server, policyFile: fixture.policyFile } });
    const peerOf = (name: string): RawMdpPeer => {
      const peer = new RawMdpPeer(endpoint, undefined, fixture.peer(name));
      peers.push(peer);
      return peer;
    };
    const answer = async (peer: RawMdpPeer): Promise<ControlAnswer> => {
      const frames = await peer.receive(WAIT);
      assert.ok(frames !== undefined, 'no control answer');
      return decodeControlAnswer(frames);
    };
    const owner = peerOf('client-a');
    await owner.send(encodeJobRequest('echo', 'job-1', [Buffer.from('x')]));
    const ownerBroker = broker;
    await waitFor(() => ownerBroker.stats().queued === 1, { timeoutMs: WAIT, what: 'job-1 to be queued' });

    const stranger = peerOf('client-b');
    await stranger.send(encodeKill('job-1'));
    assert.deepEqual(await answer(stranger), { verb: 'KILL', job: 'job-1', outcome: 'unknown' });
    await stranger.send(encodeInspect('job-1'));
    assert.deepEqual(await answer(stranger), { verb: 'INSPECT', job: 'job-1', state: { job: 'job-1', state: 'unknown' } });
    assert.equal(broker.stats().queued, 1, "another key's KILL touched the job");

    const controller = peerOf('client-a');
    await controller.send(encodeKill('job-1'));
    assert.deepEqual(await answer(controller), { verb: 'KILL', job: 'job-1', outcome: 'killed' });
    assert.equal((await expectJobReplyWithin(owner, 'the 409', WAIT)).status, '409');
  });
});
