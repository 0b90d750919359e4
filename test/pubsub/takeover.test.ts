import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encodeAck, encodeHello, encodeSubscribe } from '../../reference/pubsub/codec';
import { waitFor } from '../../harness/util/wait-for';
import { collect, proxyPerTest } from './helpers';
import { RawSubscriber } from './raw-subscriber';

/**
 * Issue 17, "KHP/1 subscriber takeover": a peer saying HELLO as somebody else's subscriber id with
 * positions far ahead released messages that subscriber never got. HELLO positions and ACKs now
 * advance a subscription only up to what this proxy delivered to that id (KHP/1 proxy rule 6).
 */
const WAIT = 5_000;

describe('KHP/1: HELLO and ACK cannot acknowledge what was never delivered', () => {
  const run = proxyPerTest('keelhaul-takeover-');

  test('a raw peer saying HELLO as sub-1 with positions far ahead releases nothing; its ACK far ahead releases only what it was sent', async () => {
    const proxy = await run.start({ journal: path.join(run.dir, 'journal'), window: 2 });
    const real = await run.subscriber('sub-1');
    await real.subscribe('news');
    await real.close();
    // Until its session expires the proxy would send to it, and what it sent may be acknowledged.
    await waitFor(() => proxy.stats().sessions === 0, { timeoutMs: WAIT, what: 'the real sub-1 session to expire' });
    const pub = run.publisher('pub-1');
    for (let i = 1; i <= 5; i++) await pub.put('news', `m${i}`, { msg: `msg-${i}` });
    assert.equal(proxy.stats().store.retained, 5);

    const attacker = new RawSubscriber(run.endpoint, WAIT);
    run.onClose(() => attacker.close());
    await attacker.send(encodeHello('sub-1', new Map([['news', 1000]])));
    const welcome = (await attacker.until('welcome')).message;
    assert.deepEqual([...welcome.positions], [['news', 0]], 'the HELLO position acknowledged nothing');
    assert.equal(proxy.stats().store.retained, 5, 'nothing released by the HELLO');

    // The window lets 2 DELIVERs reach the impostor's session; its ACK far ahead counts up to those only.
    await attacker.send(encodeAck('news', 1000));
    // SUBSCRIBE of a subscribed topic answers the acknowledged position, after the ACK (one pipe, in order).
    await attacker.send(encodeSubscribe('news'));
    const { message: subscribed, before } = await attacker.until('subscribed');
    assert.deepEqual(before.flatMap((m) => (m.kind === 'deliver' ? [m.seq] : [])).slice(0, 2), [1, 2]);
    assert.equal(subscribed.position, 2, 'the ACK of 1000 counted up to the 2 messages delivered');
    assert.equal(proxy.stats().store.retained, 3);
    attacker.close();

    // The real sub-1 comes back and gets what was never sent to anyone (unauthenticated mode cannot
    // keep the impostor from reading what it was sent: docs/security.md).
    const back = await run.subscriber('sub-1');
    const got = await collect(back, 3, WAIT);
    assert.deepEqual(got.map((d) => d.msg), ['msg-3', 'msg-4', 'msg-5']);
  });
});
