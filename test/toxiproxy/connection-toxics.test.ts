import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { Client, addToxic, assertApiError, createProxy, http, httpJson, sleep, startFaultProxy, startServer, withCleanup, type Defer } from './support';

/**
 * The keelhaul extension toxics that act on connections rather than bytes (refuse_new, hang_new,
 * slow_accept, half_open): real TCP clients through a proxy to a real upstream that records what
 * reaches it. Each test also checks the toxic's counters, which are what the harness reports as
 * the fault's effect.
 */

/** An echo upstream that remembers every connection it accepted and what each sent it. */
interface RecordingUpstream {
  readonly address: string;
  readonly sockets: Socket[];
  /** Everything received on connection `index`. */
  received(index: number): string;
}

async function withProxy(
  body: (setup: { url: string; upstream: RecordingUpstream; connect: () => Promise<Client> }) => Promise<void>,
  echo = true,
): Promise<void> {
  await withCleanup(async (defer: Defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const sockets: Socket[] = [];
    const data: string[] = [];
    const upstreamServer = await startServer((socket) => {
      const index = sockets.push(socket) - 1;
      data[index] = '';
      socket.on('data', (chunk: Buffer) => {
        data[index] += chunk.toString();
        if (echo && !socket.writableEnded) socket.write(chunk);
      });
    });
    defer(() => upstreamServer.close());
    const upstream: RecordingUpstream = { address: upstreamServer.address, sockets, received: (index) => data[index] ?? '' };
    const port = await createProxy(server.url, 'p', upstream.address);
    const connect = async (): Promise<Client> => {
      const client = await Client.connect(port);
      defer(() => client.destroy());
      return client;
    };
    await body({ url: server.url, upstream, connect });
  });
}

const counters = async (url: string, toxic: string): Promise<Record<string, number>> => (await httpJson(url, 'GET', `/proxies/p/toxics/${toxic}`, undefined, 200)).attributes;

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

test('refuse_new: new connections are reset at once while an open one keeps working; `refused` counts them', async () => {
  await withProxy(async ({ url, upstream, connect }) => {
    const open = await connect();
    await open.roundTrip('before');
    await addToxic(url, 'p', { name: 'refuse', type: 'refuse_new', stream: 'upstream' });
    for (let i = 0; i < 3; i++) {
      // The reset may come before or after the client has seen its connect complete.
      const outcome = await connect().then(
        async (refused) => {
          refused.socket.write('hello');
          await refused.waitForClose(2000);
          assert.equal(refused.received.length, 0, 'a refused connection gets nothing');
          return refused.error;
        },
        (error: NodeJS.ErrnoException) => error,
      );
      assert.equal(outcome?.code, 'ECONNRESET', `refused with a reset, got ${outcome?.code ?? 'a plain close'}`);
    }
    assert.equal(upstream.sockets.length, 1, 'no refused connection reached the upstream');
    await open.roundTrip('during');
    assert.equal(open.received.toString(), 'beforeduring');
    assert.deepEqual(await counters(url, 'refuse'), { refused: 3 });

    await http(url, 'DELETE', '/proxies/p/toxics/refuse');
    const after = await connect();
    await after.roundTrip('after');
    assert.equal(upstream.sockets.length, 2);
  });
});

test('hang_new: a new connection is accepted and then left alone (nothing dialled, nothing read) until the toxic goes, which closes it', async () => {
  await withProxy(async ({ url, upstream, connect }) => {
    const open = await connect();
    await open.roundTrip('before');
    await addToxic(url, 'p', { name: 'hang', type: 'hang_new' });
    const hung = await connect();
    assert.ok(hung.connected, 'the TCP handshake completes: the proxy accepted it');
    hung.socket.write('anyone there?');
    await sleep(400);
    assert.equal(hung.received.length, 0);
    assert.ok(!hung.closed && !hung.ended, 'a hung connection stays open');
    assert.equal(upstream.sockets.length, 1, 'no upstream connection was dialled for it');
    await open.roundTrip('during');
    assert.deepEqual(await counters(url, 'hang'), { hung: 1 });

    await http(url, 'DELETE', '/proxies/p/toxics/hang');
    await hung.waitForClose(2000);
    assert.equal(upstream.sockets.length, 1, 'removing the toxic closes what it hung, it does not forward it late');
  });
});

test('slow_accept: a new connection waits `delay` ms before its upstream is dialled; open ones are not delayed; `delayed` counts', async () => {
  await withProxy(async ({ url, upstream, connect }) => {
    const open = await connect();
    await open.roundTrip('warm');
    await addToxic(url, 'p', { name: 'slow', type: 'slow_accept', attributes: { delay: 400 } });
    const slow = await connect();
    const elapsed = await slow.roundTrip('late', 3000);
    assert.ok(elapsed >= 380, `the first round trip took ${elapsed.toFixed(0)} ms with a 400 ms slow accept`);
    assert.ok(elapsed < 400 + 1500, `the first round trip took ${elapsed.toFixed(0)} ms`);
    const next = await slow.roundTrip('then');
    assert.ok(next < 300, `after the accept, traffic is not delayed (${next.toFixed(0)} ms)`);
    assert.ok((await open.roundTrip('open')) < 300, 'an open connection is not delayed');
    assert.deepEqual(await counters(url, 'slow'), { delay: 400, delayed: 1 });

    // Removing the toxic lets a connection still waiting go on at once.
    await http(url, 'POST', '/proxies/p/toxics/slow', { attributes: { delay: 60_000 } });
    const waiting = await connect();
    waiting.socket.write('x');
    await sleep(200);
    assert.equal(upstream.sockets.length, 2, 'still waiting under a 60 s delay');
    await http(url, 'DELETE', '/proxies/p/toxics/slow');
    await waiting.receive(1, 2000);
    assert.equal(upstream.sockets.length, 3);
  });
});

test('half_open fin 0: one direction of an open connection goes silent (no FIN, no RST) while the other flows; new connections are untouched', async () => {
  await withProxy(async ({ url, upstream, connect }) => {
    const open = await connect();
    await open.roundTrip('before');
    await addToxic(url, 'p', { name: 'cut', type: 'half_open', stream: 'downstream', attributes: { fin: 0 } });
    open.socket.write('still-arrives');
    await until(() => upstream.received(0).endsWith('still-arrives'), 2000, 'the upstream direction to keep flowing');
    await sleep(300);
    assert.equal(open.received.toString(), 'before', 'the echo does not come back: downstream is cut');
    // The server's side ending does not reach the client either: the direction is silent.
    upstream.sockets[0].end();
    await sleep(300);
    assert.ok(!open.ended && !open.closed && open.error === undefined, 'no FIN and no RST reach the client');

    const fresh = await connect();
    await fresh.roundTrip('fresh');
    assert.deepEqual(await counters(url, 'cut'), { fin: 0, cut: 1 }, 'only the connection open when it was added was cut');

    await http(url, 'DELETE', '/proxies/p/toxics/cut');
    await open.waitForEnd(2000);
    assert.equal(open.received.toString(), 'before', 'removing the toxic closes the silenced stream, it does not resume it');
    await fresh.roundTrip('again');
  });
});

test('half_open fin 1: the client gets a FIN on the cut direction and can still send on the other', async () => {
  await withProxy(async ({ url, upstream, connect }) => {
    const open = await connect();
    await open.roundTrip('before');
    await addToxic(url, 'p', { name: 'fin', type: 'half_open', stream: 'downstream', attributes: { fin: 1 } });
    await open.waitForEnd(2000);
    assert.ok(open.ended && !open.closed, 'a FIN, not a close: the client may still write');
    open.socket.write('after-fin');
    await until(() => upstream.received(0).endsWith('after-fin'), 2000, 'the upstream direction to keep flowing after the FIN');
    assert.deepEqual(await counters(url, 'fin'), { fin: 1, cut: 1 });
  });
});

test('connection toxics: toxicity 0 never applies (counters stay 0); counters are read-only attributes', async () => {
  await withProxy(async ({ url, connect }) => {
    await addToxic(url, 'p', { name: 'refuse', type: 'refuse_new', toxicity: 0, attributes: { refused: 99 } });
    const client = await connect();
    await client.roundTrip('through');
    assert.deepEqual(await counters(url, 'refuse'), { refused: 0 });
  });
});

test('connection toxics: values that make no sense are refused with a precise 400', async () => {
  await withProxy(async ({ url }) => {
    assertApiError(
      await http(url, 'POST', '/proxies/p/toxics', { type: 'slow_accept', attributes: { delay: 0 } }),
      400,
      'bad request body: attributes.delay: 0 ms is out of range (1 to 2147483647 ms)',
    );
    assertApiError(
      await http(url, 'POST', '/proxies/p/toxics', { type: 'half_open', attributes: { fin: 2 } }),
      400,
      'bad request body: attributes.fin: 2 is neither 0 (drop the direction silently) nor 1 (send a FIN one way)',
    );
    assertApiError(await http(url, 'POST', '/proxies/p/toxics', { type: 'slow_accept', attributes: { delay: 'soon' } }), 400, 'bad request body: json: cannot unmarshal string into Go struct field SlowAcceptToxic.attributes.delay of type int64');
    await addToxic(url, 'p', { name: 'slow', type: 'slow_accept', attributes: { delay: 50 } });
    assertApiError(
      await http(url, 'POST', '/proxies/p/toxics/slow', { attributes: { delay: -1 } }),
      400,
      'bad request body: attributes.delay: -1 ms is out of range (1 to 2147483647 ms)',
    );
    assert.deepEqual(await counters(url, 'slow'), { delay: 50, delayed: 0 }, 'a refused update changes nothing');
    assert.equal((await http(url, 'GET', '/proxies/p/toxics/missing')).status, 404);
  });
});
