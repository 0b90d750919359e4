import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { Dealer } from 'zeromq';
import { PutDefiniteFailure, type Publisher } from '../../reference/pubsub/publisher';
import { SubscriberForbidden, type Subscriber } from '../../reference/pubsub/subscriber';
import { decodeAtPublisher, encodePut } from '../../reference/pubsub/codec';
import { waitFor } from '../../harness/util/wait-for';
import { SecurityFixture, type Rights } from '../reference/security/fixture';
import { collect, proxyPerTest } from './helpers';

/**
 * The KHP/1 proxy, publisher and subscriber in secure mode (docs/security.md), on real CURVE sockets
 * over tcp://127.0.0.1 with the process's ZAP handler: rights from a policy file, enforced per message.
 */
const WAIT = 5_000;
/** How long "nothing arrives" is watched for. */
const QUIET = 400;

const RIGHTS: Record<string, Rights> = {
  'pub-1': { publish: ['prices.*'] },
  'sub-1': { subscribe: ['prices.*', 'news'] },
  'sub-2': { subscribe: ['prices.*'] },
  evil: { publish: ['evil.*'], subscribe: ['evil.*'] },
};

describe('KHP/1 in secure mode', () => {
  const run = proxyPerTest('keelhaul-pubsub-secure-');
  let fixture: SecurityFixture;

  const start = async (): Promise<void> => {
    fixture = new SecurityFixture(RIGHTS, ['stranger']);
    run.onClose(() => fs.rmSync(fixture.folder, { recursive: true, force: true }));
    await run.start({ security: { keyPair: fixture.server, policyFile: fixture.policyFile } });
  };
  const publisher = (name: string): Publisher => run.publisher(name, { attempts: 3, security: fixture.peer(name) });
  const subscriber = (name: string, id = name): Promise<Subscriber> => run.subscriber(id, { security: fixture.peer(name) });

  test('round trip: a put within the publisher’s rights reaches a subscriber within its rights, once', async () => {
    await start();
    const sub = await subscriber('sub-1');
    await sub.subscribe('prices.eur');
    const pub = publisher('pub-1');
    assert.equal((await pub.put('prices.eur', '1.08', { msg: 'm-1' })).seq, 1);
    assert.equal((await pub.put('prices.eur', '1.09', { msg: 'm-2' })).seq, 2);
    const got = await collect(sub, 2, WAIT);
    assert.deepEqual(got.map((d) => [d.msg, d.payload.toString()]), [['m-1', '1.08'], ['m-2', '1.09']]);
    assert.deepEqual(run.proxy.stats().security, { unauthenticated: 0, unauthorized: 0 });
  });

  test('forbidden: a put outside the publish rights is REFUSED forbidden; SUBSCRIBE and HELLO outside the rights get FORBIDDEN; the rightful owner’s session goes on', async () => {
    await start();
    const owner = await subscriber('sub-1');
    await owner.subscribe('prices.eur');

    await assert.rejects(publisher('pub-1').put('news', 'x', { msg: 'm-1' }), (error: unknown) => {
      assert.ok(error instanceof PutDefiniteFailure, String(error));
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /refused \(forbidden\): pub-1 may not publish on news/);
      return true;
    });
    await assert.rejects(publisher('evil').put('prices.eur', 'fake', { msg: 'm-1' }), (error: unknown) => error instanceof PutDefiniteFailure && error.code === 'forbidden');

    const evil = await subscriber('evil');
    await assert.rejects(evil.subscribe('prices.eur'), (error: unknown) => {
      assert.ok(error instanceof SubscriberForbidden, String(error));
      assert.deepEqual([error.refused, error.value], ['topic', 'prices.eur']);
      return true;
    });
    await evil.subscribe('evil.plans'); // its own topic still works

    // Takeover: the evil key says HELLO as sub-1 (positions far ahead would have released sub-1's messages).
    const impostor = await subscriber('evil', 'sub-1');
    await assert.rejects(impostor.get(undefined, { timeoutMs: WAIT }), (error: unknown) => {
      assert.ok(error instanceof SubscriberForbidden, String(error));
      assert.deepEqual([error.refused, error.value], ['subscriber id', 'sub-1']);
      return true;
    });
    await assert.rejects(impostor.subscribe('evil.plans'), SubscriberForbidden, 'a failed session refuses every later call');

    assert.equal((await publisher('pub-1').put('prices.eur', '1.10', { msg: 'm-2' })).seq, 1);
    assert.deepEqual((await collect(owner, 1, WAIT)).map((d) => d.msg), ['m-2'], 'the owner’s session was not replaced by the refused HELLO');
    assert.equal(run.proxy.stats().forbidden, 4);
    assert.equal(run.proxy.stats().accepted, 1);
  });

  test('another key reusing a publisher’s id and message id first makes a put of its own: the real put is stored and delivered, not taken for a duplicate', async () => {
    await start();
    const sub = await subscriber('sub-1');
    await sub.subscribe('prices.eur');
    const forger = run.publisher('pub-1', { attempts: 3, security: fixture.peer('evil') });
    assert.deepEqual(await forger.put('evil.x', 'squat', { msg: 'm-7' }), { msg: 'm-7', topic: 'evil.x', seq: 1 });
    assert.deepEqual(await publisher('pub-1').put('prices.eur', 'real', { msg: 'm-7' }), { msg: 'm-7', topic: 'prices.eur', seq: 1 });
    assert.deepEqual((await collect(sub, 1, WAIT)).map((d) => [d.publisher, d.msg, d.payload.toString()]), [['pub-1', 'm-7', 'real']]);
    assert.equal(run.proxy.stats().deduplicated, 0);
  });

  test('revocation mid-session: a removed principal’s session is dropped within a tick and gets no DELIVER after it; a right taken away stops that topic only', async () => {
    await start();
    const kept = await subscriber('sub-1');
    const revoked = await subscriber('sub-2');
    for (const sub of [kept, revoked]) await sub.subscribe('prices.eur');
    await kept.subscribe('news');
    const pub = publisher('pub-1');
    await pub.put('prices.eur', 'before', { msg: 'm-1' });
    for (const sub of [kept, revoked]) assert.deepEqual((await collect(sub, 1, WAIT)).map((d) => d.msg), ['m-1']);

    // sub-2 leaves the policy; sub-1 keeps only news; pub-1 may now publish on news too.
    const { 'sub-2': _gone, ...rest } = RIGHTS;
    fixture.writePolicy({ ...rest, 'sub-1': { subscribe: ['news'] }, 'pub-1': { publish: ['prices.*', 'news'] } });
    const writtenAt = Date.now();
    await waitFor(() => run.proxy.stats().revokedSessions === 1, { timeoutMs: WAIT, what: 'the revoked principal’s session to be dropped' });
    // One tick is 50 ms here; the rest is tolerance for a busy machine.
    assert.ok(Date.now() - writtenAt < 1_000, `session dropped ${Date.now() - writtenAt} ms after the policy changed`);

    await pub.put('prices.eur', 'after', { msg: 'm-2' });
    await pub.put('news', 'headline', { msg: 'm-3' });
    assert.deepEqual((await collect(kept, 2, QUIET * 2)).map((d) => d.msg), ['m-3'], 'sub-1 gets news, not the topic taken away');
    assert.deepEqual(await collect(revoked, 1, QUIET), [], 'the revoked principal gets nothing after the revocation');
    assert.equal(run.proxy.stats().sessions, 1);
  });

  test('who cannot reach a secure proxy: a NULL-mechanism peer, an unlisted key, a listed key without the envelope', async () => {
    await start();
    const put = encodePut('pub-1', 'm-1', 'prices.eur', Buffer.from('x'));
    const attempt = async (options: object, frames: Buffer[]): Promise<string> => {
      const socket = new Dealer({ linger: 0, receiveTimeout: QUIET, ...options });
      run.onClose(() => socket.close());
      socket.connect(run.endpoint);
      await socket.send(frames).catch(() => undefined);
      try {
        return decodeAtPublisher(await socket.receive()).kind;
      } catch {
        return 'no answer';
      }
    };
    assert.equal(await attempt({}, put), 'no answer', 'NULL mechanism: no handshake with a CURVE server');
    assert.equal(await attempt(fixture.peer('stranger').socketOptions(), fixture.peer('stranger').wrap(put)), 'no answer', 'a key not in the policy: ZAP refuses the handshake');
    assert.equal(await attempt(fixture.peer('pub-1').socketOptions(), put), 'no answer', 'a listed key, but no KHA/1 envelope');
    assert.equal(run.proxy.stats().security?.unauthenticated, 1);
    assert.equal(await attempt(fixture.peer('pub-1').socketOptions(), fixture.peer('pub-1').wrap(put)), 'accepted', 'the same peer with its envelope');
    assert.equal(run.proxy.stats().accepted, 1);
  });
});
