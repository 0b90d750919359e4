import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Dealer, Router } from 'zeromq';
import { decodeOrDrop } from '../../reference/net/decode';
import { pastLiveness, ReconnectingDealer } from '../../reference/net/reconnecting-dealer';
import { RouterServer, type Frame } from '../../reference/net/router-server';
import { silentLogger } from '../../reference/util/log';
import { MdpDecodeError } from '../../reference/mdp/codec';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { freeEndpoint } from './helpers';

/** The shared socket pieces of the reference nodes (reference/net/), on their own. */
const WAIT = 2_000;
const texts = (frames: Frame[]): string[] => frames.map((frame) => frame.toString());

describe('decodeOrDrop', () => {
  const decode = (frames: Frame[]): string => {
    const [first] = texts(frames);
    if (first === 'bad') throw new MdpDecodeError('bad first frame');
    if (first === 'bug') throw new TypeError('a bug in the decoder');
    return first;
  };

  test('returns what the codec decoded, and calls nothing else', () => {
    const dropped: string[] = [];
    assert.equal(decodeOrDrop([Buffer.from('ok')], decode, MdpDecodeError, (error) => dropped.push(error.reason)), 'ok');
    assert.deepEqual(dropped, []);
  });

  test('a malformed message goes to the callback with its reason and is dropped', () => {
    const dropped: string[] = [];
    assert.equal(decodeOrDrop([Buffer.from('bad')], decode, MdpDecodeError, (error) => dropped.push(error.reason)), undefined);
    assert.deepEqual(dropped, ['bad first frame']);
  });

  test('any other error is a bug and propagates', () => {
    assert.throws(() => decodeOrDrop([Buffer.from('bug')], decode, MdpDecodeError, () => assert.fail('not malformed')), /a bug in the decoder/);
  });
});

describe('pastLiveness', () => {
  test('the peer is dead only after more than interval × liveness of silence', () => {
    assert.equal(pastLiveness(300, 100, 3), false);
    assert.equal(pastLiveness(301, 100, 3), true);
    assert.equal(pastLiveness(0, 100, 3), false);
  });
});

describe('RouterServer', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function listening(overrides: Partial<{ onMessage: (identity: Frame, frames: Frame[]) => void; onTick: () => void }> = {}): Promise<RouterServer> {
    const server = new RouterServer({ endpoint: await freeEndpoint(), tickInterval: 20, role: 'test', log: silentLogger(), onMessage: () => undefined, onTick: () => undefined, ...overrides });
    await server.listen();
    closers.push(() => server.close());
    return server;
  }

  function dealer(endpoint: string): Dealer {
    const socket = new Dealer({ linger: 0, routingId: 'peer-1' });
    socket.connect(endpoint);
    closers.push(() => socket.close());
    return socket;
  }

  test('passes messages with the identity, ticks, and routes sends back to the peer', async () => {
    const received: string[][] = [];
    let ticks = 0;
    const server = await listening({ onMessage: (identity, frames) => received.push([identity.toString(), ...texts(frames)]), onTick: () => ticks++ });
    const peer = dealer(server.endpoint);
    await peer.send(['hello', 'there']);
    await waitFor(() => received.length === 1 && ticks >= 2, { timeoutMs: WAIT, what: 'a message and two ticks' });
    assert.deepEqual(received, [['peer-1', 'hello', 'there']]);
    server.send([Buffer.from('peer-1'), Buffer.from('answer')]);
    assert.deepEqual(texts(await withTimeout(peer.receive(), WAIT, 'the answer')), ['answer']);
    assert.ok(server.serving);
  });

  test('fail() latches the first error once: whenFailed resolves, messages stop, a second fail is refused', async () => {
    const received: string[] = [];
    const server = await listening({ onMessage: (_identity, frames) => received.push(...texts(frames)) });
    const first = new Error('journal write failed');
    assert.equal(server.fail(first), true);
    assert.equal(server.fail(new Error('later')), false);
    assert.equal(await withTimeout(server.whenFailed(), WAIT, 'whenFailed'), first);
    assert.equal(server.failure, first);
    assert.equal(server.serving, false);
    await dealer(server.endpoint).send('ignored');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received, []);
  });

  test('close() sends the farewell messages before the socket closes, and a closed server cannot fail', async () => {
    const server = await listening({ onMessage: () => undefined });
    const peer = dealer(server.endpoint);
    await peer.send('connect me');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close([[Buffer.from('peer-1'), Buffer.from('bye')]]);
    assert.deepEqual(texts(await withTimeout(peer.receive(), WAIT, 'the farewell')), ['bye']);
    assert.equal(server.closed, true);
    assert.equal(server.fail(new Error('too late')), false);
  });

  test('a bind that fails rejects and leaves the server closed', async () => {
    const first = await listening();
    const second = new RouterServer({ endpoint: first.endpoint, tickInterval: 20, role: 'test', log: silentLogger(), onMessage: () => undefined, onTick: () => undefined });
    await assert.rejects(second.listen());
    assert.equal(second.closed, true);
  });
});

describe('ReconnectingDealer', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** What every dealer here shares: quick reconnects, no log. */
  const QUICK_RECONNECTS = { reconnectInitial: 10, reconnectMax: 20, self: 'test', peer: 'router', log: silentLogger() } as const;

  /** A ROUTER bound on a free port for the dealer to talk to, closed after the test. */
  const boundRouter = async (): Promise<{ endpoint: string; router: Router }> => {
    const endpoint = await freeEndpoint();
    const router = new Router({ linger: 0 });
    await router.bind(endpoint);
    closers.push(() => router.close());
    return { endpoint, router };
  };

  test('greets on every fresh socket; a silent peer means a new socket, a new identity and a new generation', async () => {
    const { endpoint, router } = await boundRouter();
    const events: string[] = [];
    const dealer: ReconnectingDealer = new ReconnectingDealer({
      endpoint,
      heartbeatInterval: 20,
      heartbeatLiveness: 2,
      ...QUICK_RECONNECTS,
      onConnect: () => {
        events.push(`connect ${dealer.generation}`);
        dealer.send([Buffer.from(`hello ${dealer.generation}`)]);
      },
      onMessage: (frames) => events.push(`message ${texts(frames).join(' ')}`),
      onTick: () => events.push('tick'),
      onDisconnect: () => events.push('disconnect'),
    });
    dealer.start();
    closers.push(() => dealer.close());

    const [firstIdentity, firstHello] = await withTimeout(router.receive(), WAIT, 'the first hello');
    assert.equal(firstHello.toString(), 'hello 1');
    await router.send([firstIdentity, 'welcome']);
    await waitFor(() => events.includes('message welcome'), { timeoutMs: WAIT, what: 'the welcome' });

    // The router says nothing more: past 2 × 20 ms of silence the dealer drops its socket and greets on a new one.
    const [secondIdentity, secondHello] = await withTimeout(router.receive(), WAIT, 'the second hello');
    assert.equal(secondHello.toString(), 'hello 2');
    assert.notDeepEqual(secondIdentity, firstIdentity);
    assert.equal(dealer.generation, 2);
    assert.deepEqual(events.slice(0, 2), ['connect 1', 'message welcome']);
    const disconnectAt = events.indexOf('disconnect');
    assert.ok(disconnectAt > 1 && events[disconnectAt + 1] === 'connect 2', `disconnect, then connect 2: ${events.join(', ')}`);
  });

  test('after this process stood still past liveness, a peer that kept talking is read, not taken for silent; a silent one is still left', async () => {
    const { endpoint, router } = await boundRouter();
    const events: string[] = [];
    const dealer: ReconnectingDealer = new ReconnectingDealer({
      endpoint,
      heartbeatInterval: 50,
      heartbeatLiveness: 3,
      ...QUICK_RECONNECTS,
      onConnect: () => dealer.send([Buffer.from(`hello ${dealer.generation}`)]),
      onMessage: (frames) => events.push(`message ${texts(frames).join(' ')} on ${dealer.generation}`),
      onTick: () => undefined,
    });
    dealer.start();
    closers.push(() => dealer.close());
    const [identity] = await withTimeout(router.receive(), WAIT, 'the hello');

    // The peer talks as this process stands still for 4 liveness periods (a freeze, as SIGSTOP or a
    // starved machine makes it): its message waits in the socket. The tick after the stall must let it
    // be read on this session, instead of dropping the session with the message unread.
    // What a frozen process's peer sent reaches its socket only once the process runs again (its I/O
    // thread stood still too), when its timers are long overdue: here the message is sent just after the
    // stall, behind the dealer's overdue tick.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const stallUntil = Date.now() + 600;
        while (Date.now() < stallUntil) {
          // busy: the event loop stands still, as in a frozen process
        }
        setTimeout(() => {
          void router.send([identity, 'still here']).catch(() => undefined);
          resolve();
        }, 1);
      }),
    );
    await waitFor(() => events.some((event) => event.startsWith('message still here')), { timeoutMs: WAIT, what: 'the message sent during the stall' });
    assert.equal(dealer.generation, 1, `the session survived the stall: ${events.join(', ')}`);
    assert.ok(events.every((event) => event.endsWith('on 1')), events.join(', '));

    // Silent from now on: the peer is still left, within a few ticks.
    const [, secondHello] = await withTimeout(router.receive(), WAIT, 'the hello on a new socket');
    assert.equal(secondHello.toString(), 'hello 2');
  });

  test('reconnect(0) replaces the socket at once; after close() nothing reconnects', async () => {
    const { endpoint } = await boundRouter();
    let connects = 0;
    const dealer = new ReconnectingDealer({
      endpoint,
      heartbeatInterval: 1_000,
      heartbeatLiveness: 3,
      ...QUICK_RECONNECTS,
      onConnect: () => connects++,
      onMessage: () => undefined,
      onTick: () => undefined,
    });
    dealer.start();
    await dealer.reconnect(0);
    assert.equal(connects, 2);
    assert.equal(dealer.generation, 2);
    dealer.close();
    await dealer.reconnect(0);
    assert.equal(connects, 2);
  });
});
