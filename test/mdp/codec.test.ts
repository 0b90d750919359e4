import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLIENT_PROTOCOL,
  commandName,
  decodeAtBroker,
  decodeAtClient,
  decodeAtWorker,
  encodeClientReply,
  encodeClientRequest,
  encodeDisconnect,
  encodeHeartbeat,
  encodeReady,
  encodeReply,
  encodeRequest,
  encodeJobReply,
  encodeJobRequest,
  encodeLate,
  encodeTimedJobRequest,
  encodeTimedRequest,
  encodeRecorded,
  decodeJobReply,
  jobIdProblem,
  KHX_CLIENT_PROTOCOL,
  KHX_EXTENSION,
  KhxStatus,
  MAX_JOB_ID_BYTES,
  MdpDecodeError,
  printable,
  WORKER_PROTOCOL,
  type Frame,
} from '../../reference/mdp/codec';
import { answerMmi, isMmiService, KHX_MMI_SERVICE, MMI_SERVICE } from '../../reference/mdp/mmi';
import { backoffDelay } from '../../reference/util/backoff';

const E = Buffer.alloc(0);
const C = Buffer.from(CLIENT_PROTOCOL);
const W = Buffer.from(WORKER_PROTOCOL);
const cmd = (n: number): Frame => Buffer.from([n]);
const s = (text: string): Frame => Buffer.from(text);
/** Frames no text decoder would survive: NULs, 0xff, invalid UTF-8. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00, 0x01, 0xc3]);
const CLIENT_ID = Buffer.from([0x00, 0x6b, 0x8b, 0x45, 0x67]); // a ZeroMQ-style generated identity

/** Asserts `decode(frames)` throws an MdpDecodeError whose reason matches `reason`. */
function assertMalformed(decode: (frames: Frame[]) => unknown, frames: Frame[], reason: RegExp): void {
  assert.throws(
    () => decode(frames),
    (error: unknown) => {
      assert.ok(error instanceof MdpDecodeError, `expected MdpDecodeError, got ${String(error)}`);
      assert.equal(error.name, 'MdpDecodeError');
      assert.match(error.reason, reason);
      assert.equal(error.message, `malformed MDP message: ${error.reason}`);
      return true;
    },
  );
}

describe('codec: encode → decode round trips', () => {
  test('client request (one body frame) decodes at the broker', () => {
    const frames = encodeClientRequest('echo', [s('hello')]);
    assert.deepEqual(frames, [E, C, s('echo'), s('hello')]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'client-request', service: 'echo', body: [s('hello')] });
  });

  test('client request with a multi-frame binary body and a non-ASCII service name', () => {
    const body = [BINARY, E, s('third'), Buffer.alloc(70_000, 0xab)];
    const decoded = decodeAtBroker(encodeClientRequest('größe.dienst', body));
    assert.equal(decoded.kind, 'client-request');
    if (decoded.kind !== 'client-request') return;
    assert.equal(decoded.service, 'größe.dienst');
    assert.equal(decoded.body.length, 4);
    decoded.body.forEach((frame, i) => assert.ok(frame.equals(body[i]), `body frame ${i} changed in transit`));
  });

  test('client reply decodes at the client, multi-frame and binary', () => {
    const body = [s('a'), BINARY, E];
    const frames = encodeClientReply('echo', body);
    assert.deepEqual(frames, [E, C, s('echo'), ...body]);
    assert.deepEqual(decodeAtClient(frames), { service: 'echo', body });
  });

  test('READY decodes at the broker', () => {
    const frames = encodeReady('echo');
    assert.deepEqual(frames, [E, W, cmd(0x01), s('echo')]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'ready', service: 'echo', extensions: [] });
  });

  test('REQUEST decodes at the worker with the client envelope intact', () => {
    const body = [s('job-1'), BINARY];
    const frames = encodeRequest(CLIENT_ID, body);
    assert.deepEqual(frames, [E, W, cmd(0x02), CLIENT_ID, E, ...body]);
    assert.deepEqual(decodeAtWorker(frames), { kind: 'request', client: CLIENT_ID, body });
  });

  test('REQUEST with a single empty body frame is still a request', () => {
    assert.deepEqual(decodeAtWorker(encodeRequest(CLIENT_ID, [E])), { kind: 'request', client: CLIENT_ID, body: [E] });
  });

  test('REPLY decodes at the broker with the client envelope intact', () => {
    const body = [BINARY, s('two'), s('three')];
    const frames = encodeReply(CLIENT_ID, body);
    assert.deepEqual(frames, [E, W, cmd(0x03), CLIENT_ID, E, ...body]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'reply', client: CLIENT_ID, body });
  });

  test('HEARTBEAT decodes at both broker and worker', () => {
    const frames = encodeHeartbeat();
    assert.deepEqual(frames, [E, W, cmd(0x04)]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'heartbeat' });
    assert.deepEqual(decodeAtWorker(frames), { kind: 'heartbeat' });
  });

  test('DISCONNECT decodes at both broker and worker', () => {
    const frames = encodeDisconnect();
    assert.deepEqual(frames, [E, W, cmd(0x05)]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'disconnect' });
    assert.deepEqual(decodeAtWorker(frames), { kind: 'disconnect' });
  });

  test('commandName names known commands and renders unknown ones in hex', () => {
    assert.equal(commandName(0x01), 'READY');
    assert.equal(commandName(0x02), 'REQUEST');
    assert.equal(commandName(0x03), 'REPLY');
    assert.equal(commandName(0x04), 'HEARTBEAT');
    assert.equal(commandName(0x05), 'DISCONNECT');
    assert.equal(commandName(0x09), 'TIMED-REQUEST');
    assert.equal(commandName(0x0a), 'LATE');
    assert.equal(commandName(0x0b), 'TERM');
    assert.equal(commandName(0x0c), '0x0c');
  });
});

describe('codec: malformed messages throw MdpDecodeError with a reason', () => {
  test('no frames at all', () => {
    assertMalformed(decodeAtBroker, [], /^no frames$/);
    assertMalformed(decodeAtWorker, [], /^no frames$/);
    assertMalformed(decodeAtClient, [], /^no frames$/);
  });

  test('missing empty delimiter', () => {
    assertMalformed(decodeAtBroker, [C, s('echo'), s('x')], /first frame is not the empty delimiter/);
    assertMalformed(decodeAtWorker, [W, cmd(0x04)], /first frame is not the empty delimiter/);
    assertMalformed(decodeAtClient, [C, s('echo'), s('x')], /first frame is not the empty delimiter/);
  });

  test('delimiter only: no protocol header', () => {
    assertMalformed(decodeAtBroker, [E], /no protocol header/);
  });

  test('unknown protocol header is named in the reason', () => {
    assertMalformed(decodeAtBroker, [E, s('MDPX99'), s('echo'), s('x')], /unknown protocol header "MDPX99"/);
    assertMalformed(decodeAtBroker, [E, Buffer.from([0xde, 0xad]), s('x')], /unknown protocol header 0xdead/);
    // Header comparison is exact: a prefix or a lower-case spelling is not MDPC01.
    assertMalformed(decodeAtBroker, [E, s('mdpc01'), s('echo'), s('x')], /unknown protocol header "mdpc01"/);
    assertMalformed(decodeAtBroker, [E, s('MDPC0'), s('echo'), s('x')], /unknown protocol header "MDPC0"/);
  });

  test('client request without a service name', () => {
    assertMalformed(decodeAtBroker, [E, C], /client request without a service name/);
  });

  test('client request with an empty service name', () => {
    assertMalformed(decodeAtBroker, [E, C, E, s('x')], /client request with an empty service name/);
  });

  test('client request without a body', () => {
    assertMalformed(decodeAtBroker, [E, C, s('echo')], /client request without a body/);
    assertMalformed(decodeAtBroker, encodeClientRequest('echo', []), /client request without a body/);
  });

  test('worker message without a command frame', () => {
    assertMalformed(decodeAtBroker, [E, W], /worker message without a command frame/);
    assertMalformed(decodeAtWorker, [E, W], /worker message without a command frame/);
  });

  test('command frame of 2 bytes (and of 0 bytes)', () => {
    assertMalformed(decodeAtBroker, [E, W, Buffer.from([1, 1]), s('echo')], /command frame is 2 bytes, expected 1/);
    assertMalformed(decodeAtWorker, [E, W, Buffer.from([4, 0])], /command frame is 2 bytes, expected 1/);
    assertMalformed(decodeAtBroker, [E, W, E], /command frame is 0 bytes, expected 1/);
  });

  test('unknown worker command', () => {
    assertMalformed(decodeAtBroker, [E, W, cmd(0x7f)], /unknown worker command 0x7f/);
    assertMalformed(decodeAtBroker, [E, W, cmd(0x00)], /unknown worker command 0x00/);
    assertMalformed(decodeAtWorker, [E, W, cmd(0x7f)], /unexpected command 0x7f at a worker/);
  });

  test('READY with no service frame or an empty one', () => {
    assertMalformed(decodeAtBroker, [E, W, cmd(0x01)], /READY has 3 frames, expected 4 or more/);
    assertMalformed(decodeAtBroker, [E, W, cmd(0x01), E], /READY with an empty service name/);
  });

  test('REQUEST sent to a broker', () => {
    assertMalformed(decodeAtBroker, encodeRequest(CLIENT_ID, [s('x')]), /REQUEST sent by a worker/);
  });

  test('REPLY truncated', () => {
    assertMalformed(decodeAtBroker, [E, W, cmd(0x03)], /REPLY truncated: 3 frames, expected at least 6/);
    assertMalformed(decodeAtBroker, [E, W, cmd(0x03), CLIENT_ID], /REPLY truncated: 4 frames, expected at least 6/);
    assertMalformed(decodeAtBroker, [E, W, cmd(0x03), CLIENT_ID, E], /REPLY truncated: 5 frames, expected at least 6/);
  });

  test('REPLY with an empty client address', () => {
    assertMalformed(decodeAtBroker, [E, W, cmd(0x03), E, E, s('x')], /REPLY with an empty client address/);
  });

  test('REPLY without the empty frame after the client address', () => {
    assertMalformed(decodeAtBroker, [E, W, cmd(0x03), CLIENT_ID, s('x'), s('y')], /REPLY without the empty frame after the client address/);
  });

  test('REQUEST at a worker: truncated, empty address, missing empty frame', () => {
    assertMalformed(decodeAtWorker, [E, W, cmd(0x02), CLIENT_ID, E], /REQUEST truncated: 5 frames/);
    assertMalformed(decodeAtWorker, [E, W, cmd(0x02), E, E, s('x')], /REQUEST with an empty client address/);
    assertMalformed(decodeAtWorker, [E, W, cmd(0x02), CLIENT_ID, s('x'), s('y')], /REQUEST without the empty frame after the client address/);
  });

  test('HEARTBEAT and DISCONNECT with extra frames', () => {
    assertMalformed(decodeAtBroker, [...encodeHeartbeat(), s('x')], /inventory is not JSON/);
    assertMalformed(decodeAtBroker, [...encodeHeartbeat(), s('x'), s('y')], /HEARTBEAT has 5 frames, expected 3/);
    assertMalformed(decodeAtWorker, [...encodeHeartbeat(), s('x')], /HEARTBEAT has 4 frames, expected 3/);
    assertMalformed(decodeAtBroker, [...encodeDisconnect(), s('x')], /DISCONNECT has 4 frames, expected 3/);
    assertMalformed(decodeAtWorker, [...encodeDisconnect(), s('x'), s('y')], /DISCONNECT has 5 frames, expected 3/);
  });

  test('decodeAtWorker rejects anything that is not MDPW01, and commands only a worker sends', () => {
    assertMalformed(decodeAtWorker, encodeClientReply('echo', [s('x')]), /not an MDPW01 message/);
    assertMalformed(decodeAtWorker, [E], /not an MDPW01 message/);
    assertMalformed(decodeAtWorker, encodeReady('echo'), /unexpected command READY at a worker/);
    assertMalformed(decodeAtWorker, encodeReply(CLIENT_ID, [s('x')]), /unexpected command REPLY at a worker/);
  });

  test('decodeAtClient rejects anything that is not MDPC01, and replies without service or body', () => {
    assertMalformed(decodeAtClient, encodeHeartbeat(), /not an MDPC01 message/);
    assertMalformed(decodeAtClient, [E], /not an MDPC01 message/);
    assertMalformed(decodeAtClient, [E, C], /reply without a service name/);
    assertMalformed(decodeAtClient, [E, C, E, s('x')], /reply with an empty service name/);
    assertMalformed(decodeAtClient, [E, C, s('echo')], /reply without a body/);
  });
});

describe('mmi: answerMmi', () => {
  const served = new Set(['echo']);
  const hasWorkers = (name: string): boolean => served.has(name);

  test('mmi.service answers 200 for a service with workers', () => {
    assert.equal(answerMmi(MMI_SERVICE, [s('echo')], hasWorkers), '200');
  });

  test('mmi.service answers 404 for a service without workers, and for an empty question', () => {
    assert.equal(answerMmi(MMI_SERVICE, [s('nobody')], hasWorkers), '404');
    assert.equal(answerMmi(MMI_SERVICE, [], hasWorkers), '404');
  });

  test('mmi.service asks about exactly the name in the first body frame', () => {
    const asked: string[] = [];
    answerMmi(MMI_SERVICE, [s('echo'), s('ignored')], (name) => {
      asked.push(name);
      return true;
    });
    assert.deepEqual(asked, ['echo']);
  });

  test('any other mmi.* name answers 501 without consulting the worker table', () => {
    let consulted = false;
    const probe = (): boolean => {
      consulted = true;
      return true;
    };
    assert.equal(answerMmi('mmi.foo', [s('echo')], probe), '501');
    assert.equal(answerMmi('mmi.', [s('echo')], probe), '501');
    assert.equal(consulted, false);
  });

  test('isMmiService matches the mmi. prefix only', () => {
    assert.equal(isMmiService('mmi.service'), true);
    assert.equal(isMmiService('mmi.anything'), true);
    assert.equal(isMmiService('mmi'), false);
    assert.equal(isMmiService('echo.mmi.service'), false);
  });
});

describe('codec: printable', () => {
  test('ASCII text is quoted as JSON', () => {
    assert.equal(printable(s('hello')), '"hello"');
    assert.equal(printable(s('say "hi"')), '"say \\"hi\\""');
    assert.equal(printable(E), '""');
  });

  test('binary is rendered as hex', () => {
    assert.equal(printable(Buffer.from([0x00, 0xff, 0x10])), '0x00ff10');
    assert.equal(printable(s('line\n')), '0x6c696e650a');
  });

  test('long frames are cut at max with the full length noted', () => {
    assert.equal(printable(s('a'.repeat(40))), `"${'a'.repeat(32)}"…(40 bytes)`);
    assert.equal(printable(Buffer.alloc(10, 0), 4), '0x00000000…(10 bytes)');
    assert.equal(printable(s('abcd'), 4), '"abcd"');
  });
});

describe('backoffDelay', () => {
  const options = { initial: 100, max: 1000 };

  test('random 0 gives the lower bound d/2, random 1 the upper bound d', () => {
    assert.equal(backoffDelay(0, options, () => 0), 50);
    assert.equal(backoffDelay(0, options, () => 1), 100);
    assert.equal(backoffDelay(1, options, () => 0), 100);
    assert.equal(backoffDelay(1, options, () => 1), 200);
    assert.equal(backoffDelay(3, options, () => 0), 400);
    assert.equal(backoffDelay(3, options, () => 1), 800);
  });

  test('the ceiling is capped at max', () => {
    assert.equal(backoffDelay(4, options, () => 1), 1000); // 1600 capped
    assert.equal(backoffDelay(4, options, () => 0), 500);
    assert.equal(backoffDelay(50, options, () => 1), 1000);
    assert.equal(backoffDelay(10_000, options, () => 0.5), 750);
  });

  test('huge attempt numbers stay finite', () => {
    const delay = backoffDelay(Number.MAX_SAFE_INTEGER, { initial: 1, max: Number.MAX_SAFE_INTEGER });
    assert.ok(Number.isFinite(delay), `delay ${delay} is not finite`);
  });

  test('with the default random source every delay lies in [d/2, d]', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(options.max, options.initial * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt, options);
        assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: delay ${delay} outside [${ceiling / 2}, ${ceiling}]`);
      }
    }
  });
});

describe('KHX/1 extension frames', () => {
  const K = Buffer.from(KHX_CLIENT_PROTOCOL);

  test('a KHX/1 READY carries its extension token as a fifth frame', () => {
    const frames = encodeReady('echo', [KHX_EXTENSION]);
    assert.deepEqual(frames, [E, W, cmd(0x01), s('echo'), s('KHX/1')]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'ready', service: 'echo', extensions: ['KHX/1'] });
  });

  test('job request: header, service, job id, body (binary survives)', () => {
    const frames = encodeJobRequest('echo', 'job-42', [s('a'), BINARY]);
    assert.deepEqual(frames, [E, K, s('echo'), s('job-42'), s('a'), BINARY]);
    assert.deepEqual(decodeAtBroker(frames), { kind: 'job-request', service: 'echo', job: s('job-42'), body: [s('a'), BINARY] });
  });

  test('job request without a job id or without a body is malformed', () => {
    assertMalformed(decodeAtBroker, [E, K, s('echo')], /job request without a job id/);
    assertMalformed(decodeAtBroker, [E, K, s('echo'), s('job-1')], /job request without a body/);
    assertMalformed(decodeAtBroker, [E, K, E, s('job-1'), s('x')], /job request with an empty service name/);
  });

  test('job reply: each status round-trips; 200 needs a body; the status must be three digits', () => {
    const done = encodeJobReply('echo', s('job-1'), KhxStatus.Done, [BINARY]);
    assert.deepEqual(done, [E, K, s('echo'), s('job-1'), s('200'), BINARY]);
    assert.deepEqual(decodeJobReply(done), { service: 'echo', job: 'job-1', status: '200', body: [BINARY] });
    for (const status of [KhxStatus.Accepted, KhxStatus.Expired]) {
      assert.deepEqual(decodeJobReply(encodeJobReply('echo', s('job-1'), status)), { service: 'echo', job: 'job-1', status, body: [] });
    }
    assertMalformed(decodeJobReply, [E, K, s('echo'), s('job-1'), s('200')], /job reply 200 without a body/);
    assertMalformed(decodeJobReply, [E, K, s('echo'), s('job-1'), s('OK')], /expected a 3-digit code/);
    assertMalformed(decodeJobReply, [E, K, s('echo'), s('job-1')], /job reply has 4 frames/);
    assertMalformed(decodeJobReply, encodeClientReply('echo', [s('x')]), /not a KHXC01 message/);
  });

  test('RECORDED: zero job ids (the welcome) or several; only a broker sends it', () => {
    assert.deepEqual(decodeAtWorker(encodeRecorded([])), { kind: 'recorded', jobs: [] });
    assert.deepEqual(decodeAtWorker(encodeRecorded([s('a'), s('b')])), { kind: 'recorded', jobs: [s('a'), s('b')] });
    assert.equal(commandName(0x06), 'RECORDED');
    assertMalformed(decodeAtBroker, [E, W, cmd(0x06), s('a')], /unknown worker command RECORDED/);
  });

  test('job ids: 1 to 255 printable ASCII bytes', () => {
    assert.equal(jobIdProblem(s('0192f5c8-7d3a-7b1e-9c4f-1a2b3c4d5e6f')), undefined);
    assert.equal(jobIdProblem(s('client-1:main:7')), undefined);
    assert.match(jobIdProblem(E) ?? '', /empty job id/);
    assert.match(jobIdProblem(Buffer.alloc(MAX_JOB_ID_BYTES + 1, 0x61)) ?? '', /256 bytes, at most 255/);
    assert.equal(jobIdProblem(Buffer.alloc(MAX_JOB_ID_BYTES, 0x61)), undefined);
    assert.match(jobIdProblem(Buffer.from([0x61, 0x00])) ?? '', /non-printable byte 0x00/);
    assert.match(jobIdProblem(s('é')) ?? '', /non-printable byte 0xc3/);
  });

  test('8/MMI mmi.khx answers 200 (a plain broker with 8/MMI answers 501)', () => {
    assert.equal(answerMmi(KHX_MMI_SERVICE, [s('KHX/1')], () => false), '200');
    assert.equal(answerMmi('mmi.other', [], () => true), '501');
  });
});

describe('KHT/1 frames', () => {
  test('a timed job request decodes with its deadline; a bad deadline is malformed', () => {
    assert.deepEqual(decodeAtBroker(encodeTimedJobRequest('echo', 'j-1', 1_765_000_000_123, [Buffer.from('x')])), {
      kind: 'timed-job-request', service: 'echo', job: Buffer.from('j-1'), deadline: 1_765_000_000_123, body: [Buffer.from('x')],
    });
    const frames = encodeTimedJobRequest('echo', 'j-1', 5, [Buffer.from('x')]);
    frames[4] = Buffer.from('-5');
    assert.throws(() => decodeAtBroker(frames), MdpDecodeError);
    assert.throws(() => decodeAtBroker(encodeTimedJobRequest('echo', 'j-1', 5, [])), /without a body/);
  });

  test('TIMED-REQUEST reaches a worker as a request with its deadline; LATE reaches the broker', () => {
    assert.deepEqual(decodeAtWorker(encodeTimedRequest(Buffer.from('j-1'), 42, [Buffer.from('a'), Buffer.from('b')])), {
      kind: 'request', client: Buffer.from('j-1'), body: [Buffer.from('a'), Buffer.from('b')], deadline: 42,
    });
    assert.deepEqual(decodeAtBroker(encodeLate(Buffer.from('j-1'))), { kind: 'late', client: Buffer.from('j-1') });
  });
});
