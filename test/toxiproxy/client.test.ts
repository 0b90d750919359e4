import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Toxiproxy, ToxiproxyError, type Latency, type Timeout } from 'toxiproxy-node-client';
import { Client, HOST, startProxyAndUpstream, withCleanup, type Defer, type TestServer } from './support';

/** The server driven only through toxiproxy-node-client (v4), as existing Toxiproxy users drive it. */

const portOf = (listen: string): number => Number(listen.split(':').pop());

/** Runs `body` with a client of a fresh fault proxy server and an echo server to point proxies at. */
async function withToxiproxy(body: (setup: { toxiproxy: Toxiproxy; echo: TestServer; defer: Defer }) => Promise<void>): Promise<void> {
  await withCleanup(async (defer) => {
    const { server, echo } = await startProxyAndUpstream(defer);
    await body({ toxiproxy: new Toxiproxy(server.url), echo, defer });
  });
}

/** Matches the ToxiproxyError the client throws for an answer with `status`. */
const isToxiproxyError =
  (status: number) =>
  (error: unknown): boolean =>
    error instanceof ToxiproxyError && new RegExp(`status code ${status}`).test(error.message);

test('client: version, create/get/getAll, add/get/update/remove a toxic, and the toxic shapes traffic', async () => {
  await withToxiproxy(async ({ toxiproxy, echo, defer }) => {

    assert.equal(await toxiproxy.getVersion(), '{"version": "2.12.0"}\n');

    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: `${HOST}:0`, upstream: echo.address });
    assert.equal(proxy.name, 'echo');
    assert.equal(proxy.enabled, true);
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual((await toxiproxy.get('echo')).toJson(), proxy.toJson());
    assert.deepEqual(Object.keys(await toxiproxy.getAll()), ['echo']);

    const client = await Client.connect(portOf(proxy.listen));
    defer(() => client.destroy());
    assert.ok((await client.roundTrip('fast')) < 150);

    const toxic = await proxy.addToxic<Latency>({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    assert.deepEqual(toxic.toJson(), { name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    const slow = await client.roundTrip('slow');
    assert.ok(slow >= 190, `with a 200 ms latency toxic: ${slow.toFixed(0)} ms`);

    assert.deepEqual((await proxy.getToxic<Latency>('lag')).toJson(), toxic.toJson());
    const updated = await toxic.update({ ...toxic.toJson(), attributes: { latency: 0, jitter: 0 } });
    assert.deepEqual(updated.attributes, { latency: 0, jitter: 0 });
    assert.ok((await client.roundTrip('fast again')) < 150, 'the update reached the open connection');

    await updated.remove();
    await assert.rejects(proxy.getToxic('lag'), isToxiproxyError(404));
  });
});

test('client: proxy update disables and re-enables; duplicate create and missing proxy are ToxiproxyErrors; remove deletes', async () => {
  await withToxiproxy(async ({ toxiproxy, echo, defer }) => {
    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: `${HOST}:0`, upstream: echo.address });
    const port = portOf(proxy.listen);

    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    assert.equal(disabled.enabled, false);
    await assert.rejects(Client.connect(port), /ECONNREFUSED/);
    const enabled = await disabled.update({ enabled: true, listen: disabled.listen, upstream: disabled.upstream });
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.listen, proxy.listen);
    const client = await Client.connect(port);
    defer(() => client.destroy());
    await client.roundTrip('back');

    await assert.rejects(
      toxiproxy.createProxy({ name: 'echo', listen: `${HOST}:0`, upstream: echo.address }),
      isToxiproxyError(409),
    );
    await enabled.remove();
    await assert.rejects(toxiproxy.get('echo'), isToxiproxyError(404));
  });
});

test('client: populate creates and keeps proxies; reset re-enables them and removes their toxics', async () => {
  await withToxiproxy(async ({ toxiproxy, echo, defer }) => {

    const proxies = await toxiproxy.populate([
      { name: 'one', listen: `${HOST}:0`, upstream: echo.address },
      { name: 'two', listen: `${HOST}:0`, upstream: echo.address, enabled: false },
    ]);
    assert.deepEqual(Object.keys(proxies).sort(), ['one', 'two']);
    assert.equal(proxies.two.enabled, false);
    assert.deepEqual(await toxiproxy.populate([]), {});

    await proxies.one.addToxic<Timeout>({ name: 'hole', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
    const client = await Client.connect(portOf(proxies.one.listen));
    defer(() => client.destroy());
    client.socket.write('lost');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(client.received.length, 0, 'the timeout toxic set through the client blackholes traffic');

    // Same listen and upstream: populate keeps the proxy as it is, toxic included.
    const kept = await toxiproxy.populate([{ name: 'one', listen: proxies.one.listen, upstream: echo.address }]);
    assert.equal((await kept.one.getToxic('hole')).name, 'hole');

    await toxiproxy.reset();
    const after = await toxiproxy.getAll();
    assert.equal(after.one.enabled, true);
    assert.equal(after.two.enabled, true);
    await assert.rejects(after.one.getToxic('hole'), ToxiproxyError);
    // Removing the blackhole closed the connection it held (the real server's behaviour).
    await client.waitForEnd(2000);
  });
});
