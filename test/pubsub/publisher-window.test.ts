import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dealer } from 'zeromq';
import { decodeAtPublisher, encodePut, type PublisherInbound, type PutOrder } from '../../reference/pubsub/codec';
import { PublisherStreams } from '../../reference/pubsub/publisher-streams';
import { Publisher } from '../../reference/pubsub/publisher';
import { assertOrdered, collect, FAST_PUBLISHER, proxyPerTest } from './helpers';
import { acceptedMessageIds, LossyRelay, putMessageIds } from './lossy-relay';

/**
 * KHP/1 revision 3: a publisher with a window of puts in flight, whose order the proxy keeps by the
 * stream sequence in each PUT (proxy rule 14, publisher rule 2). Real proxy, real sockets; losses
 * come from a relay that drops chosen messages.
 */

const WAIT = 5_000;

/** A raw publisher DEALER: PUTs exactly as given, answers read with a timeout. */
async function rawPeer(endpoint: string): Promise<{ put(msg: string, order?: PutOrder): Promise<void>; answer(timeoutMs: number): Promise<PublisherInbound | undefined>; close(): void }> {
  const socket = new Dealer({ linger: 0 });
  socket.connect(endpoint);
  return {
    put: (msg, order) => socket.send(encodePut('raw-pub', msg, 'news', Buffer.from(msg), order)),
    async answer(timeoutMs) {
      socket.receiveTimeout = timeoutMs;
      try {
        return decodeAtPublisher(await socket.receive());
      } catch (error) {
        if ((error as { code?: string }).code === 'EAGAIN') return undefined;
        throw error;
      }
    },
    close: () => socket.close(),
  };
}

describe('KHP/1 publisher window', () => {
  test('publisher streams: next, behind and ahead, by the highest decided sequence and the floor', () => {
    const streams = new PublisherStreams(2);
    const at = (seq: number, floor = 1, stream = 's'): PutOrder => ({ stream, seq, floor });
    assert.equal(streams.place('', 'p', at(1)), 'next');
    assert.equal(streams.place('', 'p', at(2)), 'ahead', 'seq 1 is undecided');
    assert.equal(streams.place('', 'p', at(3, 3)), 'next', 'the publisher has an answer for (or gave up) everything below its floor');
    streams.decide('', 'p', at(1));
    assert.equal(streams.place('', 'p', at(1)), 'behind');
    assert.equal(streams.place('', 'p', at(2)), 'next');
    assert.equal(streams.place('', 'p', at(2, 1, 'other')), 'ahead', 'each stream has its own order');
    assert.equal(streams.place('key-b', 'p', at(2)), 'ahead', 'and each owner');
    streams.decide('', 'q', at(1));
    streams.decide('', 'r', at(1));
    assert.equal(streams.size, 2, 'bounded: the least recently used stream is forgotten');
    assert.equal(streams.place('', 'p', at(2)), 'ahead', 'a forgotten stream starts again at its floor');
  });

  const fx = proxyPerTest('keelhaul-pubsub-window-');

  test('rule 14: a PUT ahead of its stream is dropped unanswered, accepted once the gap is filled; a decided one is refused; a revision 1 PUT is taken as before', async () => {
    await fx.start();
    const peer = await rawPeer(fx.endpoint);
    fx.onClose(() => peer.close());
    await peer.put('b', { stream: 's1', seq: 2, floor: 1 });
    assert.equal(await peer.answer(300), undefined, 'seq 2 before seq 1: no answer');
    assert.equal(fx.proxy.stats().outOfOrder, 1);
    await peer.put('a', { stream: 's1', seq: 1, floor: 1 });
    assert.deepEqual(await peer.answer(WAIT), { kind: 'accepted', puts: [{ msg: 'a', topic: 'news', seq: 1 }] });
    await peer.put('b', { stream: 's1', seq: 2, floor: 1 });
    assert.deepEqual(await peer.answer(WAIT), { kind: 'accepted', puts: [{ msg: 'b', topic: 'news', seq: 2 }] }, 'sent again after the gap: accepted after a');
    const behind = await peer.put('c', { stream: 's1', seq: 2, floor: 2 }).then(() => peer.answer(WAIT));
    assert.equal(behind?.kind, 'refused');
    assert.equal(behind?.kind === 'refused' && behind.code, 'bad-request', 'a sequence already decided, under a new message id: refused definitely');
    await peer.put('e', { stream: 's1', seq: 5, floor: 5 });
    assert.deepEqual(await peer.answer(WAIT), { kind: 'accepted', puts: [{ msg: 'e', topic: 'news', seq: 3 }] }, 'the floor says 3 and 4 are settled at the publisher: 5 is next');
    await peer.put('f', { stream: 's2', seq: 1, floor: 1 });
    assert.deepEqual(await peer.answer(WAIT), { kind: 'accepted', puts: [{ msg: 'f', topic: 'news', seq: 4 }] }, 'a new stream of the same publisher id starts at 1');
    await peer.put('g');
    assert.deepEqual(await peer.answer(WAIT), { kind: 'accepted', puts: [{ msg: 'g', topic: 'news', seq: 5 }] }, 'a revision 1 PUT (no stream) is accepted as before');
  });

  test('a lost early attempt: the later puts of the window wait for it, and are accepted in put() order', async () => {
    await fx.start();
    const sub = await fx.subscriber('sub-1');
    await sub.subscribe('news');
    let dropFirst = true;
    const relay = await LossyRelay.start(fx.endpoint, {
      toProxy: (frames) => {
        if (!putMessageIds(frames).includes('pub-1:0') || !dropFirst) return true;
        dropFirst = false;
        return false;
      },
    });
    fx.onClose(() => relay.close());
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: relay.endpoint, id: 'pub-1', window: 16 });
    fx.onClose(() => pub.close());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pub.put('news', `p${i}`, { msg: `pub-1:${i}` })));
    assert.equal(relay.dropped.toProxy, 1, 'the first attempt of the first put was lost');
    assert.ok(fx.proxy.stats().outOfOrder >= 1, 'the puts behind it arrived first and were dropped');
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'sequences follow put() order');
    const got = await collect(sub, 20, WAIT);
    assert.deepEqual(got.map((d) => d.msg), Array.from({ length: 20 }, (_, i) => `pub-1:${i}`), 'delivered once each, in put() order');
    assertOrdered(got, 'sub-1');
  });

  test('dedup across a window retransmission: answers lost, the window sent again, each message stored once', async () => {
    await fx.start();
    const sub = await fx.subscriber('sub-1');
    await sub.subscribe('news');
    const answered = new Set<string>();
    const relay = await LossyRelay.start(fx.endpoint, {
      // Every message's first ACCEPTED is lost: the publisher times out and sends the whole window again.
      toPublisher: (frames) => {
        const fresh = acceptedMessageIds(frames).filter((msg) => !answered.has(msg));
        if (fresh.length === 0) return true;
        for (const msg of fresh) answered.add(msg);
        return false;
      },
    });
    fx.onClose(() => relay.close());
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: relay.endpoint, id: 'pub-1' });
    fx.onClose(() => pub.close());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pub.put('news', `p${i}`, { msg: `pub-1:${i}` })));
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 10 }, (_, i) => i + 1));
    const stats = fx.proxy.stats();
    assert.equal(answered.size, 10, 'a first answer of each put was lost');
    assert.ok(relay.dropped.toPublisher >= 1);
    assert.equal(stats.accepted, 10, 'each message accepted once');
    assert.ok(stats.deduplicated >= 10, `the retransmitted window was deduplicated (${stats.deduplicated})`);
    const got = await collect(sub, 10, WAIT);
    assert.deepEqual(got.map((d) => d.msg), Array.from({ length: 10 }, (_, i) => `pub-1:${i}`));
    assert.equal(await sub.get(undefined, { timeoutMs: 300 }), undefined, 'nothing delivered twice');
  });

  /** A relay that loses nothing and counts PUTs not yet answered, and the PUTs' frame counts. */
  async function countingRelay(): Promise<{ relay: LossyRelay; seen: { putFrameCounts: Set<number>; mostUnanswered: number } }> {
    const seen = { putFrameCounts: new Set<number>(), mostUnanswered: 0 };
    let unanswered = 0;
    const relay = await LossyRelay.start(fx.endpoint, {
      toProxy: (frames) => {
        const puts = putMessageIds(frames).length;
        if (puts > 0) {
          seen.putFrameCounts.add(frames.length);
          unanswered += puts;
          seen.mostUnanswered = Math.max(seen.mostUnanswered, unanswered);
        }
        return true;
      },
      toPublisher: (frames) => {
        unanswered -= acceptedMessageIds(frames).length;
        return true;
      },
    });
    fx.onClose(() => relay.close());
    return { relay, seen };
  }

  test('window 1 is a revision 1 publisher: PUTs without a stream, one at a time, still in order', async () => {
    await fx.start();
    const sub = await fx.subscriber('sub-1');
    await sub.subscribe('news');
    const { relay, seen } = await countingRelay();
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: relay.endpoint, id: 'pub-old', window: 1 });
    fx.onClose(() => pub.close());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pub.put('news', `p${i}`, { msg: `pub-old:${i}` })));
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 10 }, (_, i) => i + 1));
    assert.deepEqual([...seen.putFrameCounts], [6], 'header, command, publisher, message id, topic, payload: no stream frames');
    assert.equal(seen.mostUnanswered, 1, 'one put in flight at a time');
    const got = await collect(sub, 10, WAIT);
    assert.deepEqual(got.map((d) => d.msg), Array.from({ length: 10 }, (_, i) => `pub-old:${i}`));
  });

  test('the window is bounded: at most `window` puts are unanswered at the proxy', async () => {
    await fx.start();
    const { relay, seen } = await countingRelay();
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: relay.endpoint, id: 'pub-w', window: 8 });
    fx.onClose(() => pub.close());
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => pub.put('news', `p${i}`, { msg: `pub-w:${i}` })));
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.ok(seen.mostUnanswered <= 8, `at most 8 unanswered, saw ${seen.mostUnanswered}`);
    assert.ok(seen.mostUnanswered > 1, `more than one in flight, saw ${seen.mostUnanswered}`);
  });

  test('a window outside 1 to 500 is refused with a precise error', () => {
    assert.throws(() => new Publisher({ proxy: 'tcp://127.0.0.1:1', window: 0 }), /window must be a whole number from 1 to 500, not 0/);
    assert.throws(() => new Publisher({ proxy: 'tcp://127.0.0.1:1', window: 501 }), /window must be a whole number from 1 to 500, not 501/);
  });
});
