import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Dealer, Router } from 'zeromq';
import { generateKeyPair, type KeyPair } from '../../../reference/security/key-pair';
import { PeerSecurity } from '../../../reference/security/peer-security';
import { ServerSecurity } from '../../../reference/security/server-security';
import { zapReply } from '../../../reference/security/zap-handler';
import { z85Decode } from '../../../reference/security/z85';
import { silentLogger } from '../../../reference/util/log';
import { withTimeout } from '../../../harness/util/wait-for';
import { freeEndpoint } from '../helpers';

function zapRequest(domain: string, mechanism: string, key?: string, version = '1.0'): Buffer[] {
  return [Buffer.alloc(0), Buffer.from(version), Buffer.from('7'), Buffer.from(domain), Buffer.from('127.0.0.1'), Buffer.from('id'), Buffer.from(mechanism), ...(key ? [z85Decode(key)] : [])];
}

test('zapReply: 200 for a listed CURVE key, 400 for other keys, mechanisms and domains, 500 for a non-ZAP request', () => {
  const listed = generateKeyPair().publicKey;
  const domains = new Map([['broker', (key: string) => key === listed]]);
  const status = (reply: Buffer[]) => [reply[1]!.toString(), reply[2]!.toString(), reply[3]!.toString()];
  assert.deepEqual(status(zapReply(zapRequest('broker', 'CURVE', listed), domains)), ['1.0', '7', '200']);
  assert.equal(zapReply(zapRequest('broker', 'CURVE', listed), domains)[5]!.toString(), listed);
  assert.equal(status(zapReply(zapRequest('broker', 'CURVE', generateKeyPair().publicKey), domains))[2], '400');
  assert.equal(status(zapReply(zapRequest('broker', 'NULL'), domains))[2], '400');
  assert.equal(status(zapReply(zapRequest('proxy', 'CURVE', listed), domains))[2], '400');
  assert.equal(status(zapReply(zapRequest('broker', 'CURVE', listed, '2.0'), domains))[2], '500');
});

interface Harness {
  security: ServerSecurity;
  router: Router;
  endpoint: string;
  serverKeys: KeyPair;
}

async function secureRouter(listed: KeyPair[]): Promise<Harness> {
  const serverKeys = generateKeyPair();
  const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-zap-')), 'policy.yaml');
  fs.writeFileSync(policyFile, `version: 1\nprincipals:\n${listed.map((pair, i) => `  p${i}: { key: "${pair.publicKey}", call: ["*"] }\n`).join('')}`);
  const security = await ServerSecurity.start({ keyPair: serverKeys, policyFile, log: silentLogger() });
  const router = new Router({ linger: 0, ...security.socketOptions() });
  const endpoint = await freeEndpoint();
  await router.bind(endpoint);
  return { security, router, endpoint, serverKeys };
}

/** The next message the router gets, or undefined after `ms`. */
async function receiveWithin(router: Router, ms: number): Promise<Buffer[] | undefined> {
  router.receiveTimeout = ms;
  try {
    return await router.receive();
  } catch (error) {
    if ((error as { code?: string }).code === 'EAGAIN') return undefined;
    throw error;
  }
}

/** Resolves with the first handshake event a socket reports: `handshake` or `handshake:error:*`. */
function handshakeOutcome(socket: Dealer): Promise<string> {
  return withTimeout(
    (async () => {
      for await (const event of socket.events) if (event.type.startsWith('handshake')) return event.type;
      return 'closed';
    })(),
    3_000,
    'a handshake event',
  );
}

test('a CURVE ROUTER with the ZAP handler accepts a listed key, refuses an unlisted key and a NULL peer', async () => {
  const listed = generateKeyPair();
  const { security, router, endpoint, serverKeys } = await secureRouter([listed]);
  const peers: Dealer[] = [];
  try {
    const good = new PeerSecurity(listed, serverKeys.publicKey);
    const goodSocket = new Dealer({ linger: 0, ...good.socketOptions() });
    peers.push(goodSocket);
    const goodHandshake = handshakeOutcome(goodSocket);
    goodSocket.connect(endpoint);
    await goodSocket.send(good.wrap([Buffer.from('hello')]));
    const received = await receiveWithin(router, 3_000);
    assert.ok(received, 'the listed key got through within 3 s');
    const opened = security.open(received.slice(1));
    assert.equal(opened.kind, 'ok');
    if (opened.kind === 'ok') {
      assert.equal(opened.principal.name, 'p0');
      assert.deepEqual(opened.frames, [Buffer.from('hello')]);
    }
    assert.equal(await goodHandshake, 'handshake');

    const stranger = new PeerSecurity(generateKeyPair(), serverKeys.publicKey);
    const strangerSocket = new Dealer({ linger: 0, ...stranger.socketOptions() });
    peers.push(strangerSocket);
    const strangerHandshake = handshakeOutcome(strangerSocket);
    strangerSocket.connect(endpoint);
    void strangerSocket.send(stranger.wrap([Buffer.from('let me in')])).catch(() => undefined);
    assert.equal(await strangerHandshake, 'handshake:error:auth');

    const plainSocket = new Dealer({ linger: 0 });
    peers.push(plainSocket);
    const plainHandshake = handshakeOutcome(plainSocket);
    plainSocket.connect(endpoint);
    void plainSocket.send([Buffer.from('plain')]).catch(() => undefined);
    assert.match(await plainHandshake, /^handshake:error/);

    assert.equal(await receiveWithin(router, 300), undefined, 'nothing from the unlisted key or the NULL peer reached the router');
  } finally {
    for (const peer of peers) peer.close();
    router.close();
    security.close();
  }
});

test('two secure servers in one process share the ZAP handler, each with its own allow-list', async () => {
  const first = generateKeyPair();
  const second = generateKeyPair();
  const a = await secureRouter([first]);
  const b = await secureRouter([second]);
  const sockets: Dealer[] = [];
  try {
    const outcome = (pair: KeyPair, server: Harness) => {
      const socket = new Dealer({ linger: 0, ...new PeerSecurity(pair, server.serverKeys.publicKey).socketOptions() });
      sockets.push(socket);
      const result = handshakeOutcome(socket);
      socket.connect(server.endpoint);
      return result;
    };
    assert.equal(await outcome(first, a), 'handshake');
    assert.equal(await outcome(second, a), 'handshake:error:auth');
    assert.equal(await outcome(second, b), 'handshake');
    a.router.close();
    a.security.close();
    assert.equal(await outcome(first, b), 'handshake:error:auth', 'the second server still checks after the first left');
  } finally {
    for (const socket of sockets) socket.close();
    b.router.close();
    b.security.close();
    if (!a.router.closed) a.router.close();
    a.security.close();
  }
});
