import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOST, assertApiError, createProxy, http, httpJson, startFaultProxy, withCleanup } from '../support';
import { heartbeat, pair, receive, reply, text, type Pair } from './zmtp-pair';

/**
 * zmtp_trigger on real ZeroMQ traffic (a zeromq.js DEALER through the fault proxy to a ROUTER, real
 * TCP): the n-th matching message is held with everything behind it, the hit is reported through
 * the API's long poll, and removing the toxic releases what it held (forwarded or dropped).
 */

/** Long enough for a message to cross the proxy on an idle machine many times over. */
const QUIET_MS = 250;

async function trigger(base: string, attributes: Record<string, unknown>): Promise<void> {
  await httpJson(base, 'POST', '/proxies/p/toxics', { name: 't', type: 'zmtp_trigger', stream: 'upstream', attributes }, 200);
}

/** The router's next message, as text without the routing id. */
async function next({ router }: Pair, what: string): Promise<string> {
  return text((await receive(router, what)).slice(1));
}

/** Fails if the router gets anything within QUIET_MS: the stream is held. */
async function assertNothingArrives({ router }: Pair, why: string): Promise<void> {
  router.receiveTimeout = QUIET_MS;
  try {
    const got = await router.receive().then(
      (frames) => text(frames.slice(1)),
      () => undefined,
    );
    assert.equal(got, undefined, why);
  } finally {
    router.receiveTimeout = -1;
  }
}

const REPLY = (job: string): string => `|MDPW01|0x03|${job}||result of ${job}`;


for (const release of ['forward', 'drop'] as const) {
  test(`zmtp_trigger nth 2 on REPLY: the 2nd REPLY and what follows are held, the hit is reported, and removal ${release === 'forward' ? 'forwards it' : 'drops it'} and lets the rest through in order`, async () => {
    await withCleanup(async (defer) => {
      const bench = await pair(defer);
      await trigger(bench.base, { command: 'REPLY', nth: 2, release, timeout: 10_000 });
      const waited = http(bench.base, 'GET', '/proxies/p/toxics/t/hit?timeout=5000');
      for (const frames of [reply('j1'), heartbeat(), reply('j2'), heartbeat(), reply('j3')]) await bench.dealer.send(frames);
      assert.equal(await next(bench, 'j1'), REPLY('j1'));
      assert.equal(await next(bench, 'the heartbeat before the trigger'), '|MDPW01|0x04');
      const hit = JSON.parse((await waited).body) as { attributes: Record<string, number | string> };
      assert.equal(hit.attributes.hits, 1, 'the long poll answers once the trigger fired');
      assert.equal(hit.attributes.matched, 2);
      assert.equal(hit.attributes.hit_command, 'REPLY');
      assert.equal(hit.attributes.hit_jobs, 'j2', 'the hit names the message that made it');
      await assertNothingArrives(bench, 'the trigger message and everything behind it are held');
      const held = (await httpJson(bench.base, 'GET', '/proxies/p/toxics/t', undefined, 200)).attributes;
      assert.equal(held.held, 3, `j2, the heartbeat and j3 are held: ${JSON.stringify(held)}`);
      assert.equal((await http(bench.base, 'DELETE', '/proxies/p/toxics/t')).status, 204);
      const after = release === 'forward' ? [REPLY('j2'), '|MDPW01|0x04', REPLY('j3')] : ['|MDPW01|0x04', REPLY('j3')];
      for (const expected of after) assert.equal(await next(bench, expected), expected);
      await bench.dealer.send(reply('j4'));
      assert.equal(await next(bench, 'j4 after the release'), REPLY('j4'), 'the trigger fires once: later matches pass');
    });
  });
}

test('zmtp_trigger: the hold ends by itself after `timeout` ms, forwarding what it held, and says so', async () => {
  await withCleanup(async (defer) => {
    const bench = await pair(defer);
    await trigger(bench.base, { command: 'REPLY', job: 'j2', nth: 1, timeout: 300 });
    const sent = performance.now();
    for (const frames of [reply('j1'), reply('j2'), reply('j3')]) await bench.dealer.send(frames);
    assert.equal(await next(bench, 'j1'), REPLY('j1'));
    assert.equal(await next(bench, 'j2 after the hold'), REPLY('j2'));
    assert.ok(performance.now() - sent >= 290, `j2 was held about 300 ms (${Math.round(performance.now() - sent)} ms)`);
    assert.equal(await next(bench, 'j3'), REPLY('j3'));
    const attributes = (await httpJson(bench.base, 'GET', '/proxies/p/toxics/t', undefined, 200)).attributes;
    assert.equal(attributes.timed_out, 1);
    assert.equal(attributes.held, 0);
  });
});

test('GET .../hit on a trigger that never fires answers hits 0 after its timeout, at once when the toxic is removed', async () => {
  await withCleanup(async (defer) => {
    const bench = await pair(defer);
    await trigger(bench.base, { command: 'RECORDED', nth: 1 });
    const started = performance.now();
    const reply = await httpJson(bench.base, 'GET', '/proxies/p/toxics/t/hit?timeout=200', undefined, 200);
    assert.equal(reply.attributes.hits, 0);
    assert.ok(performance.now() - started >= 190, 'it waited the timeout');
    // Other API calls are not held up by a waiting long poll.
    const waiting = http(bench.base, 'GET', '/proxies/p/toxics/t/hit?timeout=5000');
    const removedAt = performance.now();
    assert.equal((await http(bench.base, 'DELETE', '/proxies/p/toxics/t')).status, 204);
    assert.equal((await waiting).status, 200);
    assert.ok(performance.now() - removedAt < 2000, 'the removal ended the wait');
  });
});

test('zmtp_trigger and its hit route refuse bad values with a 400 naming the field', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', `${HOST}:1`);
    const post = (attributes: Record<string, unknown>) => http(server.url, 'POST', '/proxies/p/toxics', { type: 'zmtp_trigger', attributes });
    assertApiError(await post({ command: 'REPLY' }), 400, 'bad request body: attributes.nth: 0 is out of range (1 to 9007199254740991; 1 is the first matching message)');
    assertApiError(await post({ command: 'REPLY', nth: -3 }), 400, 'bad request body: attributes.nth: -3 is out of range (1 to 9007199254740991; 1 is the first matching message)');
    assertApiError(await post({ command: 'REPLY', nth: '2' }), 400, 'bad request body: json: cannot unmarshal string into Go struct field ZmtpTriggerToxic.attributes.nth of type int64');
    assertApiError(await post({ command: 'FOO', nth: 1 }), 400, 'bad request body: attributes.command: unknown command "FOO" (known: READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT, RECORDED, CONTROL, CONTROL-ACK, CLIENT-REQUEST, CLIENT-REPLY, PUT, ACCEPTED, REFUSED, HELLO, WELCOME, SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBED, UNSUBSCRIBED, DELIVER, ACK, RESET, FORBIDDEN, BATCH)');
    assertApiError(await post({ nth: 1, release: 'later' }), 400, 'bad request body: attributes.release: "later" is neither "forward" (the held message goes on) nor "drop" (it is lost)');
    assertApiError(await post({ nth: 1, timeout: 600_001 }), 400, 'bad request body: attributes.timeout: 600001 ms is out of range (1 to 600000 ms)');
    await httpJson(server.url, 'POST', '/proxies/p/toxics', { name: 't', type: 'zmtp_trigger', attributes: { nth: 1 } }, 200);
    assertApiError(await http(server.url, 'POST', '/proxies/p/toxics/t', { attributes: { nth: 0 } }), 400, 'bad request body: attributes.nth: 0 is out of range (1 to 9007199254740991; 1 is the first matching message)');
    assertApiError(await http(server.url, 'GET', '/proxies/p/toxics/t/hit?timeout=soon'), 400, 'bad request: timeout="soon" is not a whole number of milliseconds from 0 to 600000');
    assertApiError(await http(server.url, 'GET', '/proxies/p/toxics/t/hit?timeout=600001'), 400, 'bad request: timeout="600001" is not a whole number of milliseconds from 0 to 600000');
    await httpJson(server.url, 'POST', '/proxies/p/toxics', { name: 'l', type: 'latency', attributes: { latency: 1 } }, 200);
    assertApiError(await http(server.url, 'GET', '/proxies/p/toxics/l/hit'), 400, 'toxic "l" is a latency toxic, not a zmtp_trigger: it has no hit to wait for');
    assertApiError(await http(server.url, 'GET', '/proxies/p/toxics/none/hit'), 404, 'toxic not found');
  });
});
