import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dealer, Router, curveKeyPair } from 'zeromq';
import { HOST, assertApiError, createProxy, freePort, http, httpJson, startFaultProxy, withCleanup, type Defer } from '../support';
import { deliver, heartbeat, pair, receive, reply, text, type Pair } from './zmtp-pair';

/**
 * keelhaul's message toxics on real ZeroMQ traffic: a DEALER connects through a proxy to a ROUTER
 * (both zeromq.js, real TCP on 127.0.0.1). Toxics are added once the connection is open, as the
 * harness adds them, so the dissector joins a stream it did not see begin.
 */

async function toxic(base: string, body: Record<string, unknown>): Promise<void> {
  await httpJson(base, 'POST', '/proxies/p/toxics', body, 200);
}

async function counts(base: string, name: string): Promise<Record<string, number | string>> {
  return (await httpJson(base, 'GET', `/proxies/p/toxics/${name}`, undefined, 200)).attributes;
}


test('zmtp_drop on HEARTBEAT: heartbeats alone vanish, replies arrive, and the toxic says how many it matched and dropped', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer } = await pair(defer);
    await toxic(base, { name: 'hb', type: 'zmtp_drop', stream: 'upstream', attributes: { command: 'heartbeat' } });
    for (const frames of [heartbeat(), reply('j1'), heartbeat(), heartbeat(), reply('j2')]) await dealer.send(frames);
    const got = [text((await receive(router, 'first reply')).slice(1)), text((await receive(router, 'second reply')).slice(1))];
    assert.deepEqual(got, ['|MDPW01|0x03|j1||result of j1', '|MDPW01|0x03|j2||result of j2']);
    const attributes = await counts(base, 'hb');
    assert.equal(attributes.matched, 3);
    assert.equal(attributes.affected, 3);
    assert.equal(attributes.unparsed_streams, 0);
    assert.equal(attributes.command, 'heartbeat', 'string attributes are echoed as given');
  });
});

test('zmtp_duplicate on one job: that REPLY arrives twice, once only (limit 1), others once', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer } = await pair(defer);
    await toxic(base, { name: 'dup', type: 'zmtp_duplicate', stream: 'upstream', attributes: { command: 'REPLY', job: 'j1', limit: 1 } });
    for (const job of ['j1', 'j2', 'j1']) await dealer.send(reply(job));
    const jobs: string[] = [];
    for (let i = 0; i < 4; i++) jobs.push((await receive(router, `reply ${i + 1}`))[4].toString());
    assert.deepEqual(jobs, ['j1', 'j1', 'j2', 'j1']);
    const attributes = await counts(base, 'dup');
    assert.equal(attributes.matched, 2);
    assert.equal(attributes.affected, 1);
  });
});

test('zmtp_reorder on DELIVER: each pair of deliveries arrives swapped', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer, peer } = await pair(defer);
    await toxic(base, { name: 'swap', type: 'zmtp_reorder', stream: 'downstream', attributes: { command: 'DELIVER', topic: 't', timeout: 2000 } });
    for (let sequence = 1; sequence <= 4; sequence++) await router.send([peer, ...deliver(sequence)]);
    const sequences: number[] = [];
    for (let i = 0; i < 4; i++) sequences.push(Number((await receive(dealer, `delivery ${i + 1}`))[3].toString()));
    assert.deepEqual(sequences, [2, 1, 4, 3]);
    const attributes = await counts(base, 'swap');
    assert.equal(attributes.matched, 4);
    assert.equal(attributes.affected, 2);
  });
});

test('zmtp_delay on RECORDED: the RECORDED is overtaken by a later heartbeat and arrives about `delay` ms late', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer, peer } = await pair(defer);
    await toxic(base, { name: 'late', type: 'zmtp_delay', stream: 'downstream', attributes: { command: 'RECORDED', delay: 300 } });
    const started = performance.now();
    await router.send([peer, Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([6]), Buffer.from('j1')]);
    await router.send([peer, ...heartbeat()]);
    assert.equal(text(await receive(dealer, 'heartbeat')), '|MDPW01|0x04');
    assert.equal(text(await receive(dealer, 'RECORDED')), '|MDPW01|0x06|j1');
    assert.ok(performance.now() - started >= 290, 'held for the delay');
    assert.equal((await counts(base, 'late')).affected, 1);
  });
});

test('toxicity is rolled per matched message: at 0 every match is counted and none affected', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer } = await pair(defer);
    await toxic(base, { name: 'never', type: 'zmtp_drop', stream: 'upstream', toxicity: 0, attributes: { command: 'REPLY' } });
    await dealer.send(reply('j1'));
    assert.equal((await receive(router, 'reply'))[4].toString(), 'j1');
    assert.deepEqual([(await counts(base, 'never')).matched, (await counts(base, 'never')).affected], [1, 0]);
  });
});

test('a CURVE link: traffic passes untouched, nothing matches, and the toxic says why', async () => {
  await withCleanup(async (defer) => {
    // The toxics are in place before the connection: the dissector sees the CURVE greeting.
    const { base, router, dealer } = await pairWithToxicFirst(defer);
    await dealer.send(heartbeat());
    assert.equal(text((await receive(router, 'heartbeat')).slice(1)), '|MDPW01|0x04');
    const attributes = await counts(base, 'hb');
    assert.equal(attributes.matched, 0);
    assert.equal(attributes.unparsed_streams, 1);
    assert.match(String(attributes.unparsed_reason), /CURVE.*cannot be matched/);
    assert.equal((await counts(base, 'hb-down')).unparsed_streams, 1, 'each direction reads its own greeting');
  });
});

/** A CURVE pair whose proxy has a heartbeat-dropping toxic on both streams before the dealer connects. */
async function pairWithToxicFirst(defer: Defer): Promise<Pair> {
  const server = await startFaultProxy();
  defer(() => server.close());
  const port = await freePort();
  const keys = curveKeyPair();
  const router = new Router({ linger: 0, curveServer: true, curveSecretKey: keys.secretKey });
  const mine = curveKeyPair();
  const dealer = new Dealer({ linger: 0, curveServerKey: keys.publicKey, curvePublicKey: mine.publicKey, curveSecretKey: mine.secretKey });
  defer(() => router.close());
  defer(() => dealer.close());
  await router.bind(`tcp://${HOST}:${port}`);
  const proxyPort = await createProxy(server.url, 'p', `${HOST}:${port}`);
  await toxic(server.url, { name: 'hb', type: 'zmtp_drop', stream: 'upstream', attributes: { command: 'HEARTBEAT' } });
  await toxic(server.url, { name: 'hb-down', type: 'zmtp_drop', stream: 'downstream', attributes: { command: 'HEARTBEAT' } });
  dealer.connect(`tcp://${HOST}:${proxyPort}`);
  return { base: server.url, router, dealer, peer: Buffer.alloc(0) };
}

test('bad attributes are a 400 naming the field', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', `${HOST}:1`);
    const post = (body: Record<string, unknown>) => http(server.url, 'POST', '/proxies/p/toxics', body);
    assertApiError(await post({ type: 'zmtp_drop', attributes: { command: 'READY,FOO' } }), 400, `bad request body: attributes.command: unknown command "FOO" (known: READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT, RECORDED, CONTROL, CONTROL-ACK, CLIENT-REQUEST, CLIENT-REPLY, PUT, ACCEPTED, REFUSED, HELLO, WELCOME, SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBED, UNSUBSCRIBED, DELIVER, ACK, RESET, FORBIDDEN, BATCH)`);
    assertApiError(await post({ type: 'zmtp_drop', attributes: { command: 4 } }), 400, 'bad request body: json: cannot unmarshal number into Go struct field ZmtpDropToxic.attributes.command of type string');
    assertApiError(await post({ type: 'zmtp_delay', attributes: { command: 'REPLY' } }), 400, 'bad request body: attributes.delay: 0 ms is out of range (1 to 600000 ms)');
    assertApiError(await post({ type: 'zmtp_reorder', attributes: { timeout: 10, sequence: -1 } }), 400, 'bad request body: attributes.sequence: -1 is out of range (0 to 9007199254740991)');
    await httpJson(server.url, 'POST', '/proxies/p/toxics', { name: 'd', type: 'zmtp_delay', attributes: { delay: 5 } }, 200);
    assertApiError(await http(server.url, 'POST', '/proxies/p/toxics/d', { attributes: { delay: 0 } }), 400, 'bad request body: attributes.delay: 0 ms is out of range (1 to 600000 ms)');
  });
});

test('an update on an open connection: the rebuilt stage picks up the stream where the old one left it', async () => {
  await withCleanup(async (defer) => {
    const { base, router, dealer } = await pair(defer);
    await toxic(base, { name: 'switch', type: 'zmtp_drop', stream: 'upstream', attributes: { command: 'HEARTBEAT' } });
    await dealer.send(heartbeat());
    await dealer.send(reply('j1'));
    assert.equal((await receive(router, 'first reply'))[4].toString(), 'j1');
    await httpJson(base, 'PATCH', '/proxies/p/toxics/switch', { attributes: { command: 'REPLY' } }, 200);
    await dealer.send(reply('j2'));
    await dealer.send(heartbeat());
    assert.equal(text((await receive(router, 'heartbeat')).slice(1)), '|MDPW01|0x04', 'the REPLY is dropped now, the heartbeat passes');
    const attributes = await counts(base, 'switch');
    assert.deepEqual([attributes.matched, attributes.affected, attributes.command], [2, 2, 'REPLY']);
  });
});
