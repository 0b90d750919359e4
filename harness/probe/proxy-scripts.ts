import crypto from 'node:crypto';
import { ClauseBroken } from './clause-broken';
import { describeKhp, khpCommand, KhpPeer, type KhpMessage } from './khp-peer';

/** What a script against a real proxy needs: where it is, how it is timed, and whether it still runs. */
export interface ProxyUnderTest {
  /** Where the harness reaches the proxy. */
  readonly endpoint: string;
  readonly heartbeatMs: number;
  /** heartbeat × liveness. */
  readonly livenessMs: number;
  /** False once the proxy process has exited. */
  running(): boolean;
  /** "code 1", "SIGABRT": how it exited, with its last log lines. */
  exitEvidence(): string;
}

/** How long an answer may take: a durable write and a tick or two. */
function answerBound(proxy: ProxyUnderTest): number {
  return 2 * proxy.livenessMs;
}

/** A fresh id for this run, so the proxy's dedup table never takes a script's put for an earlier one. */
function fresh(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(3).toString('hex')}`;
}

async function withPeer<T>(proxy: ProxyUnderTest, use: (peer: KhpPeer) => Promise<T>): Promise<T> {
  const peer = new KhpPeer(proxy.endpoint);
  try {
    return await use(peer);
  } finally {
    peer.close();
  }
}

/** A revision 1 PUT and its answer (ACCEPTED or REFUSED naming `msg`), or undefined within the bound. */
async function put(proxy: ProxyUnderTest, peer: KhpPeer, publisher: string, msg: string, topic: string, stream?: { id: string; seq: number; floor: number }): Promise<KhpMessage | undefined> {
  await peer.send('PUT', publisher, msg, topic, `payload of ${msg}`, ...(stream ? [stream.id, stream.seq, stream.floor] : []));
  return peer.next((message) => (message.command === 'ACCEPTED' || message.command === 'REFUSED') && message.args[0] === msg, answerBound(proxy));
}

/** One bad message: its name in a verdict, its frames, and the answer it must get (none, or REFUSED bad-request). */
interface MalformedProbe {
  name: string;
  frames: (string | Buffer)[];
  refusedAs?: string;
}

function malformedProbes(): MalformedProbe[] {
  const msg = fresh('bad-topic');
  return [
    { name: 'a message with the header KHP02', frames: ['KHP02', 'HEARTBEAT'] },
    { name: 'the header alone', frames: ['KHP01'] },
    { name: 'an unknown command', frames: ['KHP01', 'SHOUT', 'news'] },
    { name: 'an ACK without its sequence', frames: ['KHP01', 'ACK', 'news'] },
    { name: 'an ACK with sequence 0', frames: ['KHP01', 'ACK', 'news', '0'] },
    { name: 'a HELLO with a control byte in the subscriber id', frames: ['KHP01', 'HELLO', Buffer.from('sub\x01x')] },
    { name: 'a HELLO with a position with a leading zero', frames: ['KHP01', 'HELLO', 'probe-sub', 'news', '007'] },
    { name: 'a DELIVER sent to the proxy', frames: ['KHP01', 'DELIVER', 'news', '1', 'probe-pub', 'm-1', 'x'] },
    { name: 'a PUT of 5 frames', frames: ['KHP01', 'PUT', 'probe-pub', fresh('short'), 'news', ] },
    { name: 'a PUT with an empty topic', frames: ['KHP01', 'PUT', 'probe-pub', msg, '', 'x'], refusedAs: `REFUSED ${msg} bad-request` },
    // Revision 4 drops these whole; a proxy of an earlier revision drops them too (a frame count or a command it does not know).
    { name: 'a BATCH of 0', frames: ['KHP01', 'BATCH', '0'] },
    {
      name: 'a PUT of two windowed puts, the second with an empty topic',
      frames: ['KHP01', 'PUT', 'probe-pub', fresh('first-of-two'), 'news', 'x', 'probe-stream', '1', '1', 'probe-pub', fresh('second-of-two'), '', 'x', 'probe-stream', '2', '1'],
    },
  ];
}

/**
 * Frames: a malformed message is dropped with a log line, nothing crashes on input; a PUT with a
 * usable message id but a topic KHP/1 does not take is answered REFUSED bad-request. Each probe goes
 * on a fresh connection and is followed by a PUT that must be accepted: a proxy that dies or stops
 * serving is caught at the probe that did it.
 */
export async function malformedDropped(proxy: ProxyUnderTest): Promise<void> {
  for (const probe of malformedProbes()) {
    const answer = await withPeer(proxy, async (peer) => {
      await peer.sendFrames(probe.frames);
      return peer.next(() => true, probe.refusedAs === undefined ? proxy.heartbeatMs : answerBound(proxy));
    });
    if (probe.refusedAs !== undefined && describeKhp(answer).split(' ').slice(0, 3).join(' ') !== probe.refusedAs) {
      throw new ClauseBroken('khp1:malformed-dropped', `${probe.name} was answered ${describeKhp(answer)}, not ${probe.refusedAs}: a PUT with a usable message id is refused naming it`);
    }
    if (probe.refusedAs === undefined && answer !== undefined && answer.command !== 'RESET') {
      throw new ClauseBroken('khp1:malformed-dropped', `${probe.name} was answered ${describeKhp(answer)}: a malformed message is dropped`);
    }
    const alive = await withPeer(proxy, (peer) => put(proxy, peer, 'probe-pub', fresh('alive'), 'probe-alive'));
    if (!proxy.running()) throw new ClauseBroken('khp1:malformed-dropped', `the proxy exited (${proxy.exitEvidence()}) on ${probe.name}: nothing may crash on input`);
    if (alive?.command !== 'ACCEPTED') throw new ClauseBroken('khp1:malformed-dropped', `after ${probe.name} the proxy answered a valid PUT with ${describeKhp(alive)}: it stopped serving`);
  }
}

/** A session of a raw subscriber subscribed to `topic`: its peer (heartbeating) and the subscription's position. */
async function rawSubscription(proxy: ProxyUnderTest, peer: KhpPeer, subscriber: string, topic: string): Promise<number> {
  peer.keepAlive(proxy.heartbeatMs);
  await peer.send('HELLO', subscriber);
  const welcome = await peer.next(khpCommand('WELCOME'), answerBound(proxy));
  if (welcome === undefined) throw new ClauseBroken('khp1:session-hello', `HELLO ${subscriber} got no WELCOME within ${answerBound(proxy)} ms`);
  await peer.send('SUBSCRIBE', topic);
  const subscribed = await peer.next(khpCommand('SUBSCRIBED', topic), answerBound(proxy));
  if (subscribed === undefined) throw new ClauseBroken('khp1:subscriptions', `SUBSCRIBE ${topic} got no SUBSCRIBED within ${answerBound(proxy)} ms`);
  return Number(subscribed.args[1]);
}

/** Puts `count` messages on `topic` at once (revision 1 PUTs, each its own message id) and waits for every answer; their sequences. */
async function putMany(proxy: ProxyUnderTest, peer: KhpPeer, topic: string, count: number): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, i) => fresh(`${topic}-${i + 1}`));
  for (const msg of ids) await peer.send('PUT', 'probe-pub', msg, topic, `payload of ${msg}`);
  const sequences: number[] = [];
  for (const msg of ids) {
    const answer = await peer.next((message) => (message.command === 'ACCEPTED' || message.command === 'REFUSED') && message.args[0] === msg, answerBound(proxy));
    if (answer?.command !== 'ACCEPTED') throw new Error(`PUT ${msg} on ${topic} was answered ${describeKhp(answer)}: the scenario has nothing to deliver`);
    sequences.push(Number(answer.args[2]));
  }
  return sequences.sort((a, b) => a - b);
}

/** The sequences of the DELIVERs of `topic` heard until none came for `quietMs` (or `boundMs` passed). */
async function deliveredSequences(subscriber: KhpPeer, topic: string, quietMs: number, boundMs: number): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    const delivered = await subscriber.next(khpCommand('DELIVER', topic), Math.min(quietMs, deadline - Date.now()));
    if (delivered === undefined) break;
    seen.push(Number(delivered.args[1]));
  }
  return seen;
}

/**
 * Proxy rule 8: ACK (topic, n) acknowledges every sequence up to n, capped at the highest sequence
 * delivered to that subscriber id. A raw subscriber gets 5 DELIVERs and acknowledges only the last:
 * none of the 5 may come again (a proxy that took the ACK for one message retransmits the 4 others
 * after a liveness). Then 80 more are put at once, more than a delivery window holds, and before it
 * acknowledges any of them it acknowledges far beyond everything: every one of the 80 must still be
 * delivered (a proxy that did not cap the ACK takes those it had not sent yet as acknowledged).
 */
export async function cumulativeAck(proxy: ProxyUnderTest): Promise<void> {
  const topic = fresh('acks');
  await withPeer(proxy, (subscriber) =>
    withPeer(proxy, async (publisher) => {
      const from = await rawSubscription(proxy, subscriber, fresh('probe-acker'), topic);
      await putMany(proxy, publisher, topic, 5);
      const last = from + 5;
      for (let seq = from + 1; seq <= last; seq++) {
        const delivered = await subscriber.next(khpCommand('DELIVER', topic, seq), answerBound(proxy));
        if (delivered === undefined) throw new ClauseBroken('khp1:in-order-delivery', `DELIVER ${topic} ${seq} never came`);
      }
      await subscriber.send('ACK', topic, last);
      const again = await subscriber.collect((message) => message.command === 'DELIVER' && message.args[0] === topic, 2 * proxy.livenessMs + proxy.heartbeatMs);
      if (again.length > 0) throw new ClauseBroken('khp1:cumulative-ack', `after ACK ${topic} ${last} the proxy sent ${again.map(describeKhp).join('; ')} again: an ACK acknowledges every sequence up to its own`);
      const sequences = await putMany(proxy, publisher, topic, 80);
      const before = await deliveredSequences(subscriber, topic, 2 * proxy.heartbeatMs, proxy.livenessMs);
      await subscriber.send('ACK', topic, 1_000_000);
      const after = await deliveredSequences(subscriber, topic, 2 * proxy.livenessMs, 4 * answerBound(proxy));
      const got = new Set([...before, ...after]);
      const missing = sequences.filter((seq) => !got.has(seq));
      if (missing.length > 0) {
        throw new ClauseBroken(
          'khp1:cumulative-ack',
          `after ACK ${topic} 1000000, sent when ${before.length > 0 ? `${Math.max(...before)}` : 'nothing of the 80'} had been delivered, ${missing.length} of the 80 messages never came (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): an ACK is capped at the highest sequence delivered to that subscriber id`,
        );
      }
      await subscriber.send('ACK', topic, Math.max(...sequences));
      await subscriber.send('UNSUBSCRIBE', topic);
      await subscriber.next(khpCommand('UNSUBSCRIBED', topic), answerBound(proxy));
    }),
  );
}

/**
 * Proxy rule 14: a windowed PUT is decided only in its stream's order. Ahead of its stream it is
 * dropped unanswered; next, it is accepted, after the one before it; behind and not a duplicate, it
 * is refused bad-request; the same message again is a duplicate with its original sequence.
 */
export async function streamOrder(proxy: ProxyUnderTest): Promise<void> {
  const topic = fresh('order');
  const stream = fresh('stream');
  const [first, second, stale] = [fresh('order-1'), fresh('order-2'), fresh('order-stale')];
  await withPeer(proxy, async (peer) => {
    const ahead = await put(proxy, peer, 'probe-pub', second, topic, { id: stream, seq: 2, floor: 1 });
    if (ahead !== undefined) throw new ClauseBroken('khp1:stream-order', `PUT ${second} with publisher sequence 2 while 1 was undecided was answered ${describeKhp(ahead)}: a PUT ahead of its stream is dropped unanswered`);
    const one = await put(proxy, peer, 'probe-pub', first, topic, { id: stream, seq: 1, floor: 1 });
    if (one?.command !== 'ACCEPTED') throw new ClauseBroken('khp1:stream-order', `PUT ${first}, the next of its stream, was answered ${describeKhp(one)}`);
    const two = await put(proxy, peer, 'probe-pub', second, topic, { id: stream, seq: 2, floor: 1 });
    if (two?.command !== 'ACCEPTED') throw new ClauseBroken('khp1:stream-order', `PUT ${second}, sent again once 1 was decided, was answered ${describeKhp(two)}`);
    if (Number(two.args[2]) <= Number(one.args[2])) throw new ClauseBroken('khp1:stream-order', `${second} (publisher sequence 2) got topic sequence ${two.args[2]}, not after ${first}'s ${one.args[2]}: accepted messages get sequences in put() order`);
    const behind = await put(proxy, peer, 'probe-pub', stale, topic, { id: stream, seq: 1, floor: 1 });
    if (behind?.command !== 'REFUSED' || behind.args[1] !== 'bad-request') throw new ClauseBroken('khp1:stream-order', `PUT ${stale}, a new message with publisher sequence 1 already decided, was answered ${describeKhp(behind)}, not REFUSED bad-request`);
    const duplicate = await put(proxy, peer, 'probe-pub', first, topic, { id: stream, seq: 1, floor: 1 });
    if (duplicate?.command !== 'ACCEPTED' || duplicate.args[2] !== one.args[2]) throw new ClauseBroken('khp1:dedup', `PUT ${first} again was answered ${describeKhp(duplicate)}, not ACCEPTED with its original sequence ${one.args[2]}`);
  });
}

/**
 * Proxy rule 13: a subscriber id with no session for longer than the eviction bound loses its
 * subscriptions; its next HELLO gets a WELCOME without them. `evictionMs` is what the scenario passed
 * as {{subscriberEviction}}.
 */
export async function eviction(proxy: ProxyUnderTest, evictionMs: number): Promise<void> {
  const subscriber = fresh('probe-ghost');
  const topic = fresh('ghosted');
  await withPeer(proxy, (ghost) => rawSubscription(proxy, ghost, subscriber, topic));
  // The session is dropped after a liveness of silence; the absence counts from the tick that finds it, at most a tick late.
  const waitMs = proxy.livenessMs + evictionMs + 3 * proxy.heartbeatMs;
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const welcome = await withPeer(proxy, async (back) => {
    await back.send('HELLO', subscriber);
    return back.next(khpCommand('WELCOME'), answerBound(proxy));
  });
  if (welcome === undefined) throw new ClauseBroken('khp1:session-hello', `HELLO ${subscriber}, back after ${waitMs} ms, got no WELCOME`);
  if (welcome.args.includes(topic)) {
    throw new ClauseBroken('khp1:eviction', `${subscriber}, without a session for ${waitMs} ms (eviction after ${evictionMs} ms, passed as {{subscriberEviction}}), was welcomed back still subscribed to ${topic}: ${describeKhp(welcome)}`);
  }
}
