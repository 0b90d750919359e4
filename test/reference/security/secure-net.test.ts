import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Dealer } from 'zeromq';
import { ReconnectingDealer } from '../../../reference/net/reconnecting-dealer';
import { RouterServer, type Frame } from '../../../reference/net/router-server';
import type { Principal } from '../../../reference/security/policy';
import { silentLogger } from '../../../reference/util/log';
import { waitFor } from '../../../harness/util/wait-for';
import { freeEndpoint } from '../helpers';
import { SecurityFixture } from './fixture';

/** RouterServer and ReconnectingDealer in secure mode, on real CURVE sockets. */
const WAIT = 3_000;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Received {
  frames: string[];
  principal?: Principal;
}

async function secureServer(fixture: SecurityFixture, received: Received[], revoked: string[] = []): Promise<RouterServer> {
  const server = new RouterServer({
    endpoint: await freeEndpoint(),
    tickInterval: 20,
    role: 'test',
    log: silentLogger(),
    security: await fixture.serverSecurity(),
    onMessage: (_identity: Frame, frames: Frame[], principal?: Principal) => received.push({ frames: frames.map(String), principal }),
    onRevokedSender: (_identity, key) => revoked.push(key),
    onTick: () => undefined,
  });
  await server.listen();
  closers.push(() => server.close());
  return server;
}

function dealerOf(fixture: SecurityFixture, name: string, endpoint: string): ReconnectingDealer {
  const dealer = new ReconnectingDealer({
    endpoint,
    heartbeatInterval: 1_000,
    heartbeatLiveness: 100,
    reconnectInitial: 10,
    reconnectMax: 10,
    self: name,
    peer: 'test',
    log: silentLogger(),
    security: fixture.peer(name),
    onConnect: () => undefined,
    onMessage: () => undefined,
    onTick: () => undefined,
  });
  dealer.start();
  closers.push(() => dealer.close());
  return dealer;
}

test('a secure RouterServer hands on the frames after the envelope with the sender\'s principal', async () => {
  const fixture = new SecurityFixture({ alice: { call: ['echo'] } });
  const received: Received[] = [];
  const server = await secureServer(fixture, received);
  dealerOf(fixture, 'alice', server.endpoint).send([Buffer.from('MDPC01'), Buffer.from('echo')]);
  await waitFor(() => received.length === 1, { timeoutMs: WAIT, what: 'the enveloped message' });
  assert.deepEqual(received[0], { frames: ['MDPC01', 'echo'], principal: { name: 'alice', key: fixture.keys('alice').publicKey } });
});

test('a listed key sending without an envelope is dropped and counted as unauthenticated', async () => {
  const fixture = new SecurityFixture({ alice: {} });
  const received: Received[] = [];
  const server = await secureServer(fixture, received);
  const raw = new Dealer({ linger: 0, ...fixture.peer('alice').socketOptions() });
  closers.push(() => raw.close());
  raw.connect(server.endpoint);
  await raw.send([Buffer.from('MDPC01'), Buffer.from('echo')]);
  await waitFor(() => server.security!.counts.unauthenticated === 1, { timeoutMs: WAIT, what: 'the unauthenticated count' });
  assert.deepEqual(received, []);
});

test('after the policy drops a key, its messages on the open connection are dropped as unauthorized', async () => {
  const fixture = new SecurityFixture({ alice: {}, bob: {} });
  const received: Received[] = [];
  const revoked: string[] = [];
  const server = await secureServer(fixture, received, revoked);
  const alice = dealerOf(fixture, 'alice', server.endpoint);
  alice.send([Buffer.from('one')]);
  await waitFor(() => received.length === 1, { timeoutMs: WAIT, what: 'the message before the revocation' });
  fixture.writePolicy({ bob: {} });
  await waitFor(() => !server.security!.policy.lists(fixture.keys('alice').publicKey), { timeoutMs: WAIT, what: 'the reload on the next tick' });
  alice.send([Buffer.from('two')]);
  await waitFor(() => revoked.length === 1, { timeoutMs: WAIT, what: 'the revoked sender callback' });
  assert.deepEqual(revoked, [fixture.keys('alice').publicKey]);
  assert.equal(server.security!.counts.unauthorized, 1);
  assert.deepEqual(received.map((r) => r.frames), [['one']]);
});
