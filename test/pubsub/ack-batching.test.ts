import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from 'zeromq';
import { decodeAtProxy, encodeDeliver, encodeWelcome, type Frame } from '../../reference/pubsub/codec';
import { freeEndpoint, openSubscriber } from './helpers';

/**
 * The subscriber acknowledges cumulatively (docs/protocol.md, Subscriber rule 5). A scripted ROUTER
 * plays the proxy, so the test sees every ACK the subscriber sends, and when.
 */
test('a burst of 40 deliveries is acknowledged with fewer ACKs, the last covering all 40, never more than 16 behind', { timeout: 15_000 }, async () => {
  const endpoint = await freeEndpoint();
  const router = new Router({ linger: 0 });
  await router.bind(endpoint);
  const subscriber = await openSubscriber(endpoint, 'sub-1');
  const acks: { seq: number; at: number }[] = [];
  let peer: Frame | undefined;
  let welcomed!: () => void;
  const ready = new Promise<void>((resolve) => (welcomed = resolve));
  const loop = (async () => {
    for await (const [identity, ...frames] of router) {
      const message = decodeAtProxy(frames);
      if (message.kind === 'hello') {
        peer = identity;
        await router.send([identity, ...encodeWelcome(new Map([['news', 0]]))]);
        welcomed();
      } else if (message.kind === 'ack') acks.push({ seq: message.seq, at: Date.now() });
    }
  })().catch(() => undefined);
  try {
    await ready;
    for (let seq = 1; seq <= 40; seq++) await router.send([peer!, ...encodeDeliver('news', seq, 'pub-1', `m${seq}`, Buffer.from('x'))]);
    const taken: number[] = [];
    while (taken.length < 40) {
      const delivery = await subscriber.get('news', { timeoutMs: 2_000 });
      assert.ok(delivery, `only ${taken.length} of 40 deliveries were handed out`);
      taken.push(delivery.seq);
    }
    assert.deepEqual(taken, Array.from({ length: 40 }, (_, i) => i + 1));
    const deadline = Date.now() + 1_000;
    while ((acks.at(-1)?.seq ?? 0) < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(acks.at(-1)?.seq, 40, `the last ACK covers everything taken (ACKs: ${acks.map((a) => a.seq).join(', ')})`);
    assert.ok(acks.length < 40, `${acks.length} ACKs for 40 messages: not batched`);
    // Never more than 16 messages behind: the proxy's window (64) keeps flowing.
    const seqs = [0, ...acks.map((a) => a.seq)];
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] - seqs[i - 1] <= 16, `an ACK jumped from ${seqs[i - 1]} to ${seqs[i]}`);
  } finally {
    await subscriber.close();
    router.close();
    await loop;
  }
});
