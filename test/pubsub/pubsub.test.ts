import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Dealer } from 'zeromq';
import type { PubSubProxy } from '../../reference/pubsub/proxy';
import { PutDefiniteFailure, type Publisher } from '../../reference/pubsub/publisher';
import type { Subscriber } from '../../reference/pubsub/subscriber';
import { decodeAtPublisher, encodePut } from '../../reference/pubsub/codec';
import { waitFor } from '../../harness/util/wait-for';
import { assertOrdered, collect, proxyPerTest } from './helpers';

/** KHP/1 end to end, in process on real sockets over tcp://127.0.0.1, with a journaled proxy. */
const WAIT = 5_000;

describe('KHP/1: proxy + publisher + subscriber', () => {
  const run = proxyPerTest('keelhaul-pubsub-');
  const start = (options: { maxPending?: number } = {}): Promise<PubSubProxy> => run.start({ journal: path.join(run.dir, 'journal'), ...options });
  const publisher = (id: string): Publisher => run.publisher(id);
  const subscriber = (id: string, positions?: string): Promise<Subscriber> => run.subscriber(id, positions === undefined ? {} : { positions });

  test('a put is accepted with a sequence and delivered once, in order', async () => {
    await start();
    const sub = await subscriber('sub-1');
    await sub.subscribe('news');
    const pub = publisher('pub-1');
    const results = [];
    for (let i = 1; i <= 3; i++) results.push(await pub.put('news', `m${i}`, { msg: `msg-${i}` }));
    assert.deepEqual(results.map((r) => r.seq), [1, 2, 3]);
    const got = await collect(sub, 3, WAIT);
    assert.deepEqual(got.map((d) => [d.seq, d.msg, d.publisher, d.payload.toString()]), [
      [1, 'msg-1', 'pub-1', 'm1'],
      [2, 'msg-2', 'pub-1', 'm2'],
      [3, 'msg-3', 'pub-1', 'm3'],
    ]);
    assert.equal(await sub.get(undefined, { timeoutMs: 200 }), undefined, 'nothing more');
    await waitFor(() => run.proxy.stats().store.retained === 0, { timeoutMs: WAIT, what: 'acknowledged messages to be released' });
  });

  test('a retried put (same publisher and message id) is stored once', async () => {
    await start();
    const sub = await subscriber('sub-1');
    await sub.subscribe('news');
    // Two attempts of one put, as a publisher whose first answer got lost would send them.
    const raw = new Dealer({ linger: 0, receiveTimeout: WAIT });
    run.onClose(() => raw.close());
    raw.connect(run.endpoint);
    await raw.send(encodePut('pub-1', 'msg-1', 'news', Buffer.from('once')));
    await raw.send(encodePut('pub-1', 'msg-1', 'news', Buffer.from('once')));
    const first = decodeAtPublisher(await raw.receive());
    const second = decodeAtPublisher(await raw.receive());
    assert.deepEqual(first, { kind: 'accepted', puts: [{ msg: 'msg-1', topic: 'news', seq: 1 }] });
    assert.deepEqual(second, first);
    // And through the library: the same message id again answers the original sequence.
    const pub = publisher('pub-1');
    assert.equal((await pub.put('news', 'once', { msg: 'msg-1' })).seq, 1);
    assert.equal((await pub.put('news', 'twice', { msg: 'msg-2' })).seq, 2);
    const got = await collect(sub, 3, 1_000);
    assert.deepEqual(got.map((d) => d.msg), ['msg-1', 'msg-2']);
    assert.equal(run.proxy.stats().deduplicated, 2);
  });

  test('2 publishers × 3 subscribers on overlapping topics: exactly once, per-publisher order', async () => {
    await start();
    const topicsOf: Record<string, string[]> = { 'sub-1': ['alpha'], 'sub-2': ['beta'], 'sub-3': ['alpha', 'beta'] };
    const subs = new Map<string, Subscriber>();
    for (const [id, topics] of Object.entries(topicsOf)) {
      const sub = await subscriber(id);
      for (const topic of topics) await sub.subscribe(topic);
      subs.set(id, sub);
    }
    const perPublisher = 40;
    const sent: { publisher: string; topic: string; msg: string }[] = [];
    await Promise.all(
      ['pub-1', 'pub-2'].map(async (id) => {
        const pub = publisher(id);
        // Issued all at once: the publisher still runs them one at a time, in call order.
        await Promise.all(
          Array.from({ length: perPublisher }, (_, i) => {
            const topic = i % 3 === 0 ? 'beta' : 'alpha';
            sent.push({ publisher: id, topic, msg: `${id}:${i}` });
            return pub.put(topic, `payload ${i}`, { msg: `${id}:${i}` });
          }),
        );
      }),
    );
    for (const [id, sub] of subs) {
      const expected = sent.filter((s) => topicsOf[id].includes(s.topic));
      const got = await collect(sub, expected.length, WAIT);
      assert.equal(got.length, expected.length, `${id} got every message`);
      assert.equal(await sub.get(undefined, { timeoutMs: 150 }), undefined, `${id} got nothing more`);
      const keys = got.map((d) => `${d.publisher}/${d.msg}`);
      assert.equal(new Set(keys).size, keys.length, `${id}: no duplicates`);
      assert.deepEqual(new Set(got.map((d) => d.msg)), new Set(expected.map((s) => s.msg)), `${id}: the right messages`);
      assertOrdered(got, id);
    }
  });

  test('a subscriber that goes away gets what it missed when it comes back (positions file)', async () => {
    await start();
    const positions = path.join(run.dir, 'sub-1.positions');
    const first = await subscriber('sub-1', positions);
    await first.subscribe('news');
    const pub = publisher('pub-1');
    for (let i = 1; i <= 3; i++) await pub.put('news', `m${i}`, { msg: `msg-${i}` });
    assert.deepEqual((await collect(first, 2, WAIT)).map((d) => d.seq), [1, 2]);
    await first.close(); // gone: the third was delivered, maybe queued, but never handed out
    for (let i = 4; i <= 6; i++) await pub.put('news', `m${i}`, { msg: `msg-${i}` });
    const again = await subscriber('sub-1', positions);
    const got = await collect(again, 4, WAIT);
    assert.deepEqual(got.map((d) => d.seq), [3, 4, 5, 6], 'exactly what it had not taken, in order');
    assert.equal(await again.get(undefined, { timeoutMs: 200 }), undefined);
  });

  test('unsubscribe releases the pending messages of that subscriber', async () => {
    await start();
    const sub = await subscriber('sub-1');
    await sub.subscribe('news');
    const pub = publisher('pub-1');
    for (let i = 1; i <= 5; i++) await pub.put('news', `m${i}`, { msg: `msg-${i}` });
    assert.equal(run.proxy.stats().store.retained, 5);
    await sub.unsubscribe('news');
    assert.equal(run.proxy.stats().store.retained, 0, 'released');
    assert.equal(run.proxy.stats().store.subscriptions, 0);
    assert.equal(await sub.get('news', { timeoutMs: 200 }), undefined, 'nothing of the topic after unsubscribe()');
    // A message accepted with nobody subscribed is owed to nobody.
    await pub.put('news', 'm6', { msg: 'msg-6' });
    assert.equal(run.proxy.stats().store.retained, 0);
  });

  test('--max-pending reached: the put fails definitely; once the subscriber catches up puts succeed', async () => {
    await start({ maxPending: 3 });
    const sub = await subscriber('sub-1');
    await sub.subscribe('news');
    const pub = publisher('pub-1');
    for (let i = 1; i <= 3; i++) await pub.put('news', `m${i}`, { msg: `msg-${i}` });
    await assert.rejects(pub.put('news', 'm4', { msg: 'msg-4' }), (error: unknown) => {
      assert.ok(error instanceof PutDefiniteFailure, String(error));
      assert.equal(error.code, 'busy');
      assert.match(error.message, /refused \(busy\).*subscriber sub-1 has 3 messages pending \(max-pending 3\)/);
      return true;
    });
    assert.equal(run.proxy.stats().refusedBusy, 1);
    assert.deepEqual((await collect(sub, 3, WAIT)).map((d) => d.msg), ['msg-1', 'msg-2', 'msg-3']);
    await waitFor(() => run.proxy.stats().store.retained === 0, { timeoutMs: WAIT, what: 'the acknowledgements' });
    assert.equal((await pub.put('news', 'm4', { msg: 'msg-4' })).seq, 4);
    assert.equal((await collect(sub, 1, WAIT))[0]?.msg, 'msg-4', 'the refused message id is a new put when retried later');
  });

  test('malformed frames are dropped and the proxy keeps serving', async () => {
    await start();
    const raw = new Dealer({ linger: 0, receiveTimeout: WAIT });
    run.onClose(() => raw.close());
    raw.connect(run.endpoint);
    await raw.send([Buffer.from('garbage')]);
    await raw.send([Buffer.from('KHP01'), Buffer.from('ACK'), Buffer.from('t'), Buffer.from('x')]);
    await raw.send(encodePut('pub-1', 'msg-1', 'bad\ttopic', Buffer.from('x')));
    assert.deepEqual(decodeAtPublisher(await raw.receive()), { kind: 'refused', msg: 'msg-1', code: 'bad-request', reason: 'topic must be printable ASCII (found byte 0x09)' });
    await waitFor(() => run.proxy.stats().malformed === 3, { timeoutMs: WAIT, what: 'three malformed messages' });
    assert.equal((await publisher('pub-1').put('news', 'ok')).seq, 1);
  });
});
