import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dealer, Router } from 'zeromq';
import {
  decodeAtProxy,
  decodeAtPublisher,
  encodeAccepted,
  encodeAck,
  encodeBatch,
  encodeHello,
  encodePut,
  encodePuts,
  encodeSubscribe,
  MAX_BATCH_PAYLOAD_BYTES,
  type PublisherInbound,
  type SubscriberInbound,
} from '../../reference/pubsub/codec';
import { Publisher } from '../../reference/pubsub/publisher';
import { BatchingPeers } from '../../reference/pubsub/batching-peers';
import { collect, FAST_PUBLISHER, freeEndpoint, proxyPerTest } from './helpers';
import { RawSubscriber } from './raw-subscriber';
import { LossyRelay, putMessageIds } from './lossy-relay';

/**
 * KHP/1 revision 4: PUT, ACCEPTED and DELIVER carry several messages, but only between peers that
 * said (and heard) BATCH; a peer that never says it sees revision 3 exactly. Real proxy, real sockets.
 */

const WAIT = 5_000;
/** Slow enough that a raw subscriber, which sends no heartbeats, keeps its session through a test. */
const PATIENT = { heartbeatInterval: 2_000, heartbeatLiveness: 5 } as const;

type Deliver = Extract<SubscriberInbound, { kind: 'deliver' }>;

/** A raw subscriber with a session and a subscription to `topic`, having said BATCH `batch` when given. */
async function rawSubscriber(endpoint: string, id: string, topic: string, batch?: number): Promise<RawSubscriber> {
  const raw = new RawSubscriber(endpoint, WAIT);
  await raw.send(encodeHello(id, new Map()));
  await raw.until('welcome');
  if (batch !== undefined) {
    await raw.send(encodeBatch(batch));
    assert.equal((await raw.until('batch')).message.max, batch, 'the proxy answers BATCH with the size it will use');
  }
  await raw.send(encodeSubscribe(topic));
  await raw.until('subscribed');
  return raw;
}

/** DELIVERs until `count` messages came; each DELIVER's first sequence and size. */
async function deliveries(raw: RawSubscriber, count: number): Promise<Deliver[]> {
  const got: Deliver[] = [];
  for (let messages = 0; messages < count; ) {
    const { message } = await raw.until('deliver');
    got.push(message);
    messages += message.messages.length;
  }
  return got;
}

/** Every message of `got` in order: sequences from `first` on, without a gap or a repeat. */
function assertContiguous(got: Deliver[], first: number, count: number): void {
  const seqs = got.flatMap((deliver) => deliver.messages.map((_, at) => deliver.seq + at));
  assert.deepEqual(seqs, Array.from({ length: count }, (_, i) => first + i));
}

describe('KHP/1 revision 4: batches', () => {
  test('the connections that said BATCH are bounded: the least recently told is forgotten and gets single messages again', () => {
    const peers = new BatchingPeers(2);
    peers.set('a', 64);
    peers.set('b', 8);
    peers.set('a', 32);
    peers.set('c', 16);
    assert.deepEqual(['a', 'b', 'c'].map((peer) => peers.size(peer)), [32, 1, 16], 'b was told least recently');
    assert.equal(peers.count, 2);
    peers.forget('a');
    assert.equal(peers.size('a'), 1, 'a new session starts unbatched');
  });

  const fx = proxyPerTest('keelhaul-pubsub-batch-');

  test('after BATCH a subscriber gets what the window frees in one DELIVER; one that never said it gets one message per DELIVER', async () => {
    await fx.start({ ...PATIENT, journal: `${fx.dir}/pubsub.journal` });
    const batched = await rawSubscriber(fx.endpoint, 'sub-batched', 'news', 64);
    const single = await rawSubscriber(fx.endpoint, 'sub-single', 'news');
    fx.onClose(() => batched.close());
    fx.onClose(() => single.close());
    const pub = fx.publisher('pub-1');
    await Promise.all(Array.from({ length: 100 }, (_, i) => pub.put('news', `p${i}`, { msg: `m-${i + 1}` })));
    // Nothing acknowledged yet: the proxy's window (64) stops each of them at sequence 64.
    const firstBatched = await deliveries(batched, 64);
    const firstSingle = await deliveries(single, 64);
    assertContiguous(firstBatched, 1, 64);
    assertContiguous(firstSingle, 1, 64);
    assert.ok(firstSingle.every((deliver) => deliver.messages.length === 1), 'one message per DELIVER without BATCH');
    // Acknowledging 64 frees the window: the 36 retained messages are all durable, so one pump sends them.
    await batched.send(encodeAck('news', 64));
    await single.send(encodeAck('news', 64));
    const restBatched = await deliveries(batched, 36);
    const restSingle = await deliveries(single, 36);
    assert.deepEqual(
      restBatched.map((deliver) => deliver.messages.length),
      [36],
      'one DELIVER of 36',
    );
    assertContiguous(restBatched, 65, 36);
    assert.deepEqual(restBatched[0].messages.map((message) => message.msg), Array.from({ length: 36 }, (_, i) => `m-${65 + i}`));
    assert.equal(restSingle.length, 36, '36 DELIVERs of one');
    assertContiguous(restSingle, 65, 36);
    assert.equal(fx.proxy.stats().delivered, 200, 'the counter counts messages, not DELIVERs');
  });

  test('a DELIVER of several stays within the batch size asked and 256 KiB of payloads; a larger message goes alone', async () => {
    await fx.start({ ...PATIENT, window: 8 });
    const small = await rawSubscriber(fx.endpoint, 'sub-small', 'news', 3);
    const big = await rawSubscriber(fx.endpoint, 'sub-big', 'big', 64);
    fx.onClose(() => small.close());
    fx.onClose(() => big.close());
    const pub = fx.publisher('pub-1');
    await Promise.all(Array.from({ length: 16 }, (_, i) => pub.put('news', `p${i}`)));
    const tenth = Math.floor(MAX_BATCH_PAYLOAD_BYTES / 10);
    const sizes = [3 * tenth, 3 * tenth, 3 * tenth, 3 * tenth, MAX_BATCH_PAYLOAD_BYTES + 1, 1, 1];
    await Promise.all(sizes.map((size) => pub.put('big', Buffer.alloc(size, 'x'))));
    assert.ok((await deliveries(small, 8)).length >= 3, 'the first 8 (window 8) in DELIVERs of at most 3');
    await small.send(encodeAck('news', 8));
    const rest = await deliveries(small, 8);
    assert.deepEqual(rest.map((deliver) => deliver.messages.length), [3, 3, 2], 'freed all at once: batches of 3, 3 and 2');
    assertContiguous(rest, 9, 8);
    const bigOnes = await deliveries(big, sizes.length);
    assertContiguous(bigOnes, 1, sizes.length);
    for (const deliver of bigOnes) {
      const bytes = deliver.messages.reduce((sum, message) => sum + message.payload.length, 0);
      assert.ok(deliver.messages.length === 1 || bytes <= MAX_BATCH_PAYLOAD_BYTES, `a DELIVER of ${deliver.messages.length} carries ${bytes} bytes`);
    }
    assert.ok(bigOnes.some((deliver) => deliver.messages.length === 1 && deliver.messages[0].payload.length === MAX_BATCH_PAYLOAD_BYTES + 1), 'the larger message went alone');
  });

  /** A raw publisher DEALER: frames as given, answers read with a timeout. */
  async function rawPublisher(): Promise<{ socket: Dealer; answers(count: number): Promise<PublisherInbound[]> }> {
    const socket = new Dealer({ linger: 0, receiveTimeout: WAIT });
    socket.connect(fx.endpoint);
    fx.onClose(() => socket.close());
    return {
      socket,
      async answers(count) {
        const got: PublisherInbound[] = [];
        for (let puts = 0; puts < count; ) {
          const answer = decodeAtPublisher(await socket.receive());
          got.push(answer);
          puts += answer.kind === 'accepted' ? answer.puts.length : answer.kind === 'refused' ? 1 : 0;
        }
        return got;
      },
    };
  }

  const windowed = (publisher: string, count: number, from = 1) =>
    Array.from({ length: count }, (_, i) => ({ publisher, msg: `${publisher}:${from + i}`, topic: 'news', payload: Buffer.from(`p${from + i}`), order: { stream: 's1', seq: from + i, floor: from } }));

  test('a PUT of several windowed puts is decided in order; ACCEPTEDs come several at a time only after BATCH', async () => {
    await fx.start({ journal: `${fx.dir}/pubsub.journal` });
    const sub = await fx.subscriber('sub-1');
    await sub.subscribe('news');
    const batched = await rawPublisher();
    await batched.socket.send(encodeBatch(5000));
    assert.deepEqual(decodeAtPublisher(await batched.socket.receive()), { kind: 'batch', max: 1024 }, 'capped at 1024');
    await batched.socket.send(encodePuts(windowed('pub-a', 20)));
    const answersA = await batched.answers(20);
    const accepted = answersA.flatMap((answer) => (answer.kind === 'accepted' ? answer.puts : []));
    assert.deepEqual(accepted.map((put) => put.msg), Array.from({ length: 20 }, (_, i) => `pub-a:${i + 1}`));
    assert.deepEqual(accepted.map((put) => put.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'topic sequences in publisher order');
    assert.ok(answersA.length < 20, `20 puts answered in ${answersA.length} ACCEPTEDs`);

    const plain = await rawPublisher();
    await plain.socket.send(encodePuts(windowed('pub-b', 10)));
    const answersB = await plain.answers(10);
    assert.equal(answersB.length, 10, 'no BATCH: one ACCEPTED per put, as revision 3');
    assert.ok(answersB.every((answer) => answer.kind === 'accepted' && answer.puts.length === 1));
    const got = await collect(sub, 30, WAIT);
    assert.deepEqual(got.map((delivery) => delivery.msg), [...accepted.map((put) => put.msg), ...Array.from({ length: 10 }, (_, i) => `pub-b:${i + 1}`)]);
  });

  test('a PUT of several with one bad part is malformed as a whole: nothing accepted, nothing answered', async () => {
    await fx.start();
    const raw = await rawPublisher();
    const frames = encodePuts(windowed('pub-c', 3));
    frames[2 + 7 + 2] = Buffer.from('bad\ntopic');
    await raw.socket.send(frames);
    await raw.socket.send(encodePut('pub-c', 'probe', 'news', Buffer.from('x')));
    assert.deepEqual(await raw.answers(1), [{ kind: 'accepted', puts: [{ msg: 'probe', topic: 'news', seq: 1 }] }], 'only the revision 1 PUT after it is answered, first in line');
    assert.equal(fx.proxy.stats().accepted, 1);
    assert.equal(fx.proxy.stats().malformed, 1);
  });

  test('the reference Publisher sends PUTs of several once the proxy answers BATCH, and every put still resolves in order', async () => {
    await fx.start({ journal: `${fx.dir}/pubsub.journal` });
    const putCounts: number[] = [];
    const relay = await LossyRelay.start(fx.endpoint, {
      toProxy: (frames) => {
        const puts = putMessageIds(frames).length;
        if (puts > 0) putCounts.push(puts);
        return true;
      },
    });
    fx.onClose(() => relay.close());
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: relay.endpoint, id: 'pub-r4' });
    fx.onClose(() => pub.close());
    // Slowly at first, so that BATCH is answered before the burst.
    assert.equal((await pub.put('news', 'first')).seq, 1);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => pub.put('news', `p${i}`, { msg: `pub-r4:${i}` })));
    assert.deepEqual(results.map((result) => result.seq), Array.from({ length: 300 }, (_, i) => i + 2));
    assert.ok(putCounts.some((count) => count > 1), `some PUT carried several puts (PUT sizes: ${putCounts.slice(0, 20).join(', ')}…)`);
    assert.equal(putCounts.reduce((sum, count) => sum + count, 0), 301, 'each put sent once (no loss, no retransmission)');
  });

  test('with a proxy that never answers BATCH (revision 3), the Publisher sends one put per PUT and takes single ACCEPTEDs', async () => {
    const endpoint = await freeEndpoint();
    const router = new Router({ linger: 0 });
    await router.bind(endpoint);
    fx.onClose(() => router.close());
    const seen = { batch: 0, putFrames: new Set<number>() };
    let seq = 0;
    const serving = (async () => {
      for await (const [identity, ...frames] of router) {
        const message = decodeAtProxy(frames);
        // A revision 3 proxy drops BATCH as an unknown command, and answers each PUT alone.
        if (message.kind === 'batch') seen.batch++;
        else if (message.kind === 'put') {
          seen.putFrames.add(frames.length);
          await router.send([identity, ...encodeAccepted(message.msg, message.topic, ++seq)]);
        } else throw new Error(`a revision 3 proxy cannot read a ${message.kind}`);
      }
    })().catch((error: unknown) => error);
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: endpoint, id: 'pub-old-proxy' });
    fx.onClose(() => pub.close());
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pub.put('news', `p${i}`)));
    assert.deepEqual(results.map((result) => result.seq), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.equal(seen.batch, 1, 'BATCH said once, first');
    assert.deepEqual([...seen.putFrames], [9], 'every PUT a revision 3 windowed PUT of one');
    await pub.close();
    router.close();
    const ended = await serving;
    assert.ok(ended === undefined || (ended as { code?: string }).code !== undefined, `the stand-in proxy failed: ${String(ended)}`);
  });

  test('the reference Subscriber says BATCH after WELCOME and hands out a DELIVER of several one message at a time, in order', async () => {
    await fx.start({ journal: `${fx.dir}/pubsub.journal` });
    const sub = await fx.subscriber('sub-1', { batch: 16 });
    await sub.subscribe('news');
    const raw = await rawPublisher();
    await raw.socket.send(encodePuts(windowed('pub-d', 50)));
    await raw.answers(50);
    const got = await collect(sub, 50, WAIT);
    assert.deepEqual(got.map((delivery) => delivery.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.deepEqual(got.map((delivery) => delivery.msg), Array.from({ length: 50 }, (_, i) => `pub-d:${i + 1}`));
    assert.equal(await sub.get(undefined, { timeoutMs: 200 }), undefined, 'nothing twice');
  });

  test('a subscriber batch outside 1 to 1024 is refused with a precise error', async () => {
    await assert.rejects(fx.subscriber('sub-x', { batch: 0 }), /batch must be a whole number from 1 to 1024, not 0/);
    await assert.rejects(fx.subscriber('sub-x', { batch: 1.5 }), /batch must be a whole number from 1 to 1024, not 1.5/);
  });
});
