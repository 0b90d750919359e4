import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { FaultProxyServer } from '../../harness/toxiproxy/server';
import { Client, addToxic, createProxy, freePort, http, httpJson, sleep, startFaultProxy, startProxyAndUpstream, startServer, withCleanup, type TestServer } from './support';

/**
 * Real traffic through a proxy to a TCP echo server, one toxic at a time. Timing bounds are
 * generous (a noisy 2-core machine): lower bounds are what a toxic guarantees, upper bounds only
 * catch a toxic that does nothing or something very different.
 */

interface Setup {
  server: FaultProxyServer;
  echo: TestServer;
  port: number;
  connect(): Promise<Client>;
}

async function withProxy(body: (setup: Setup) => Promise<void>, upstream?: () => Promise<TestServer>): Promise<void> {
  await withCleanup(async (defer) => {
    const { server, echo } = await startProxyAndUpstream(defer, upstream);
    const port = await createProxy(server.url, 'p', echo.address);
    const connect = async () => {
      const client = await Client.connect(port);
      defer(() => client.destroy());
      return client;
    };
    await body({ server, echo, port, connect });
  });
}

test('no toxics: 8 MiB echoed through the proxy arrive intact and quickly', async () => {
  await withProxy(async ({ connect }) => {
    const client = await connect();
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
    const started = performance.now();
    client.socket.write(payload);
    const received = await client.receive(payload.length, 10_000);
    assert.equal(createHash('sha256').update(received).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    assert.ok(performance.now() - started < 8000, 'unthrottled proxying is not the bottleneck');
  });
});

/** Writes `total` bytes in 64 KiB pieces, honouring backpressure; returns how many have left the socket so far. */
function pump(client: Client, total: number): () => number {
  const piece = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  const more = (): void => {
    while (written < total && !client.socket.destroyed) {
      written += piece.length;
      if (!client.socket.write(piece)) {
        client.socket.once('drain', more);
        return;
      }
    }
  };
  more();
  return () => written - client.socket.writableLength;
}

test('backpressure: an upstream that does not read stalls the client instead of filling the proxy (with and without toxics)', async () => {
  // The upstream accepts and never reads: what the proxy does not take stays queued in the client.
  const sink = () => startServer((socket) => socket.pause());
  await withProxy(async ({ server, connect }) => {
    const total = 64 * 1024 * 1024;
    const fast = pump(await connect(), total);
    await addToxic(server.url, 'p', { type: 'latency', stream: 'upstream', attributes: { latency: 5 } });
    const delayed = pump(await connect(), total);
    await sleep(1000);
    // Kernel buffers on the two hops take a few MiB, the latency toxic at most 4 MiB more; a proxy
    // that read without limit would have taken all 64 MiB.
    for (const [name, flushed] of [['no toxics', fast()], ['latency toxic', delayed()]] as const) {
      assert.ok(flushed < 24 * 1024 * 1024, `${name}: the proxy took ${(flushed / 1048576).toFixed(1)} MiB from a client whose upstream does not read`);
      assert.ok(flushed > 0, `${name}: something flowed`);
    }
  }, sink);
});

test('latency: downstream latency delays each reply by about `latency` ms', async () => {
  await withProxy(async ({ server, connect }) => {
    const client = await connect();
    const baseline = await client.roundTrip('warm-up');
    await addToxic(server.url, 'p', { type: 'latency', attributes: { latency: 150 } });
    const delayed = await client.roundTrip('hello');
    assert.ok(delayed >= 145, `round trip ${delayed.toFixed(1)} ms with 150 ms latency (baseline ${baseline.toFixed(1)} ms)`);
    assert.ok(delayed < 150 + 600, `round trip ${delayed.toFixed(1)} ms`);
  });
});

test('latency: chunks do not queue behind each other (5 writes 40 ms apart, 200 ms latency, all back in well under 5 × 200 ms)', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'latency', stream: 'upstream', attributes: { latency: 200 } });
    const client = await connect();
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      client.socket.write(`m${i}`);
      await sleep(40);
    }
    await client.receive(10, 3000);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 195 + 4 * 40 - 20, `last reply after ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 900, `last reply after ${elapsed.toFixed(0)} ms: chunks queued behind each other's delay`);
    assert.equal(client.received.toString(), 'm0m1m2m3m4');
  });
});

test('latency with jitter: delays spread over latency ± jitter', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'latency', attributes: { latency: 100, jitter: 80 } });
    const client = await connect();
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) samples.push(await client.roundTrip(`j${i}`));
    const min = Math.min(...samples);
    const max = Math.max(...samples);
    assert.ok(min >= 100 - 80 - 2, `fastest ${min.toFixed(1)} ms`);
    assert.ok(max < 100 + 80 + 500, `slowest ${max.toFixed(1)} ms`);
    assert.ok(max - min > 15, `jitter spreads delays: ${samples.map((s) => s.toFixed(0)).join(', ')}`);
  });
});

test('bandwidth: 100 KB/s takes about 0.5 s for 50 KB; rate 0 is unlimited', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { name: 'bw', type: 'bandwidth', attributes: { rate: 100 } });
    const client = await connect();
    const elapsed = await client.roundTrip(Buffer.alloc(50_000, 7), 5000);
    assert.ok(elapsed >= 400, `50 KB at 100 KB/s took ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 2000, `50 KB at 100 KB/s took ${elapsed.toFixed(0)} ms`);

    await httpJson(server.url, 'PATCH', '/proxies/p/toxics/bw', { attributes: { rate: 0 } }, 200);
    const unlimited = await client.roundTrip(Buffer.alloc(50_000, 8), 5000);
    assert.ok(unlimited < 300, `rate 0 took ${unlimited.toFixed(0)} ms`);
  });
});

test('slow_close: the close is held back by `delay` ms, data is not', async () => {
  // An upstream that says hello and closes at once.
  const greeter = () => startServer((socket) => socket.end('bye'));
  await withProxy(async ({ server, port }) => {
    await addToxic(server.url, 'p', { type: 'slow_close', attributes: { delay: 300 } });
    const started = performance.now();
    const client = await Client.connect(port);
    try {
      await client.receive(3);
      const dataAt = performance.now() - started;
      await client.waitForEnd(3000);
      const endAt = performance.now() - started;
      assert.equal(client.received.toString(), 'bye');
      assert.ok(dataAt < 250, `data after ${dataAt.toFixed(0)} ms`);
      assert.ok(endAt >= 290, `end after ${endAt.toFixed(0)} ms with a 300 ms slow_close`);
    } finally {
      client.destroy();
    }
  }, greeter);
});

test('timeout: data is dropped and the connection closes `timeout` ms after the last chunk (each chunk re-arms)', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } });
    const client = await connect();
    const started = performance.now();
    let lastWrite = started;
    for (let i = 0; i < 5; i++) {
      client.socket.write(`t${i}`);
      lastWrite = performance.now();
      await sleep(100);
    }
    assert.equal(client.closed || client.ended, false, 'writes every 100 ms keep a 300 ms timeout from firing');
    await client.waitForEnd(3000);
    const sinceLast = performance.now() - lastWrite;
    assert.ok(sinceLast >= 280, `closed ${sinceLast.toFixed(0)} ms after the last write`);
    assert.equal(client.received.length, 0, 'nothing got through');
  });
});

test('timeout 0: a blackhole that holds the connection open; removing the toxic closes the connection', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { name: 'hole', type: 'timeout', attributes: { timeout: 0 } });
    const client = await connect();
    client.socket.write('into the void');
    await sleep(400);
    assert.equal(client.received.length, 0, 'data dropped');
    assert.equal(client.ended || client.closed, false, 'still open');
    assert.equal((await http(server.url, 'DELETE', '/proxies/p/toxics/hole')).status, 204);
    await client.waitForEnd(2000);
  });
});

test('reset_peer: the next data triggers a TCP reset `timeout` ms later (ECONNRESET)', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'reset_peer', attributes: { timeout: 200 } });
    const client = await connect();
    await sleep(300);
    assert.equal(client.closed || client.ended, false, 'no traffic: nothing happens');
    const started = performance.now();
    client.socket.write('x');
    await client.until(() => client.error !== undefined, 3000, 'ECONNRESET');
    const elapsed = performance.now() - started;
    assert.equal(client.error?.code, 'ECONNRESET');
    assert.equal(client.received.length, 0, 'the data was dropped');
    assert.ok(elapsed >= 190, `reset after ${elapsed.toFixed(0)} ms with a 200 ms timeout`);
  });
});

test('slicer: 1-byte slices 20 ms apart arrive as separate small chunks, intact', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 20_000 } });
    const client = await connect();
    const message = 'abcdefghijkl';
    const started = performance.now();
    await client.roundTrip(message, 5000);
    assert.equal(client.received.toString(), message);
    // Without the toxic the echo comes back as one chunk; a busy receiver may still read two slices at once.
    assert.ok(client.chunks.length >= message.length / 2, `${client.chunks.length} chunks for ${message.length} bytes`);
    assert.ok(performance.now() - started >= (message.length - 1) * 20 - 5, 'slices are spaced by the delay');
  });
});

test('limit_data: the connection closes once `bytes` have passed in that direction', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { type: 'limit_data', attributes: { bytes: 10 } });
    const client = await connect();
    client.socket.write('0123456789abcdefghijklmnopqrstuvwxyz');
    await client.waitForEnd(3000);
    await sleep(50);
    assert.equal(client.received.toString(), '0123456789');
  });
});

test('toxicity 0 never applies; raising it to 1 applies it to the open connection', async () => {
  await withProxy(async ({ server, connect }) => {
    await addToxic(server.url, 'p', { name: 'lag', type: 'latency', toxicity: 0, attributes: { latency: 400 } });
    const client = await connect();
    for (let i = 0; i < 3; i++) {
      const elapsed = await client.roundTrip(`z${i}`);
      assert.ok(elapsed < 300, `toxicity 0 round trip ${elapsed.toFixed(0)} ms`);
    }
    const other = await connect();
    assert.ok((await other.roundTrip('new')) < 300, 'toxicity 0 on a new connection');
    await httpJson(server.url, 'PATCH', '/proxies/p/toxics/lag', { toxicity: 1 }, 200);
    const elapsed = await client.roundTrip('now');
    assert.ok(elapsed >= 390, `after toxicity 1: ${elapsed.toFixed(0)} ms`);
  });
});

test('toxics added, updated and removed take effect on open connections', async () => {
  await withProxy(async ({ server, connect }) => {
    const client = await connect();
    assert.ok((await client.roundTrip('a')) < 150);
    await addToxic(server.url, 'p', { name: 'lag', type: 'latency', stream: 'upstream', attributes: { latency: 250 } });
    const added = await client.roundTrip('b');
    assert.ok(added >= 240, `after add: ${added.toFixed(0)} ms`);
    await httpJson(server.url, 'POST', '/proxies/p/toxics/lag', { attributes: { latency: 10 } }, 200);
    const updated = await client.roundTrip('c');
    assert.ok(updated >= 8 && updated < 200, `after update to 10 ms: ${updated.toFixed(0)} ms`);
    await httpJson(server.url, 'POST', '/proxies/p/toxics/lag', { attributes: { latency: 250 } }, 200);
    // Data held by a toxic when it is removed is delivered at once, not lost.
    client.socket.write('d');
    await sleep(50);
    assert.equal((await http(server.url, 'DELETE', '/proxies/p/toxics/lag')).status, 204);
    await client.receive(4, 1000);
    assert.equal(client.received.toString(), 'abcd');
    assert.ok((await client.roundTrip('e')) < 150, 'after removal');
  });
});

test('disabling a proxy closes its listener and open connections; enabling binds the same port again', async () => {
  await withProxy(async ({ server, port, connect }) => {
    const client = await connect();
    await client.roundTrip('before');
    await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: false }, 200);
    await client.waitForEnd(2000);
    await assert.rejects(Client.connect(port), /ECONNREFUSED/);
    await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: true }, 200);
    const again = await connect();
    await again.roundTrip('after');
  });
});

test('changing the upstream drops open connections and restarts the proxy on the same listen', async () => {
  await withCleanup(async (defer) => {
    const { server, echo: first } = await startProxyAndUpstream(defer);
    const second = await startServer((socket) => socket.on('data', (data: Buffer) => socket.write(data.toString().toUpperCase())));
    defer(() => second.close());
    const port = await createProxy(server.url, 'p', first.address);
    const client = await Client.connect(port);
    defer(() => client.destroy());
    await client.roundTrip('abc');
    await httpJson(server.url, 'PATCH', '/proxies/p', { upstream: second.address }, 200);
    await client.waitForEnd(2000);
    const next = await Client.connect(port);
    defer(() => next.destroy());
    await next.roundTrip('xyz');
    assert.equal(next.received.toString(), 'XYZ');
  });
});

test('upstream down: the client is accepted, then sees EOF at once', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const deadPort = await freePort();
    const port = await createProxy(server.url, 'p', `127.0.0.1:${deadPort}`);
    const client = await Client.connect(port);
    defer(() => client.destroy());
    await client.waitForEnd(2000);
    assert.equal(client.received.length, 0);
    assert.equal(client.error, undefined);
  });
});

test('the upstream is dialled (and its name resolved) per client connection, not when the proxy is created', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const upstreamPort = await freePort();
    const proxyPort = await createProxy(server.url, 'p', `localhost:${upstreamPort}`);
    const early = await Client.connect(proxyPort);
    defer(() => early.destroy());
    await early.waitForEnd(2000);
    // The upstream comes up later: the same proxy, untouched, now reaches it.
    const echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(upstreamPort, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => echo.close(resolve)));
    const client = await Client.connect(proxyPort);
    defer(() => client.destroy());
    await client.roundTrip('by name');
  });
});
