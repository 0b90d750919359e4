import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PutDefiniteFailure } from '../../reference/pubsub/publisher';
import { AbsentSubscribers } from '../../reference/pubsub/absent-subscribers';
import { encodeHello } from '../../reference/pubsub/codec';
import { waitFor } from '../../harness/util/wait-for';
import { collect, proxyPerTest } from './helpers';
import { RawSubscriber } from './raw-subscriber';

/**
 * Issue 17: a subscriber id that subscribed once and left made every later put on its topics
 * `REFUSED busy` forever. KHP/1 proxy rule 13 evicts its subscriptions after `subscriberEviction`.
 */
const WAIT = 5_000;

describe('KHP/1: eviction of absent subscribers', () => {
  const run = proxyPerTest('keelhaul-eviction-');

  test('a ghost subscriber makes puts busy until it is evicted; then puts are accepted, durably, and a subscriber with a session keeps its subscription', async () => {
    const options = { journal: path.join(run.dir, 'journal'), maxPending: 2, subscriberEviction: 400 };
    let proxy = await run.start(options);
    const ghost = await run.subscriber('ghost');
    await ghost.subscribe('news');
    await ghost.close();
    const ghostLeftAt = Date.now();
    const present = await run.subscriber('present');
    await present.subscribe('news');
    const pub = run.publisher('pub-1');
    await pub.put('news', 'm1', { msg: 'msg-1' });
    await pub.put('news', 'm2', { msg: 'msg-2' });
    assert.deepEqual((await collect(present, 2, WAIT)).map((d) => d.msg), ['msg-1', 'msg-2']);
    await assert.rejects(pub.put('news', 'm3', { msg: 'msg-3' }), (error: unknown) => error instanceof PutDefiniteFailure && error.code === 'busy' && /subscriber ghost has 2 messages pending/.test(error.message));

    await waitFor(() => proxy.stats().evicted === 1, { timeoutMs: WAIT, what: 'the ghost to be evicted' });
    // Its session expires after heartbeat × liveness (150 ms), then the eviction time runs.
    assert.ok(Date.now() - ghostLeftAt >= 400, `evicted ${Date.now() - ghostLeftAt} ms after it left, before the eviction time`);
    assert.equal(proxy.stats().store.subscriptions, 1, 'only the subscriber with a session is left');
    await waitFor(() => proxy.stats().store.retained === 0, { timeoutMs: WAIT, what: 'the ghost’s pending messages to be released' });
    assert.equal((await pub.put('news', 'm3', { msg: 'msg-3' })).seq, 3, 'puts are accepted again');
    assert.deepEqual((await collect(present, 1, WAIT)).map((d) => d.msg), ['msg-3']);

    // Durable: a restarted proxy does not bring the ghost's subscription back.
    await present.close();
    proxy = await run.start({ ...options, subscriberEviction: 60_000 });
    assert.equal(proxy.stats().store.subscriptions, 1);
    const back = new RawSubscriber(run.endpoint, WAIT);
    run.onClose(() => back.close());
    await back.send(encodeHello('ghost', new Map()));
    assert.deepEqual([...(await back.until('welcome')).message.positions], [], 'the ghost’s next HELLO gets a WELCOME without the evicted topic');
  });
});

describe('AbsentSubscribers', () => {
  test('an id is due once it has had no session for longer than the eviction time, counted from the first check that found it absent', () => {
    const absent = new AbsentSubscribers(100);
    const sessions = new Set(['a']);
    const has = (id: string): boolean => sessions.has(id);
    assert.deepEqual(absent.due(['a', 'b'], has, 1_000), []);
    assert.deepEqual(absent.due(['a', 'b'], has, 1_100), [], 'exactly the eviction time is not longer than it');
    assert.deepEqual(absent.due(['a', 'b'], has, 1_101), [{ subscriber: 'b', absentMs: 101 }]);
    sessions.delete('a');
    assert.deepEqual(absent.due(['a'], has, 1_150), []);
    sessions.add('a'); // came back: its clock starts again next time it is absent
    assert.deepEqual(absent.due(['a'], has, 1_200), []);
    sessions.delete('a');
    assert.deepEqual(absent.due(['a'], has, 1_300), []);
    assert.deepEqual(absent.due(['a'], has, 1_401), [{ subscriber: 'a', absentMs: 101 }]);
  });

  test('an eviction time that is not a whole number of ms >= 1 is refused with a clear error', () => {
    assert.throws(() => new AbsentSubscribers(0), /subscriber eviction must be a whole number of ms >= 1, not 0/);
    assert.throws(() => new AbsentSubscribers(1.5), /not 1\.5/);
  });
});
