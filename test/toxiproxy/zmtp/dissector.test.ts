import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZmtpCursor } from '../../../harness/toxiproxy/zmtp/frame-cursor';
import { MAX_HELD_MESSAGE_BYTES, ZmtpDissector, type DissectedUnit } from '../../../harness/toxiproxy/zmtp/dissector';
import { MDP_HEARTBEAT, command, greeting, khpDeliver, mdpReady, mdpRecorded, mdpReply, message } from './zmtp-bytes';

/**
 * The dissector on constructed byte streams, cut at every byte boundary: whatever the cut, the
 * bytes out are the bytes in, in order, and the same whole messages are found.
 */

const BIG = Buffer.alloc(70_000, 7); // a LONG frame (8-byte size)
const MESSAGES = [mdpReady('echo'), MDP_HEARTBEAT, mdpReply('client-1:a:17', 'x'), message('', 'MDPC01', 'echo', BIG), mdpRecorded('j1', 'j2'), khpDeliver('t', 3), message('')];
const STREAM = Buffer.concat([greeting(), command('READY', Buffer.from('\x0bSocket-Type\x00\x00\x00\x06DEALER', 'latin1')), MESSAGES[0], MESSAGES[1], command('PING', Buffer.from([0, 10])), ...MESSAGES.slice(2)]);

function run(dissector: ZmtpDissector, pieces: Buffer[]): DissectedUnit[] {
  const units = pieces.flatMap((piece) => dissector.push(piece));
  const rest = dissector.drain();
  return rest ? [...units, { kind: 'bytes', data: rest }] : units;
}

function check(units: DissectedUnit[], input: Buffer, expected: Buffer[]): void {
  assert.ok(Buffer.concat(units.map((unit) => unit.data)).equals(input), 'the bytes out are the bytes in, in order');
  const found = units.filter((unit) => unit.kind === 'message').map((unit) => unit.data);
  assert.equal(found.length, expected.length);
  found.forEach((data, i) => assert.ok(data.equals(expected[i]), `message ${i} found whole`));
}

test('a NULL stream cut in two at every byte boundary yields the same messages and the same bytes', () => {
  // The 70 kB body is skipped in big steps: every cut inside it is one of a handful of kinds.
  const cuts = [...Array(STREAM.length + 1).keys()].filter((at) => at < 300 || at > STREAM.length - 300 || at % 997 === 0);
  for (const at of cuts) {
    const units = run(new ZmtpDissector(), [STREAM.subarray(0, at), STREAM.subarray(at)]);
    check(units, STREAM, MESSAGES);
  }
});

test('a NULL stream fed one byte at a time yields the same messages; the greeting is never held', () => {
  const small = Buffer.concat([greeting(), command('READY'), MDP_HEARTBEAT, mdpReply('j', 'b')]);
  const dissector = new ZmtpDissector();
  const units: DissectedUnit[] = [];
  for (let i = 0; i < small.length; i++) {
    const out = dissector.push(small.subarray(i, i + 1));
    if (i < 64) assert.equal(out.length, 1, `greeting byte ${i} passes at once (peers wait for each other's signature)`);
    units.push(...out);
  }
  check(units, small, [MDP_HEARTBEAT, mdpReply('j', 'b')]);
  assert.deepEqual(
    units.filter((unit) => unit.kind === 'message').map((unit) => (unit as { frames: Buffer[] }).frames.map((frame) => frame.toString('latin1'))),
    [['', 'MDPW01', '\x04'], ['', 'MDPW01', '\x03', 'j', '', 'b']],
  );
});

test('a CURVE greeting: everything passes as bytes and the reason says messages cannot be matched', () => {
  const curve = Buffer.concat([greeting('CURVE'), Buffer.from([0x04, 0x20]), Buffer.alloc(32, 1), MDP_HEARTBEAT]);
  for (let at = 0; at <= curve.length; at++) {
    const dissector = new ZmtpDissector();
    const units = run(dissector, [curve.subarray(0, at), curve.subarray(at)]);
    check(units, curve, []);
    assert.match(dissector.opaqueReason ?? '', /CURVE.*cannot be matched/);
  }
});

test('streams it cannot read pass unchanged, with the reason: not ZMTP, ZMTP 2, reserved flags mid-stream', () => {
  const cases: [Buffer, RegExp, Buffer[]][] = [
    [Buffer.from('GET / HTTP/1.1\r\n\r\n'), /not a ZMTP 3.x greeting/, []],
    [Buffer.concat([greeting('NULL', 2), MDP_HEARTBEAT]), /ZMTP 2.x/, []],
    [Buffer.concat([greeting(), MDP_HEARTBEAT, Buffer.from([0x01, 3, 1, 2]), Buffer.from([0x40, 1, 9]), MDP_HEARTBEAT]), /reserved bits/, [MDP_HEARTBEAT]],
    [Buffer.concat([greeting(), Buffer.from([0x01, 1, 0]), command('PING')]), /command frame inside a multi-frame message/, []],
  ];
  for (const [stream, reason, messages] of cases) {
    for (let at = 0; at <= stream.length; at++) {
      const dissector = new ZmtpDissector();
      check(run(dissector, [stream.subarray(0, at), stream.subarray(at)]), stream, messages);
      assert.match(dissector.opaqueReason ?? '', reason);
    }
  }
});

test('joining an open stream from a link cursor: bytes still held ahead pass first, a message begun before is passed whole as bytes', () => {
  const link = new ZmtpCursor();
  const seen = Buffer.concat([greeting(), MDP_HEARTBEAT, mdpReply('j', 'b').subarray(0, 5)]);
  link.feed(seen);
  // The chain still holds the last 20 bytes of what the link read: they reach the new stage first.
  const heldAhead = seen.subarray(seen.length - 20);
  const dissector = new ZmtpDissector({ cursor: link, bytesBefore: heldAhead.length });
  const after = Buffer.concat([mdpReply('j', 'b').subarray(5), mdpRecorded('j')]);
  const input = Buffer.concat([heldAhead, after]);
  for (let at = 0; at <= input.length; at++) {
    const units = run(new ZmtpDissector({ cursor: link, bytesBefore: heldAhead.length }), [input.subarray(0, at), input.subarray(at)]);
    check(units, input, [mdpRecorded('j')]);
  }
  assert.equal(dissector.opaqueReason, undefined);
});

test('a message larger than the hold bound passes as bytes, unmatched, and the next one is found', () => {
  const huge = message('', 'MDPC01', 'echo', Buffer.alloc(MAX_HELD_MESSAGE_BYTES + 200_000));
  const stream = Buffer.concat([greeting(), huge, MDP_HEARTBEAT]);
  const pieces: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 65536) pieces.push(stream.subarray(i, i + 65536));
  check(run(new ZmtpDissector(), pieces), stream, [MDP_HEARTBEAT]);
});

test('resuming after a stop: the held partial message is handed on and found whole by the next dissector', () => {
  const stream = Buffer.concat([greeting(), MDP_HEARTBEAT, mdpReply('j', 'b')]);
  for (let at = 64; at <= stream.length; at++) {
    const first = new ZmtpDissector();
    const before = first.push(stream.subarray(0, at));
    const resume = first.resumePoint();
    const handed = first.drain() ?? Buffer.alloc(0);
    const second = new ZmtpDissector(resume);
    const after = run(second, [handed, stream.subarray(at)]);
    const units = [...before, ...after];
    check(units, stream, [MDP_HEARTBEAT, mdpReply('j', 'b')]);
  }
});
