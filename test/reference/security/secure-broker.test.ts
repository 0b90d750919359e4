import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Dealer } from 'zeromq';
import type { Broker } from '../../../reference/broker';
import { encodeClientRequest, encodeJobRequest, encodeReady, encodeReply, KHX_EXTENSION } from '../../../reference/mdp/codec';
import { workerAddress } from '../../../reference/journal/job-key';
import { waitFor, withTimeout } from '../../../harness/util/wait-for';
import { expectJobReplyWithin, expectRequestWithin, freeEndpoint, RawMdpPeer, sleep, startBroker, texts } from '../helpers';
import { SecurityFixture, type Rights } from './fixture';

/**
 * The reference broker in secure mode (docs/security.md) and the REPLY binding of both modes, over
 * real CURVE sockets with hand-made frames: who may register, who may call, job ids scoped by key,
 * forged replies, revocation on open connections, peers without CURVE.
 */
const HEARTBEAT = 30;
const WAIT = 2_000;
const QUIET = 200;

const RIGHTS: Record<string, Rights> = {
  'client-a': { call: ['echo'] },
  'client-b': { call: ['echo'] },
  'client-none': { call: ['other'] },
  'worker-echo': { register: ['echo'] },
  'worker-evil': { register: ['evil'] },
};

/** The next worker-side command other than RECORDED (a KHX/1 worker hears RECORDED after each reply). */
async function nextCommandBesidesRecorded(peer: RawMdpPeer, what: string): Promise<string> {
  for (;;) {
    const message = await peer.expectAsWorker(WAIT, what);
    if (message.kind !== 'recorded') return message.kind;
  }
}

describe('reference broker in secure mode', () => {
  let broker: Broker | undefined;
  const peers: RawMdpPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await broker?.close();
    broker = undefined;
  });

  async function secureBroker(
    fixture: SecurityFixture,
    unauthenticated = false,
    heartbeatLiveness = 3,
    journal?: string,
    at?: string,
    heartbeatInterval = HEARTBEAT,
  ): Promise<{ broker: Broker; endpoint: string }> {
    const endpoint = at ?? (await freeEndpoint());
    broker = await startBroker(endpoint, {
      heartbeatInterval,
      heartbeatLiveness,
      ...(journal === undefined ? {} : { journal }),
      ...(unauthenticated ? {} : { security: { keyPair: fixture.server, policyFile: fixture.policyFile } }),
    });
    return { broker, endpoint };
  }

  function peerOf(fixture: SecurityFixture | undefined, endpoint: string, name: string): RawMdpPeer {
    const peer = new RawMdpPeer(endpoint, undefined, fixture?.peer(name));
    peers.push(peer);
    return peer;
  }

  async function worker(fixture: SecurityFixture | undefined, endpoint: string, name: string, service = 'echo'): Promise<RawMdpPeer> {
    const peer = peerOf(fixture, endpoint, name);
    await peer.send(encodeReady(service, [KHX_EXTENSION, `${name}-instance`]));
    peer.startHeartbeats(HEARTBEAT);
    assert.equal((await peer.expectAsWorker(WAIT, 'the RECORDED welcome')).kind, 'recorded');
    return peer;
  }

  test("a worker and a client with the right keys make a round trip; the worker sees the owned job under an address of owner and id, the client its job id", async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { endpoint } = await secureBroker(fixture);
    const echo = await worker(fixture, endpoint, 'worker-echo');
    const client = peerOf(fixture, endpoint, 'client-a');
    await client.send(encodeJobRequest('echo', 'job-1', [Buffer.from('hello')]));
    const request = await expectRequestWithin(echo, 'the REQUEST', WAIT);
    assert.deepEqual(request.client, workerAddress(fixture.peer('client-a').keyPair.publicKey, Buffer.from('job-1')));
    assert.notEqual(request.client.toString(), 'job-1');
    await echo.send(encodeReply(request.client, [Buffer.from('hello back')]));
    const reply = await expectJobReplyWithin(client, 'the answer', WAIT);
    assert.deepEqual([reply.job, reply.status, ...texts(reply.body)], ['job-1', '200', 'hello back']);
  });

  test('a worker key without the right to register gets DISCONNECT on READY and never a job', async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { broker: secure, endpoint } = await secureBroker(fixture);
    const evil = peerOf(fixture, endpoint, 'worker-evil');
    await evil.send(encodeReady('echo', [KHX_EXTENSION, 'evil-instance']));
    assert.equal((await evil.expectAsWorker(WAIT, 'DISCONNECT')).kind, 'disconnect');
    assert.equal(secure.stats().forbidden, 1);
    assert.equal(secure.stats().workers, 0);
    const client = peerOf(fixture, endpoint, 'client-a');
    await client.send(encodeJobRequest('echo', 'job-2', [Buffer.from('for echo workers only')]));
    assert.equal(await evil.receiveAsWorker(QUIET), undefined, 'the refused worker got a job');
  });

  test('a client without the right to call gets 403 for a KHX/1 job, and nothing for a plain request', async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { broker: secure, endpoint } = await secureBroker(fixture);
    const echo = await worker(fixture, endpoint, 'worker-echo');
    const client = peerOf(fixture, endpoint, 'client-none');
    await client.send(encodeJobRequest('echo', 'job-3', [Buffer.from('x')]));
    const refused = await expectJobReplyWithin(client, 'the 403', WAIT);
    assert.equal(refused.status, '403');
    await client.send(encodeClientRequest('echo', [Buffer.from('plain')]));
    assert.equal(await client.receive(QUIET), undefined, 'a plain request the policy refuses has no reply');
    assert.equal(await echo.receiveAsWorker(QUIET), undefined, 'a refused request reached the worker');
    assert.equal(secure.stats().forbidden, 2);
  });

  test("client B reusing A's job id never gets A's result: its job is its own", async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { endpoint } = await secureBroker(fixture);
    const echo = await worker(fixture, endpoint, 'worker-echo');
    const a = peerOf(fixture, endpoint, 'client-a');
    const b = peerOf(fixture, endpoint, 'client-b');
    await a.send(encodeJobRequest('echo', 'shared-id', [Buffer.from('from a')]));
    const first = await expectRequestWithin(echo, "A's REQUEST", WAIT);
    // B sends A's id while A's job is in flight: it must neither join nor take A's job.
    await b.send(encodeJobRequest('echo', 'shared-id', [Buffer.from('from b')]));
    assert.equal(await b.receive(QUIET), undefined, "B was told about A's job (202)");
    await echo.send(encodeReply(first.client, [Buffer.from('result for a')]));
    assert.deepEqual(texts((await expectJobReplyWithin(a, "A's answer", WAIT)).body), ['result for a']);
    const second = await expectRequestWithin(echo, "B's own REQUEST", WAIT);
    assert.deepEqual(texts(second.body), ['from b']);
    // Under another address: a KHX/1 worker keeps results by address, and must not answer B's job with A's kept result.
    assert.ok(!second.client.equals(first.client), "B's job reached the worker under A's job's address");
    await echo.send(encodeReply(second.client, [Buffer.from('result for b')]));
    assert.deepEqual(texts((await expectJobReplyWithin(b, "B's answer", WAIT)).body), ['result for b']);
    // B asking again later is answered from B's own record.
    const retry = peerOf(fixture, endpoint, 'client-b');
    await retry.send(encodeJobRequest('echo', 'shared-id', [Buffer.from('from b')]));
    assert.deepEqual(texts((await expectJobReplyWithin(retry, "B's recorded answer", WAIT)).body), ['result for b']);
  });

  test("job ids stay scoped by key across a broker restart: the owner's retry gets its record, another key's makes a new job", async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const journal = path.join(fixture.folder, 'broker.journal');
    const { endpoint } = await secureBroker(fixture, false, 3, journal);
    const echo = await worker(fixture, endpoint, 'worker-echo');
    const a = peerOf(fixture, endpoint, 'client-a');
    await a.send(encodeJobRequest('echo', 'kept', [Buffer.from('from a')]));
    const request = await expectRequestWithin(echo, "A's REQUEST", WAIT);
    await echo.send(encodeReply(request.client, [Buffer.from('result for a')]));
    await expectJobReplyWithin(a, "A's answer", WAIT);
    echo.close();
    await broker!.close();

    await secureBroker(fixture, false, 3, journal, endpoint);
    const again = await worker(fixture, endpoint, 'worker-echo');
    const retryA = peerOf(fixture, endpoint, 'client-a');
    await retryA.send(encodeJobRequest('echo', 'kept', [Buffer.from('from a')]));
    assert.deepEqual(texts((await expectJobReplyWithin(retryA, "A's recorded answer after the restart", WAIT)).body), ['result for a']);
    const b = peerOf(fixture, endpoint, 'client-b');
    await b.send(encodeJobRequest('echo', 'kept', [Buffer.from('from b')]));
    const forB = await expectRequestWithin(again, "B's own job", WAIT);
    assert.deepEqual(texts(forB.body), ['from b']);
  });

  for (const mode of ['secure', 'unauthenticated'] as const) {
    test(`${mode}: a REPLY from a worker the job was not given to is dropped, the forger disconnected, and the right reply arrives`, async () => {
      const fixture = new SecurityFixture({ ...RIGHTS, 'worker-evil': { register: ['evil'] } });
      const keys = mode === 'secure' ? fixture : undefined;
      const { broker: server, endpoint } = await secureBroker(fixture, mode === 'unauthenticated');
      const echo = await worker(keys, endpoint, 'worker-echo');
      const evil = await worker(keys, endpoint, 'worker-evil', 'evil');
      const client = peerOf(keys, endpoint, 'client-a');
      await client.send(encodeJobRequest('echo', 'job-9', [Buffer.from('x')]));
      const request = await expectRequestWithin(echo, 'the REQUEST at the echo worker', WAIT);
      // The worst case: the forger names the very address the job went out under.
      await evil.send(encodeReply(request.client, [Buffer.from('FORGED-BY-EVIL')]));
      assert.equal((await evil.expectAsWorker(WAIT, 'DISCONNECT for the forger')).kind, 'disconnect');
      assert.equal(await client.receive(QUIET), undefined, 'the forged reply reached the client');
      assert.equal(server.stats().forgedReplies, 1);
      await echo.send(encodeReply(request.client, [Buffer.from('genuine')]));
      assert.deepEqual(texts((await expectJobReplyWithin(client, 'the genuine answer', WAIT)).body), ['genuine']);
    });
  }

  test("a peer with another key that takes over a gone worker's routing id cannot answer its job", async () => {
    const fixture = new SecurityFixture(RIGHTS);
    // Heartbeats 30 s apart (longer than the impostor's attempts, 10 s at most): the broker writes nothing to the gone
    // worker meanwhile, so it stays registered (a write to a routing id with no connection would remove
    // it at once) and the impostor's refusal can only be for its key.
    const { broker: secure, endpoint } = await secureBroker(fixture, false, 3, undefined, undefined, 30_000);
    const echo = new RawMdpPeer(endpoint, 'worker-1', fixture.peer('worker-echo'));
    peers.push(echo);
    await echo.send(encodeReady('echo', [KHX_EXTENSION, 'echo-instance']));
    assert.equal((await echo.expectAsWorker(WAIT, 'the RECORDED welcome')).kind, 'recorded');
    const client = peerOf(fixture, endpoint, 'client-a');
    await client.send(encodeJobRequest('echo', 'job-7', [Buffer.from('x')]));
    await expectRequestWithin(echo, 'the REQUEST', WAIT);
    echo.close();
    // The broker still holds the worker (it wrote nothing to it since); a peer with another listed key
    // connects under the same routing id and answers the job.
    // A connection that reaches the broker's libzmq before it has seen the old one go is not
    // refused: libzmq keeps it unrouted (an anonymous pipe, its routing id already read) for as long
    // as it stays open, and the DEALER has no reason to reconnect. Under load that race is lost now
    // and then, and an impostor that kept its first connection waited in vain (it once did, for
    // 10 s). So each attempt is a new connection; the first one routed gets the broker's answer.
    const deadline = Date.now() + 5 * WAIT;
    let refusal: string | undefined;
    while (refusal === undefined && Date.now() < deadline) {
      const impostor = new RawMdpPeer(endpoint, 'worker-1', fixture.peer('worker-evil'));
      peers.push(impostor);
      await impostor.send(encodeReply(Buffer.from('job-7'), [Buffer.from('FORGED')]));
      refusal = (await impostor.receiveAsWorker(250))?.kind;
      impostor.close();
    }
    assert.equal(refusal, 'disconnect');
    assert.equal(secure.stats().workers, 1, 'the gone worker was still registered: the refusal was for the key');
    assert.ok(secure.stats().forbidden >= 1);
    assert.equal(await client.receive(QUIET), undefined, "the impostor's reply reached the client");
  });

  test('plain requests get unguessable addresses: 0x00 and 16 random bytes', async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { endpoint } = await secureBroker(fixture, true);
    const echo = await worker(undefined, endpoint, 'worker-echo');
    const client = peerOf(undefined, endpoint, 'client-a');
    const addresses: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      await client.send(encodeClientRequest('echo', [Buffer.from(`plain ${i}`)]));
      const request = await expectRequestWithin(echo, 'a plain REQUEST', WAIT);
      addresses.push(request.client);
      await echo.send(encodeReply(request.client, [Buffer.from('ok')]));
      await client.expectAsClient(WAIT, 'the plain reply');
    }
    for (const address of addresses) {
      assert.equal(address.length, 17);
      assert.equal(address[0], 0);
    }
    // Consecutive addresses share no structure a counter would leave (the chance of 12 equal bytes of 16 is nil).
    const same = [...addresses[0]!.subarray(1)].filter((byte, i) => byte === addresses[1]![i + 1]).length;
    assert.ok(same < 12, `consecutive addresses share ${same} of 16 bytes`);
  });

  test('a revoked worker key is dropped on its open connection (file change), and a revoked client is no longer served (SIGHUP)', async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { broker: secure, endpoint } = await secureBroker(fixture);
    const echo = await worker(fixture, endpoint, 'worker-echo');
    const client = peerOf(fixture, endpoint, 'client-a');
    await client.send(encodeJobRequest('echo', 'before', [Buffer.from('x')]));
    const request = await expectRequestWithin(echo, 'the REQUEST before revocation', WAIT);
    await echo.send(encodeReply(request.client, [Buffer.from('served')]));
    assert.equal((await expectJobReplyWithin(client, 'the answer before revocation', WAIT)).status, '200');

    const { 'worker-echo': _revokedWorker, ...withoutWorker } = RIGHTS;
    fixture.writePolicy(withoutWorker);
    assert.equal(await nextCommandBesidesRecorded(echo, 'DISCONNECT after the revocation'), 'disconnect');
    await waitFor(() => secure.stats().workers === 0, { timeoutMs: WAIT, what: 'the revoked worker to be dropped' });
    await client.send(encodeJobRequest('echo', 'after', [Buffer.from('x')]));
    assert.equal(await echo.receiveAsWorker(QUIET), undefined, 'the revoked worker got a job');

    const second = await worker(fixture, endpoint, 'worker-evil', 'evil');
    const { 'client-a': _revokedClient, ...withoutClient } = withoutWorker;
    fixture.writePolicy({ ...withoutClient, 'worker-echo': RIGHTS['worker-echo']! });
    const before = secure.stats().unauthorized;
    // SIGHUP makes the broker read the policy at once (the next tick would see the new mtime too).
    process.kill(process.pid, 'SIGHUP');
    // Until the reload is in force a request is still accepted (and waits: no echo worker is left).
    const deadline = Date.now() + WAIT;
    for (let n = 0; secure.stats().unauthorized === before; n++) {
      assert.ok(Date.now() < deadline, "the revoked client's requests were not dropped within the bound");
      await client.send(encodeJobRequest('echo', `revoked-${n}`, [Buffer.from('x')]));
      await sleep(20);
    }
    assert.equal(await client.receive(QUIET), undefined, 'the revoked client was answered');
    second.close();
  });

  test('a peer without CURVE (NULL mechanism) cannot reach a secure broker', async () => {
    const fixture = new SecurityFixture(RIGHTS);
    const { broker: secure, endpoint } = await secureBroker(fixture);
    const plain = new Dealer({ linger: 0 });
    try {
      const handshake = withTimeout(
        (async () => {
          for await (const event of plain.events) if (event.type.startsWith('handshake')) return event.type;
          return 'closed';
        })(),
        WAIT,
        'the handshake outcome',
      );
      plain.connect(endpoint);
      void plain.send(encodeClientRequest('mmi.service', [Buffer.from('echo')])).catch(() => undefined);
      assert.match(await handshake, /^handshake:error/);
      assert.equal(secure.stats().malformed + secure.stats().unauthenticated, 0, 'a message of the NULL peer reached the broker');
    } finally {
      plain.close();
    }
  });
});
