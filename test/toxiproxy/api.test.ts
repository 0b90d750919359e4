import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HOST, Client, addToxic, assertApiError, createProxy, freePort, http, httpJson, startFaultProxy, startProxyAndUpstream, withCleanup } from './support';

/** The HTTP API, endpoint by endpoint and error by error, against the contract in /shared/TOXIPROXY-API.md. */

test('api: GET /version answers {"version": "2.12.0"} and a newline', async () => {
  const server = await startFaultProxy();
  try {
    const reply = await http(server.url, 'GET', '/version');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '{"version": "2.12.0"}\n');
    assert.match(reply.contentType ?? '', /^application\/json/);
  } finally {
    await server.close();
  }
});

test('api: POST /proxies creates (201, bound listen, enabled by default, extra fields ignored); GET lists and shows it', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies', undefined, 200), {});

    const reply = await http(server.url, 'POST', '/proxies', { name: 'db', listen: `${HOST}:0`, upstream: 'db.invalid:5432', extra: [1, 2], toxics: 'ignored' });
    assert.equal(reply.status, 201);
    assert.equal(reply.contentType, 'application/json');
    const created = JSON.parse(reply.body);
    assert.match(created.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(created.listen, `${HOST}:0`);
    assert.equal(reply.body, `{"name":"db","listen":"${created.listen}","upstream":"db.invalid:5432","enabled":true,"toxics":[]}`);

    // Created disabled: listen is shown as sent, nothing is bound.
    const disabled = await httpJson(server.url, 'POST', '/proxies', { name: 'cache', listen: `${HOST}:0`, upstream: 'cache.invalid:6379', enabled: false }, 201);
    assert.deepEqual(disabled, { name: 'cache', listen: `${HOST}:0`, upstream: 'cache.invalid:6379', enabled: false, toxics: [] });

    const listed = await http(server.url, 'GET', '/proxies');
    assert.equal(listed.status, 200);
    // Keyed by name and, as Go marshals maps, sorted by name.
    assert.equal(listed.body, `{"cache":${JSON.stringify(disabled)},"db":${reply.body}}`);
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/db', undefined, 200), created);
  });
});

test('api: POST /proxies errors: bad body, missing name/upstream, 409 taken, 500 bind failure and bad address', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const post = (body: unknown) => http(server.url, 'POST', '/proxies', body);

    assertApiError(await post(''), 400, 'bad request body: EOF');
    assertApiError(await post('{"name":'), 400, 'bad request body: unexpected EOF');
    assertApiError(await post('nope'), 400, "bad request body: invalid character 'o' in literal null (expecting 'u')");
    assertApiError(await post('{name: 1}'), 400, 'bad request body: invalid character \'n\' looking for beginning of object key string');
    assertApiError(await post({ name: 7, upstream: 'x:1' }), 400, 'bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string');
    assertApiError(await post({ name: 'p', upstream: 'x:1', enabled: 'yes' }), 400, 'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool');
    assertApiError(await post([]), 400, 'bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy');
    assertApiError(await post({ listen: `${HOST}:0`, upstream: 'x:1' }), 400, 'missing required field: name');
    assertApiError(await post({ name: 'p', listen: `${HOST}:0` }), 400, 'missing required field: upstream');

    await createProxy(server.url, 'p', 'x:1');
    assertApiError(await post({ name: 'p', listen: `${HOST}:0`, upstream: 'y:2' }), 409, 'proxy already exists');

    const occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(0, HOST, resolve));
    defer(() => new Promise((resolve) => occupier.close(resolve)));
    const taken = (occupier.address() as AddressInfo).port;
    assertApiError(await post({ name: 'q', listen: `${HOST}:${taken}`, upstream: 'x:1' }), 500, `listen tcp ${HOST}:${taken}: bind: address already in use`);
    assertApiError(await post({ name: 'q', listen: 'nonsense', upstream: 'x:1' }), 500, 'address nonsense: missing port in address');
    // Neither failure created anything.
    assertApiError(await http(server.url, 'GET', '/proxies/q'), 404, 'proxy not found');
  });
});

test('api: GET/DELETE /proxies/{p}: 404 proxy not found; DELETE answers 204 and closes the listener', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    assertApiError(await http(server.url, 'GET', '/proxies/ghost'), 404, 'proxy not found');
    assertApiError(await http(server.url, 'DELETE', '/proxies/ghost'), 404, 'proxy not found');
    assertApiError(await http(server.url, 'POST', '/proxies/ghost', { enabled: false }), 404, 'proxy not found');

    const port = await createProxy(server.url, 'p', 'x:1');
    const reply = await http(server.url, 'DELETE', '/proxies/p');
    assert.equal(reply.status, 204);
    assert.equal(reply.body, '');
    assertApiError(await http(server.url, 'GET', '/proxies/p'), 404, 'proxy not found');
    await assert.rejects(Client.connect(port), /ECONNREFUSED/);
  });
});

test('api: POST/PATCH /proxies/{p} updates: omitted fields kept, name ignored, disable/enable rebinds the same port, errors', async () => {
  await withCleanup(async (defer) => {
    const { server, echo } = await startProxyAndUpstream(defer);
    const port = await createProxy(server.url, 'p', echo.address);
    const listen = `${HOST}:${port}`;

    const disabled = await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: false, name: 'renamed' }, 200);
    assert.deepEqual(disabled, { name: 'p', listen, upstream: echo.address, enabled: false, toxics: [] });
    await assert.rejects(Client.connect(port), /ECONNREFUSED/);

    const enabled = await httpJson(server.url, 'POST', '/proxies/p', { enabled: true }, 200);
    assert.deepEqual(enabled, { name: 'p', listen, upstream: echo.address, enabled: true, toxics: [] });
    const client = await Client.connect(port);
    defer(() => client.destroy());
    await client.roundTrip('ping');

    assertApiError(await http(server.url, 'PATCH', '/proxies/p', '{"enabled":'), 400, 'bad request body: unexpected EOF');
    assertApiError(await http(server.url, 'PATCH', '/proxies/p', { upstream: 5 }), 400, 'bad request body: json: cannot unmarshal number into Go struct field Proxy.upstream of type string');

    // An unparseable listen is refused and changes nothing.
    assertApiError(await http(server.url, 'PATCH', '/proxies/p', { listen: 'nonsense' }), 500, 'address nonsense: missing port in address');
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p', undefined, 200), enabled);

    // A listen that cannot be bound leaves the proxy disabled with the new listen.
    const occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(0, HOST, resolve));
    defer(() => new Promise((resolve) => occupier.close(resolve)));
    const taken = (occupier.address() as AddressInfo).port;
    assertApiError(await http(server.url, 'PATCH', '/proxies/p', { listen: `${HOST}:${taken}` }), 500, `listen tcp ${HOST}:${taken}: bind: address already in use`);
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p', undefined, 200), { ...enabled, listen: `${HOST}:${taken}`, enabled: false });
  });
});

test('api: toxics: create answers 200, default name <type>_<stream>, stream case-insensitive echoed as sent, listed upstream first', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', 'x:1');

    const reply = await http(server.url, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 100, unknown: 'ignored' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, 'application/json');
    assert.equal(reply.body, '{"attributes":{"latency":100,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}');

    const upstream = await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'bandwidth', stream: 'UpStream', toxicity: 0.5 }, 200);
    assert.deepEqual(upstream, { attributes: { rate: 0 }, name: 'bandwidth_UpStream', type: 'bandwidth', stream: 'UpStream', toxicity: 0.5 });
    const named = await httpJson(server.url, 'POST', '/proxies/p/toxics', { name: 'cut', type: 'slicer', attributes: { average_size: 10, delay: 5 } }, 200);
    assert.deepEqual(named, { attributes: { average_size: 10, size_variation: 0, delay: 5 }, name: 'cut', type: 'slicer', stream: 'downstream', toxicity: 1 });
    await addToxic(server.url, 'p', { name: 'noop', type: 'noop', stream: 'upstream' });

    const list = await httpJson<{ name: string }[]>(server.url, 'GET', '/proxies/p/toxics', undefined, 200);
    assert.deepEqual(
      list.map((toxic) => toxic.name),
      ['bandwidth_UpStream', 'noop', 'latency_downstream', 'cut'],
    );
    const proxy = await httpJson(server.url, 'GET', '/proxies/p', undefined, 200);
    assert.deepEqual(proxy.toxics, list);

    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p/toxics/cut', undefined, 200), named);
    assertApiError(await http(server.url, 'GET', '/proxies/p/toxics/ghost'), 404, 'toxic not found');
    assertApiError(await http(server.url, 'GET', '/proxies/ghost/toxics/cut'), 404, 'proxy not found');
    assertApiError(await http(server.url, 'GET', '/proxies/ghost/toxics'), 404, 'proxy not found');
  });
});

test('api: toxic creation errors in order: body, stream, type (missing, unknown, down), name taken in either stream, attributes', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', 'x:1');
    const post = (body: unknown) => http(server.url, 'POST', '/proxies/p/toxics', body);
    await addToxic(server.url, 'p', { name: 'slow', type: 'latency', stream: 'upstream' });

    assertApiError(await post('{"type":"latency",}'), 400, "bad request body: invalid character '}' looking for beginning of object key string");
    assertApiError(await post({ type: 'latency', toxicity: 'high' }), 400, 'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32');
    assertApiError(await post({ type: 'latency', attributes: 'x' }), 400, 'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic');
    // Body errors come before stream errors, stream before type, type before name, name before attributes.
    assertApiError(await post({ type: 'nope', stream: 'sideways', toxicity: 'x' }), 400, 'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32');
    assertApiError(await post({ type: 'nope', stream: 'sideways' }), 400, 'stream was invalid, can be either upstream or downstream');
    assertApiError(await post({ type: 'nope', stream: '' }), 400, 'stream was invalid, can be either upstream or downstream');
    assertApiError(await post({ name: 'slow', type: 'nope' }), 400, 'invalid toxic type');
    assertApiError(await post({ attributes: { latency: 1 } }), 400, 'invalid toxic type');
    assertApiError(await post({ type: 'down' }), 400, 'invalid toxic type');
    assertApiError(await post({ name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 'x' } }), 409, 'toxic already exists');
    assertApiError(await post({ type: 'latency', attributes: { latency: 'x' } }), 400, 'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64');
    assertApiError(await post({ type: 'latency', attributes: { latency: 1.5 } }), 400, 'bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64');
    assertApiError(await post({ type: 'slicer', attributes: { average_size: true } }), 400, 'bad request body: json: cannot unmarshal bool into Go struct field SlicerToxic.attributes.average_size of type int');
    assertApiError(await http(server.url, 'POST', '/proxies/ghost/toxics', { type: 'latency' }), 404, 'proxy not found');

    // None of the refused toxics was added.
    const list = await httpJson<{ name: string }[]>(server.url, 'GET', '/proxies/p/toxics', undefined, 200);
    assert.deepEqual(
      list.map((toxic) => toxic.name),
      ['slow'],
    );
  });
});

test('api: toxic update merges attributes and sets toxicity (POST and PATCH); errors; DELETE answers 204 then 404', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', 'x:1');
    await addToxic(server.url, 'p', { type: 'latency', attributes: { latency: 100, jitter: 10 } });

    const merged = await httpJson(server.url, 'PATCH', '/proxies/p/toxics/latency_downstream', { attributes: { jitter: 20 } }, 200);
    assert.deepEqual(merged, { attributes: { latency: 100, jitter: 20 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
    // The client library posts the whole toxic back: name, type and stream are ignored.
    const updated = await httpJson(server.url, 'POST', '/proxies/p/toxics/latency_downstream', { name: 'other', type: 'timeout', stream: 'upstream', toxicity: 0.25 }, 200);
    assert.deepEqual(updated, { ...merged, toxicity: 0.25 });

    assertApiError(await http(server.url, 'PATCH', '/proxies/p/toxics/latency_downstream', { attributes: { latency: '1' } }), 400, 'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64');
    assertApiError(await http(server.url, 'PATCH', '/proxies/p/toxics/latency_downstream', { toxicity: [] }), 400, 'bad request body: json: cannot unmarshal array into Go struct field .toxicity of type float32');
    assertApiError(await http(server.url, 'PATCH', '/proxies/p/toxics/latency_downstream', ''), 400, 'bad request body: EOF');
    assertApiError(await http(server.url, 'PATCH', '/proxies/p/toxics/ghost', { toxicity: 1 }), 404, 'toxic not found');
    assertApiError(await http(server.url, 'PATCH', '/proxies/ghost/toxics/latency_downstream', { toxicity: 1 }), 404, 'proxy not found');
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p/toxics/latency_downstream', undefined, 200), updated);

    const removed = await http(server.url, 'DELETE', '/proxies/p/toxics/latency_downstream');
    assert.equal(removed.status, 204);
    assert.equal(removed.body, '');
    assertApiError(await http(server.url, 'DELETE', '/proxies/p/toxics/latency_downstream'), 404, 'toxic not found');
    assertApiError(await http(server.url, 'DELETE', '/proxies/ghost/toxics/latency_downstream'), 404, 'proxy not found');
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p/toxics', undefined, 200), []);
  });
});

test('api: POST /populate creates, validates every entry first (1-based), keeps same-config proxies with their toxics, replaces changed ones', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const reply = await http(server.url, 'POST', '/populate', [
      { name: 'a', listen: `${HOST}:0`, upstream: 'a.invalid:1' },
      { name: 'b', listen: `${HOST}:0`, upstream: 'b.invalid:1', enabled: false },
    ]);
    assert.equal(reply.status, 201);
    assert.equal(reply.contentType, 'application/json');
    const created = JSON.parse(reply.body).proxies;
    assert.deepEqual(
      created.map((proxy: { name: string; enabled: boolean }) => [proxy.name, proxy.enabled]),
      [
        ['a', true],
        ['b', false],
      ],
    );
    const aListen: string = created[0].listen;
    await addToxic(server.url, 'a', { type: 'latency', attributes: { latency: 5 } });

    // Validation failure: 400 with proxies null, nothing created or changed.
    const invalid = await http(server.url, 'POST', '/populate', [
      { name: 'c', listen: `${HOST}:0`, upstream: 'c.invalid:1' },
      { listen: `${HOST}:0`, upstream: 'd.invalid:1' },
    ]);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.contentType, 'application/json');
    assert.equal(invalid.body, '{"error":"missing required field: name at proxy 2","status":400,"proxies":null}');
    const noUpstream = await http(server.url, 'POST', '/populate', [{ name: 'c', listen: `${HOST}:0`, upstream: 'c.invalid:1' }, { name: 'd', listen: `${HOST}:0` }]);
    assert.equal(noUpstream.body, '{"error":"missing required field: upstream at proxy 2","status":400,"proxies":null}');
    assertApiError(await http(server.url, 'GET', '/proxies/c'), 404, 'proxy not found');

    const notArray = await http(server.url, 'POST', '/populate', { name: 'x' });
    assert.equal(notArray.status, 400);
    assert.equal(
      notArray.body,
      `{"error":${JSON.stringify('bad request body: json: cannot unmarshal object into Go value of type []struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }')},"status":400,"proxies":null}`,
    );

    // Same listen and upstream: untouched (toxics kept, enabled ignored). Different config: replaced, toxics gone.
    const again = await httpJson(server.url, 'POST', '/populate', [
      { name: 'a', listen: aListen, upstream: 'a.invalid:1', enabled: false },
      { name: 'b', listen: `${HOST}:0`, upstream: 'b2.invalid:1' },
    ], 201);
    assert.equal(again.proxies[0].enabled, true);
    assert.equal(again.proxies[0].listen, aListen);
    assert.equal(again.proxies[0].toxics.length, 1);
    assert.equal(again.proxies[1].upstream, 'b2.invalid:1');
    assert.equal(again.proxies[1].enabled, true);

    // 127.0.0.1:0 is always a different config from the bound address: a fresh proxy, without toxics.
    const rebound = await httpJson(server.url, 'POST', '/populate', [{ name: 'a', listen: `${HOST}:0`, upstream: 'a.invalid:1' }], 201);
    assert.notEqual(rebound.proxies[0].listen, aListen);
    assert.deepEqual(rebound.proxies[0].toxics, []);

    const empty = await http(server.url, 'POST', '/populate', []);
    assert.equal(empty.status, 201);
    assert.deepEqual(JSON.parse(empty.body), { proxies: [] });
  });
});

test('api: POST /populate stops at a bind failure: 500 with the proxies created so far', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(0, HOST, resolve));
    defer(() => new Promise((resolve) => occupier.close(resolve)));
    const taken = (occupier.address() as AddressInfo).port;
    const reply = await http(server.url, 'POST', '/populate', [
      { name: 'first', listen: `${HOST}:0`, upstream: 'x:1' },
      { name: 'second', listen: `${HOST}:${taken}`, upstream: 'x:1' },
      { name: 'third', listen: `${HOST}:0`, upstream: 'x:1' },
    ]);
    assert.equal(reply.status, 500);
    assert.equal(reply.contentType, 'application/json');
    const body = JSON.parse(reply.body);
    assert.equal(body.error, `listen tcp ${HOST}:${taken}: bind: address already in use`);
    assert.equal(body.status, 500);
    assert.deepEqual(
      body.proxies.map((proxy: { name: string }) => proxy.name),
      ['first'],
    );
    assert.ok(!reply.body.endsWith('\n'));
    assert.deepEqual(Object.keys(await httpJson(server.url, 'GET', '/proxies', undefined, 200)), ['first']);
  });
});

test('api: POST /reset enables every proxy and removes every toxic (204); 500 when a proxy cannot bind again', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const port = await createProxy(server.url, 'p', 'x:1');
    await addToxic(server.url, 'p', { type: 'latency' });
    await addToxic(server.url, 'p', { type: 'timeout', stream: 'upstream' });
    await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: false }, 200);

    const reply = await http(server.url, 'POST', '/reset', 'ignored body');
    assert.equal(reply.status, 204);
    assert.equal(reply.body, '');
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies/p', undefined, 200), { name: 'p', listen: `${HOST}:${port}`, upstream: 'x:1', enabled: true, toxics: [] });

    // A disabled proxy whose port was taken meanwhile: reset fails with the bind error; it keeps its toxics.
    await addToxic(server.url, 'p', { type: 'latency' });
    await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: false }, 200);
    const occupier = createServer();
    await new Promise<void>((resolve) => occupier.listen(port, HOST, resolve));
    defer(() => new Promise((resolve) => occupier.close(resolve)));
    assertApiError(await http(server.url, 'POST', '/reset'), 500, `listen tcp ${HOST}:${port}: bind: address already in use`);
    const after = await httpJson(server.url, 'GET', '/proxies/p', undefined, 200);
    assert.equal(after.enabled, false);
    assert.equal(after.toxics.length, 1);
  });
});

test('api: unknown paths (and trailing slashes) 404 as plain text; wrong method 405 with an empty body', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    await createProxy(server.url, 'p', 'x:1');
    for (const path of ['/nope', '/proxies/', '/proxies/p/', '/proxies/p/toxics/', '/version/', '/', '/metrics']) {
      const reply = await http(server.url, 'GET', path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body, '404 page not found\n', path);
      assert.equal(reply.contentType, 'text/plain; charset=utf-8', path);
    }
    for (const [method, path] of [
      ['PUT', '/proxies'],
      ['DELETE', '/proxies'],
      ['POST', '/version'],
      ['GET', '/reset'],
      ['GET', '/populate'],
      ['PUT', '/proxies/p'],
      ['DELETE', '/proxies/p/toxics'],
      ['PUT', '/proxies/p/toxics/t'],
    ]) {
      const reply = await http(server.url, method, path);
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(reply.body, '', `${method} ${path}`);
    }
  });
});

test('api: a browser User-Agent gets 403 on known routes only (404 and 405 still answer as usual)', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const browser = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' };
    for (const [method, path] of [
      ['GET', '/version'],
      ['GET', '/proxies'],
      ['POST', '/proxies'],
      ['POST', '/reset'],
    ]) {
      const reply = await http(server.url, method, path, method === 'POST' ? { name: 'evil', listen: `${HOST}:0`, upstream: 'x:1' } : undefined, browser);
      assert.equal(reply.status, 403, `${method} ${path}`);
      assert.equal(reply.body, 'User agent not allowed\n');
      assert.equal(reply.contentType, 'text/plain; charset=utf-8');
    }
    assert.equal((await http(server.url, 'GET', '/nope', undefined, browser)).status, 404);
    assert.equal((await http(server.url, 'PUT', '/proxies', undefined, browser)).status, 405);
    // The refused POST created nothing.
    assert.deepEqual(await httpJson(server.url, 'GET', '/proxies', undefined, 200), {});
  });
});

test('api: a proxy created with enabled=false is not listening until enabled', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const port = await freePort();
    await httpJson(server.url, 'POST', '/proxies', { name: 'later', listen: `${HOST}:${port}`, upstream: 'x:1', enabled: false }, 201);
    await assert.rejects(Client.connect(port), /ECONNREFUSED/);
    const enabled = await httpJson(server.url, 'PATCH', '/proxies/later', { enabled: true }, 200);
    assert.equal(enabled.listen, `${HOST}:${port}`);
    const client = await Client.connect(port);
    client.destroy();
  });
});
