import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeAtProxy,
  decodeAtPublisher,
  decodeAtSubscriber,
  encodeAccepted,
  encodeAcceptedBatch,
  encodeAck,
  encodeBatch,
  encodeDeliverBatch,
  encodePuts,
  batchGroups,
  MAX_BATCH_PAYLOAD_BYTES,
  packAccepted,
  packDelivered,
  packPut,
  encodeDeliver,
  encodeForbidden,
  encodeHeartbeat,
  encodeHello,
  encodePut,
  encodeRefused,
  encodeReset,
  encodeSubscribe,
  encodeSubscribed,
  encodeUnsubscribe,
  encodeUnsubscribed,
  encodeWelcome,
  KhpDecodeError,
  type Frame,
} from '../../reference/pubsub/codec';

const f = (...texts: string[]): Frame[] => texts.map((t) => Buffer.from(t, 'latin1'));

function rejects(decode: (frames: Frame[]) => unknown, frames: Frame[], reason: RegExp): void {
  assert.throws(
    () => decode(frames),
    (error: unknown) => error instanceof KhpDecodeError && reason.test(error.reason),
  );
}

describe('KHP/1 codec', () => {
  test('proxy-bound messages round-trip', () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(decodeAtProxy(encodePut('pub-1', 'm-1', 'news', payload)), { kind: 'put', publisher: 'pub-1', msg: 'm-1', topic: 'news', payload });
    const order = { stream: 'a1b2', seq: 7, floor: 5 };
    assert.deepEqual(decodeAtProxy(encodePut('pub-1', 'm-1', 'news', payload, order)), { kind: 'put', publisher: 'pub-1', msg: 'm-1', topic: 'news', payload, order });
    assert.deepEqual(decodeAtProxy(encodeHello('sub-1', new Map([['a', 0], ['b', 17]]))), { kind: 'hello', subscriber: 'sub-1', positions: new Map([['a', 0], ['b', 17]]) });
    assert.deepEqual(decodeAtProxy(encodeHello('sub-1', new Map())), { kind: 'hello', subscriber: 'sub-1', positions: new Map() });
    assert.deepEqual(decodeAtProxy(encodeSubscribe('t')), { kind: 'subscribe', topic: 't' });
    assert.deepEqual(decodeAtProxy(encodeUnsubscribe('t')), { kind: 'unsubscribe', topic: 't' });
    assert.deepEqual(decodeAtProxy(encodeAck('t', 9007199254740991)), { kind: 'ack', topic: 't', seq: 9007199254740991 });
    assert.deepEqual(decodeAtProxy(encodeHeartbeat()), { kind: 'heartbeat' });
  });

  test('publisher- and subscriber-bound messages round-trip', () => {
    assert.deepEqual(decodeAtPublisher(encodeAccepted('m-1', 'news', 3)), { kind: 'accepted', puts: [{ msg: 'm-1', topic: 'news', seq: 3 }] });
    assert.deepEqual(decodeAtPublisher(encodeRefused('m-1', 'busy', 'subscriber sub-1 is full — try later')), {
      kind: 'refused',
      msg: 'm-1',
      code: 'busy',
      reason: 'subscriber sub-1 is full — try later',
    });
    const payload = Buffer.from('hello');
    assert.deepEqual(decodeAtSubscriber(encodeDeliver('news', 4, 'pub-1', 'm-2', payload)), { kind: 'deliver', topic: 'news', seq: 4, messages: [{ publisher: 'pub-1', msg: 'm-2', payload }] });
    assert.deepEqual(decodeAtSubscriber(encodeWelcome(new Map([['x', 5]]))), { kind: 'welcome', positions: new Map([['x', 5]]) });
    assert.deepEqual(decodeAtSubscriber(encodeSubscribed('x', 0)), { kind: 'subscribed', topic: 'x', position: 0 });
    assert.deepEqual(decodeAtSubscriber(encodeUnsubscribed('x')), { kind: 'unsubscribed', topic: 'x' });
    assert.deepEqual(decodeAtSubscriber(encodeReset()), { kind: 'reset' });
    assert.deepEqual(decodeAtSubscriber(encodeHeartbeat()), { kind: 'heartbeat' });
    assert.deepEqual(decodeAtSubscriber(encodeForbidden('sub-1')), { kind: 'forbidden', name: 'sub-1' });
    assert.deepEqual(decodeAtPublisher(encodeRefused('m-1', 'forbidden', 'pub-1 may not publish on news')), { kind: 'refused', msg: 'm-1', code: 'forbidden', reason: 'pub-1 may not publish on news' });
  });

  test('malformed input is refused with a precise reason', () => {
    rejects(decodeAtProxy, [], /at least 2 frames/);
    rejects(decodeAtProxy, f('KHP02', 'PUT'), /expected header KHP01/);
    rejects(decodeAtProxy, f('KHP01', 'PUSH'), /unknown command "PUSH"/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'm', 't'), /PUT takes 4 frames after the command \(7 with stream, sequence and floor\), got 3/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'm', 't', 'x', 's', '3', '4'), /publisher floor 4 is above the put's publisher sequence 3/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'm', 't', 'x', 's', '0', '0'), /publisher sequence must be at least 1/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'm', 't', 'x', '', '1', '1'), /publisher stream must not be empty/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', '', 'm', 't', 'x'), /publisher id must not be empty/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'm', 't\n', 'x'), /topic must be printable ASCII \(found byte 0x0a\)/);
    rejects(decodeAtProxy, f('KHP01', 'PUT', 'p', 'x'.repeat(256), 't', 'x'), /message id is 256 bytes/);
    rejects(decodeAtProxy, f('KHP01', 'ACK', 't', '0'), /sequence must be at least 1/);
    rejects(decodeAtProxy, f('KHP01', 'ACK', 't', '007'), /sequence must be a decimal integer/);
    rejects(decodeAtProxy, f('KHP01', 'ACK', 't', '-1'), /decimal integer/);
    rejects(decodeAtProxy, f('KHP01', 'ACK', 't', '99999999999999999'), /too large|decimal integer/);
    rejects(decodeAtProxy, f('KHP01', 'HELLO'), /needs a subscriber id/);
    rejects(decodeAtProxy, f('KHP01', 'HELLO', 's', 'a'), /pairs/);
    rejects(decodeAtProxy, f('KHP01', 'HELLO', 's', 'a', '1', 'a', '2'), /twice/);
    rejects(decodeAtProxy, f('KHP01', 'HEARTBEAT', 'x'), /HEARTBEAT takes 0 frames/);
    rejects(decodeAtPublisher, f('KHP01', 'REFUSED', 'm', 'nope', 'r'), /unknown REFUSED code/);
    rejects(decodeAtPublisher, f('KHP01', 'DELIVER'), /unknown command "DELIVER" at a publisher/);
    rejects(decodeAtSubscriber, f('KHP01', 'DELIVER', 't', '1', 'p', 'm'), /DELIVER takes 5 frames after the command, got 4/);
    rejects(decodeAtSubscriber, f('KHP01', 'FORBIDDEN'), /FORBIDDEN takes 1 frames/);
    rejects(decodeAtSubscriber, f('KHP01', 'FORBIDDEN', ''), /subscriber id or topic must not be empty/);
    rejects(decodeAtSubscriber, f('KHP01', 'SUBSCRIBED', 't', 'x'), /position must be a decimal integer/);
  });

  describe('revision 4: several messages per PUT, ACCEPTED and DELIVER, one frame each, after BATCH', () => {
    const order = (seq: number, floor = 1) => ({ stream: 's1', seq, floor });

    test('BATCH reads the same both ways', () => {
      assert.deepEqual(decodeAtProxy(encodeBatch(64)), { kind: 'batch', max: 64 });
      assert.deepEqual(decodeAtPublisher(encodeBatch(64)), { kind: 'batch', max: 64 });
      assert.deepEqual(decodeAtSubscriber(encodeBatch(32)), { kind: 'batch', max: 32 });
    });

    test('a PUT of three windowed puts is the batch mark and one frame per put, and comes back as three, in order', () => {
      const puts = [1, 2, 3].map((seq) => ({ publisher: 'pub-1', msg: `m-${seq}`, topic: seq === 2 ? 'other' : 'news', payload: Buffer.from(`p${seq}\nwith a line feed`), order: order(seq) }));
      const frames = encodePuts(puts);
      assert.deepEqual(frames.map((frame) => frame.length === 0 ? '' : frame.toString('latin1').split('\n')[0]), ['KHP01', 'PUT', '', 'pub-1', 'pub-1', 'pub-1']);
      assert.equal(frames[3].toString('latin1'), 'pub-1\nm-1\nnews\ns1\n1\n1\np1\nwith a line feed');
      assert.deepEqual(decodeAtProxy(frames), { kind: 'puts', puts });
    });

    test('one windowed put in encodePuts is exactly a revision 3 PUT', () => {
      const put = { publisher: 'pub-1', msg: 'm-1', topic: 'news', payload: Buffer.from('x'), order: order(4, 2) };
      assert.deepEqual(encodePuts([put]), encodePut('pub-1', 'm-1', 'news', Buffer.from('x'), order(4, 2)));
      assert.deepEqual(decodeAtProxy(encodePuts([put])), { kind: 'put', ...put });
    });

    test('an ACCEPTED of several names each put', () => {
      const puts = [
        { msg: 'm-1', topic: 'news', seq: 7 },
        { msg: 'm-2', topic: 'sport', seq: 8 },
      ];
      const frames = encodeAcceptedBatch(puts.map(packAccepted));
      assert.equal(frames[3].toString('latin1'), 'm-1\nnews\n7');
      assert.deepEqual(decodeAtPublisher(frames), { kind: 'accepted', puts });
    });

    test('a DELIVER of several gives each message the next sequence, payloads byte for byte', () => {
      const messages = [1, 2, 3].map((n) => ({ publisher: `pub-${n}`, msg: `m-${n}`, payload: Buffer.from([0, 10, 255, n]) }));
      const frames = encodeDeliverBatch('news', 10, messages.map(packDelivered));
      assert.equal(frames.length, 4 + 1 + 3);
      assert.deepEqual(decodeAtSubscriber(frames), { kind: 'deliver', topic: 'news', seq: 10, messages });
      const empty = { ...messages[0], payload: Buffer.alloc(0) };
      assert.deepEqual(decodeAtSubscriber(encodeDeliverBatch('news', 10, [packDelivered(empty)])), { kind: 'deliver', topic: 'news', seq: 10, messages: [empty] }, 'an empty payload');
    });

    test('a batch with a missing or bad part is malformed as a whole, with the reason', () => {
      const put = (seq: number) => packPut({ publisher: 'p', msg: `m${seq}`, topic: 't', payload: Buffer.from('x'), order: order(seq) });
      rejects(decodeAtProxy, f('KHP01', 'BATCH'), /BATCH takes 1 frames after the command, got 0/);
      rejects(decodeAtProxy, f('KHP01', 'BATCH', '0'), /batch size must be at least 1/);
      rejects(decodeAtPublisher, f('KHP01', 'BATCH', 'lots'), /batch size must be a decimal integer/);
      rejects(decodeAtProxy, f('KHP01', 'PUT', ''), /PUT of several carries no message after its batch mark/);
      rejects(decodeAtProxy, [...f('KHP01', 'PUT', ''), put(1), Buffer.from('p\nm2\nt\ns1\n2')], /put 2 of the PUT ends before its publisher sequence/);
      rejects(decodeAtProxy, [...f('KHP01', 'PUT', ''), put(1), Buffer.from('p\nm2\nt\ns1\n2\n3\nx')], /publisher floor 3 is above the put's publisher sequence 2/);
      rejects(decodeAtProxy, [...f('KHP01', 'PUT', ''), Buffer.from('\nm1\nt\ns1\n1\n1\nx'), put(2)], /publisher id must not be empty/);
      rejects(decodeAtProxy, [...f('KHP01', 'PUT', ''), ...Array.from({ length: 1025 }, (_, i) => put(i + 1))], /PUT of several carries at most 1024 messages, got 1025/);
      rejects(decodeAtPublisher, [...f('KHP01', 'ACCEPTED', ''), packAccepted({ msg: 'm-1', topic: 't', seq: 1 }), Buffer.from('m-2\nt\n0')], /sequence must be at least 1/);
      rejects(decodeAtPublisher, [...f('KHP01', 'ACCEPTED', ''), Buffer.from('m-2\nt')], /put 1 of the ACCEPTED ends before its topic/);
      rejects(decodeAtSubscriber, [...f('KHP01', 'DELIVER', 't', '1', ''), Buffer.from('p\nm\u0001\ny')], /message id must be printable ASCII/);
      rejects(decodeAtSubscriber, [...f('KHP01', 'DELIVER', 't', String(Number.MAX_SAFE_INTEGER), ''), packDelivered({ publisher: 'p', msg: 'm', payload: Buffer.from('x') })], /runs past the largest sequence/);
    });

    test('batch groups keep the order, at most `most` each, a group of several within 256 KiB of payloads', () => {
      const sized = (...sizes: number[]) => sizes.map((size, at) => ({ at, payload: Buffer.alloc(size) }));
      const shape = (groups: { at: number }[][]) => groups.map((group) => group.map((item) => item.at));
      assert.deepEqual(shape(batchGroups(sized(1, 1, 1, 1, 1, 1, 1, 1), 3)), [[0, 1, 2], [3, 4, 5], [6, 7]]);
      const third = Math.floor(MAX_BATCH_PAYLOAD_BYTES / 3);
      assert.deepEqual(shape(batchGroups(sized(third, third, third, third, MAX_BATCH_PAYLOAD_BYTES + 1, 1, 1), 64)), [[0, 1, 2], [3], [4], [5, 6]]);
      assert.deepEqual(batchGroups([], 8), []);
    });

    test('a message of one with an empty id is still named for its empty id, not read as a batch', () => {
      rejects(decodeAtProxy, f('KHP01', 'PUT', '', 'm', 't', 'x'), /^publisher id must not be empty$/);
      rejects(decodeAtProxy, f('KHP01', 'PUT', '', 'm', 't', 'x', 's', '1', '1'), /^publisher id must not be empty$/);
      rejects(decodeAtPublisher, f('KHP01', 'ACCEPTED', '', 't', '1'), /^message id must not be empty$/);
      rejects(decodeAtSubscriber, f('KHP01', 'DELIVER', 't', '1', '', 'm', 'x'), /^publisher id must not be empty$/);
    });
  });
});
