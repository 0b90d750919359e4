import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAtBroker, decodeAtWorker, encodeHeartbeat, MdpDecodeError, type Frame } from '../../reference/mdp/codec';
import {
  decodeControlAnswer,
  decodeInventory,
  encodeControl,
  encodeControlAck,
  encodeControlWelcome,
  encodeInspect,
  encodeInspectAnswer,
  encodeInventory,
  encodeKill,
  encodeKillAnswer,
  encodeWorkerControl,
  encodeWorkerControlAnswer,
  MAX_INVENTORY_BYTES,
} from '../../reference/mdp/control-codec';

const s = (text: string): Frame => Buffer.from(text);
const E = Buffer.alloc(0);
const W = s('MDPW01');
const C = s('KHCC01');

function malformed(decode: (frames: Frame[]) => unknown, frames: Frame[], pattern: RegExp): void {
  assert.throws(() => decode(frames), (error: unknown) => error instanceof MdpDecodeError && pattern.test(error.message));
}

describe('KHC/1 control codec', () => {
  test('control requests reach the broker decoded, each verb with its argument', () => {
    assert.deepEqual(decodeAtBroker(encodeKill('job-1')), { kind: 'control-request', verb: 'KILL', job: s('job-1') });
    assert.deepEqual(decodeAtBroker(encodeInspect()), { kind: 'control-request', verb: 'INSPECT' });
    assert.deepEqual(decodeAtBroker(encodeInspect('job-2')), { kind: 'control-request', verb: 'INSPECT', job: s('job-2') });
    assert.deepEqual(decodeAtBroker(encodeWorkerControl('DRAIN', 'w-1')), { kind: 'control-request', verb: 'DRAIN', instance: 'w-1' });
    assert.deepEqual(decodeAtBroker(encodeWorkerControl('STOP', 'w-1')), { kind: 'control-request', verb: 'STOP', instance: 'w-1' });
  });

  test('malformed control requests are refused with what is wrong', () => {
    malformed(decodeAtBroker, [E, C, s('KILLALL'), s('x')], /control verb "KILLALL", expected one of KILL, INSPECT, DRAIN, STOP/);
    malformed(decodeAtBroker, [E, C, s('KILL')], /KILL has 3 frames, expected 4/);
    malformed(decodeAtBroker, [E, C, s('KILL'), E], /KILL without a job id/);
    malformed(decodeAtBroker, [E, C], /control verb missing/);
    malformed(decodeAtBroker, [E, C, s('INSPECT'), s('a'), s('b')], /INSPECT has 5 frames, expected 3 or 4/);
    malformed(decodeAtBroker, [E, C, s('DRAIN')], /DRAIN has 3 frames, expected 4/);
  });

  test('answers decode at the client, and a bad outcome or body is malformed', () => {
    assert.deepEqual(decodeControlAnswer(encodeKillAnswer(s('job-1'), 'killed')), { verb: 'KILL', job: 'job-1', outcome: 'killed' });
    assert.deepEqual(decodeControlAnswer(encodeInspectAnswer(undefined, { jobs: 3 })), { verb: 'INSPECT', state: { jobs: 3 } });
    assert.deepEqual(decodeControlAnswer(encodeInspectAnswer(s('j'), { state: 'queued' })), { verb: 'INSPECT', job: 'j', state: { state: 'queued' } });
    assert.deepEqual(decodeControlAnswer(encodeWorkerControlAnswer('STOP', 'w', 'unknown')), { verb: 'STOP', instance: 'w', outcome: 'unknown' });
    malformed(decodeControlAnswer, [E, C, s('KILL'), s('j'), s('maybe')], /KILL outcome "maybe", expected one of killed, finished, unknown, forbidden/);
    malformed(decodeControlAnswer, [E, C, s('INSPECT'), s('{nope')], /INSPECT answer is not JSON/);
    malformed(decodeControlAnswer, [E, s('MDPC01'), s('KILL')], /not a KHCC01 message/);
  });

  test('CONTROL instructions reach the worker; the empty one is the welcome', () => {
    assert.deepEqual(decodeAtWorker(encodeControlWelcome()), { kind: 'control' });
    assert.deepEqual(decodeAtWorker(encodeControl({ kind: 'control', instruction: 'KILL', job: s('a') })), { kind: 'control', instruction: 'KILL', job: s('a') });
    assert.deepEqual(decodeAtWorker(encodeControl({ kind: 'control', instruction: 'DROP', jobs: [s('a'), s('b')] })), { kind: 'control', instruction: 'DROP', jobs: [s('a'), s('b')] });
    assert.deepEqual(decodeAtWorker(encodeControl({ kind: 'control', instruction: 'STOP' })), { kind: 'control', instruction: 'STOP' });
    malformed(decodeAtWorker, [E, W, Buffer.from([7]), s('RESEND')], /CONTROL RESEND without a job address/);
    malformed(decodeAtWorker, [E, W, Buffer.from([7]), s('EXPLODE')], /CONTROL instruction "EXPLODE"/);
  });

  test('CONTROL-ACKs reach the broker; a worker cannot send CONTROL', () => {
    assert.deepEqual(decodeAtBroker(encodeControlAck({ kind: 'control-ack', instruction: 'KILL', job: s('a'), outcome: 'cannot' })), { kind: 'control-ack', instruction: 'KILL', job: s('a'), outcome: 'cannot' });
    assert.deepEqual(decodeAtBroker(encodeControlAck({ kind: 'control-ack', instruction: 'DRAIN', outcome: 'draining' })), { kind: 'control-ack', instruction: 'DRAIN', outcome: 'draining' });
    malformed(decodeAtBroker, [E, W, Buffer.from([8]), s('KILL'), s('a'), s('dead')], /CONTROL-ACK KILL outcome "dead"/);
    malformed(decodeAtBroker, encodeControlWelcome(), /unknown worker command CONTROL/);
  });

  test('an inventory rides a heartbeat, bounded: what does not fit is counted, never sent', () => {
    const held = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(32, '0'));
    const frame = encodeInventory({ running: 'ab', held, state: 'draining' });
    assert.ok(frame.length <= MAX_INVENTORY_BYTES, `${frame.length} bytes`);
    const inventory = decodeInventory(frame);
    assert.equal(inventory.held.length + inventory.more, 500);
    assert.deepEqual(inventory.held, held.slice(0, inventory.held.length));
    const decoded = decodeAtBroker(encodeHeartbeat(encodeInventory({ running: null, held: ['0a'], state: 'ready' })));
    assert.deepEqual(decoded, { kind: 'heartbeat', inventory: { running: null, held: ['0a'], more: 0, state: 'ready' } });
    malformed(decodeAtBroker, encodeHeartbeat(s('{"running":null,"held":["XY"],"more":0,"state":"ready"}')), /"held" must be a list of job addresses in lowercase hex/);
    malformed(decodeAtBroker, encodeHeartbeat(s('{"running":null,"held":[],"more":0,"state":"asleep"}')), /"state" must be "ready" or "draining"/);
    malformed(decodeAtBroker, encodeHeartbeat(Buffer.alloc(MAX_INVENTORY_BYTES + 1, 0x20)), /inventory of 4097 bytes/);
  });
});
