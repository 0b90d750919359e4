import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAtBroker, encodeClientRequest, encodeDisconnect, encodeHeartbeat, encodeJobRequest, encodeReady, encodeReply, type Frame } from '../../reference/mdp/codec';
import type { HeardMessage } from '../../harness/probe/stand-in-broker';
import { malformedProblems, oneConnectionProblems, quietAfterDisconnectProblems, readyProblems, reconnectProblems, redundantHeartbeatProblems, silentBrokerProblems, stayedProblems } from '../../harness/probe/worker-conformance';
import { mmiKhxFirstProblems, oneRequestAtATimeProblems, plainRequestProblems } from '../../harness/probe/client-conformance';

/** The worker and client checks are pure functions of what a stand-in broker heard: each finds what it names, and nothing in a clean record. */

function heard(at: number, connection: string, frames: Frame[]): HeardMessage {
  try {
    const message = decodeAtBroker(frames);
    const header = message.kind === 'client-request' || message.kind === 'job-request' ? frames[1].toString('latin1') : undefined;
    return { at, connection, frames, message, ...(header !== undefined ? { header } : {}) };
  } catch (error) {
    return { at, connection, frames, message: { kind: 'malformed', reason: (error as Error).message } };
  }
}

const ready = (at: number, connection = 'c1') => heard(at, connection, encodeReady('echo'));
const beat = (at: number, connection = 'c1') => heard(at, connection, encodeHeartbeat());
const reply = (at: number, connection = 'c1', address = 'job-1') => heard(at, connection, encodeReply(Buffer.from(address), [Buffer.from(address)]));

describe('worker checks', () => {
  test('a clean session: one READY, heartbeats, replies, one connection', () => {
    const record = [ready(0), beat(50), reply(60), beat(100)];
    assert.deepEqual([...readyProblems(record), ...malformedProblems(record), ...oneConnectionProblems(record)], []);
  });

  test('a second READY on one connection breaks rfc7:no-further-ready; a connection opened otherwise, rfc7:ready-opens', () => {
    assert.match(readyProblems([ready(0), beat(50), ready(100)])[0], /^rfc7:no-further-ready: the worker sent 2 READYs/);
    assert.match(readyProblems([beat(0), ready(10)])[0], /^rfc7:ready-opens: connection c1 opened with HEARTBEAT/);
  });

  test('the harness asking 8/MMI as a client is no worker connection', () => {
    const record = [heard(0, 'mmi', encodeClientRequest('mmi.service', [Buffer.from('echo')])), ready(1)];
    assert.deepEqual([...readyProblems(record), ...oneConnectionProblems(record)], []);
  });

  test('a HEARTBEAT with a fourth frame is malformed (rfc7:heartbeat-frames)', () => {
    assert.match(malformedProblems([ready(0), heard(50, 'c1', [...encodeHeartbeat(), Buffer.from('x')])])[0], /^rfc7:heartbeat-frames: /);
  });

  test('an older connection speaking after a newer one breaks rfc7:worker-one-dealer', () => {
    assert.match(oneConnectionProblems([ready(0, 'a'), ready(10, 'b'), beat(50, 'a')])[0], /^rfc7:worker-one-dealer: the worker still spoke on connection a \(HEARTBEAT\) after it opened connection b/);
    assert.deepEqual(oneConnectionProblems([ready(0, 'a'), beat(50, 'a'), ready(60, 'b'), beat(100, 'b')]), []);
  });

  test('after DISCONNECT: commands past the settle time break rfc7:worker-quiet-after-disconnect; a new READY connection is the reconnect', () => {
    const record = [ready(0, 'a'), beat(90, 'a'), beat(200, 'a'), ready(120, 'b')];
    assert.match(quietAfterDisconnectProblems(record, 'a', 100, 50)[0], /^rfc7:worker-quiet-after-disconnect: .* 1 command\(s\) .*HEARTBEAT; the first 100 ms after it/);
    assert.deepEqual(reconnectProblems(record, 'a', 100, 300), []);
    assert.match(reconnectProblems([ready(0, 'a'), beat(200, 'a')], 'a', 100, 300)[0], /^rfc7:worker-reconnect-on-disconnect: within 300 ms .* no new connection/);
    assert.match(reconnectProblems([ready(0, 'a'), ready(500, 'b')], 'a', 100, 300)[0], /reconnected 400 ms after/);
    assert.match(reconnectProblems([ready(0, 'a'), beat(150, 'b')], 'a', 100, 300)[0], /new connection opened with HEARTBEAT, not READY/);
  });

  test('a worker that keeps heartbeating on a silent broker, or registers again late, breaks rfc7:worker-liveness', () => {
    assert.deepEqual(silentBrokerProblems([ready(0, 'a'), beat(150, 'a'), ready(320, 'b')], 'a', 100, 300), []);
    assert.match(silentBrokerProblems([ready(0, 'a'), beat(150, 'a'), beat(200, 'a')], 'a', 100, 300)[0], /^\[rfc7:worker-liveness\] the broker fell silent on connection a and the worker never registered again: 300 ms later .* \(2 command\(s\): HEARTBEAT, the last 100 ms into the silence\)/);
    assert.match(silentBrokerProblems([ready(0, 'a'), ready(600, 'b')], 'a', 100, 300)[0], /registered again 500 ms after its broker fell silent, later than 300 ms/);
    assert.match(silentBrokerProblems([ready(0, 'a'), beat(250, 'b')], 'a', 100, 300)[0], /new connection b opened with HEARTBEAT, not READY/);
  });

  test('a new READY in a stretch of REQUESTs breaks rfc7:any-command-is-heartbeat; a HEARTBEAT among REPLYs, rfc7:no-redundant-heartbeats', () => {
    const record = [ready(0, 'a'), reply(110, 'a'), beat(120, 'a'), reply(130, 'a'), ready(400, 'b')];
    assert.deepEqual(stayedProblems(record, 'a', 100, 300), []);
    assert.match(stayedProblems(record, 'a', 100, 500)[0], /^rfc7:any-command-is-heartbeat: 300 ms into .* opened a new connection/);
    // A timer's heartbeat every 50 ms among the replies; one in three intervals is let pass.
    const timer = [ready(0, 'a'), ...[1, 2, 3, 4, 5, 6].flatMap((n) => [reply(100 + 50 * n - 5, 'a'), beat(100 + 50 * n, 'a')])];
    assert.match(redundantHeartbeatProblems(timer, 'a', 100, 400, 50)[0], /^rfc7:no-redundant-heartbeats: the worker sent 6 HEARTBEATs in 300 ms \(2 let pass\) while it also sent 6 REPLYs/);
    assert.deepEqual(redundantHeartbeatProblems(record, 'a', 100, 300, 50), []);
  });
});

describe('client checks', () => {
  const mmi = (at: number, service: string, connection = 'm') => heard(at, connection, encodeClientRequest(service, [Buffer.from('echo')]));
  const job = (at: number, connection = 'j') => heard(at, connection, encodeJobRequest('echo', `job-${at}`, [Buffer.from('x')]));
  const plain = (at: number, connection = 'j') => heard(at, connection, encodeClientRequest('echo', [Buffer.from('x')]));

  test('khx1:client-asks-mmi-khx: asked before the first job, or not', () => {
    assert.deepEqual(mmiKhxFirstProblems([mmi(0, 'mmi.khx'), job(10)]), []);
    assert.match(mmiKhxFirstProblems([job(0)])[0], /^khx1:client-asks-mmi-khx: the client never asked 8\/MMI mmi\.khx; its first job went out as KHXC01/);
    assert.match(mmiKhxFirstProblems([job(0), mmi(10, 'mmi.khx')])[0], /asked mmi\.khx 10 ms after its first job/);
    assert.match(mmiKhxFirstProblems([mmi(0, 'mmi.khx')])[0], /sent no job at all/);
  });

  test('khx1:plain-broker-fallback: jobs as MDPC01 pass, KHXC01 fails', () => {
    assert.deepEqual(plainRequestProblems([mmi(0, 'mmi.khx'), plain(10)]), []);
    assert.match(plainRequestProblems([mmi(0, 'mmi.khx'), job(10)])[0], /^khx1:plain-broker-fallback: 1 of the client's 1 jobs went out as KHXC01/);
  });

  test('rfc7:client-req-socket: a second request before the answer on the same connection is pipelining', () => {
    assert.deepEqual(oneRequestAtATimeProblems([plain(0, 'a'), plain(30, 'a'), plain(5, 'b')], [{ at: 20, connection: 'a' }, { at: 40, connection: 'a' }, { at: 25, connection: 'b' }]), []);
    assert.match(oneRequestAtATimeProblems([plain(0, 'a'), plain(5, 'a')], [{ at: 20, connection: 'a' }, { at: 25, connection: 'a' }])[0], /^rfc7:client-req-socket: on 1 connection\(s\) the client sent 1 request\(s\) while an earlier one/);
  });
});

test('a DISCONNECT the worker sends decodes at the stand-in broker as one', () => {
  assert.equal(heard(0, 'a', encodeDisconnect()).message.kind, 'disconnect');
});
