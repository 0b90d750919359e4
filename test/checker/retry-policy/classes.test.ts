import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BEST_EFFORT_SEND_MS, checkRetryPolicy, formatRetryPolicyResult, TOLERANCE_MS } from '../../../harness/checker/retry-policy';
import { judgeRetryPolicy } from '../../../harness/checker/profile';
import type { HistoryEvent } from '../../../harness/history/event';
import { faultEnd, faultStart } from '../fixture';
import { attempt, attemptFail, call, dropped, failed, harness, infoed, ok, policy, sent, started } from './fixture';

const STEP = policy('step', 'give-up', {}, 800);
const LOG = policy('log', 'best-effort');

function named(events: readonly HistoryEvent[], name: string): string[] {
  return checkRetryPolicy(events)
    .anomalies.filter((anomaly) => anomaly.name === name)
    .map((anomaly) => anomaly.detail);
}

function verdict(events: readonly HistoryEvent[]): string {
  return judgeRetryPolicy(checkRetryPolicy(events), 'retry-policy').verdict;
}

describe('retry-policy: give-up-late', () => {
  test('a give-up call that ends within F + tolerance passes; later, or never, is flagged', () => {
    const inTime = [STEP, call(100, 'j-1', 'step'), attempt(101, 'j-1', 1), attemptFail(700, 'j-1', 1), failed(100 + 800 + TOLERANCE_MS, 'j-1')];
    assert.deepEqual(named(inTime, 'give-up-late'), []);
    assert.equal(verdict(inTime), 'PASS');
    const late = [...inTime.slice(0, -1), infoed(100 + 800 + TOLERANCE_MS + 1, 'j-1')];
    assert.match(named(late, 'give-up-late')[0], /^call j-1 of client-1 \(service step\), started at 100 ms, ended \(info\) only at 926 ms, 826 ms after it started: step=give-up:800 ends every call within 800 ms, plus a tolerance of 25 ms/);
    const never = inTime.slice(0, -1);
    assert.match(named(never, 'give-up-late')[0], /never ended \(no ok, fail or info\)/);
  });

  test('a loaded machine is excused by the harness lag measured while the call ran', () => {
    const late = [STEP, call(100, 'j-1', 'step'), attempt(101, 'j-1', 1), harness(600, 80), infoed(980, 'j-1')];
    assert.deepEqual(named(late, 'give-up-late'), []);
  });
});

describe('retry-policy: ran-after-give-up', () => {
  test('an execution that starts after the client was told fail is flagged; one within the tolerance (another pipe) is not', () => {
    const base = [STEP, call(0, 'j-1', 'step'), attempt(1, 'j-1', 1), attemptFail(300, 'j-1', 1), failed(301, 'j-1')];
    assert.deepEqual(named([...base, started(301 + TOLERANCE_MS, 'j-1')], 'ran-after-give-up'), []);
    const [detail] = named([...base, started(400, 'j-1', 'worker-2')], 'ran-after-give-up');
    assert.match(detail, /^call j-1 of client-1 \(service step\) was given up \(fail: gave up: server lost\) at 301 ms, then worker-2 started it at 400 ms, 99 ms later/);
    assert.equal(verdict([...base, started(400, 'j-1', 'worker-2')]), 'FAIL');
  });

  test('a retry-class job re-run after an info is not judged by it (retry jobs are answered after the server returns)', () => {
    const events = [policy('echo', 'retry'), call(0, 'j-1'), attempt(1, 'j-1', 1), attemptFail(300, 'j-1', 1), infoed(301, 'j-1'), started(900, 'j-1')];
    assert.deepEqual(named(events, 'ran-after-give-up'), []);
  });
});

describe('retry-policy: best-effort', () => {
  test(`a send that returned within ${BEST_EFFORT_SEND_MS} ms passes; later, never, or measured slow by the client is best-effort-blocked`, () => {
    const quick = [LOG, call(10, 'j-1', 'log'), attempt(10.1, 'j-1', 1), sent(10 + BEST_EFFORT_SEND_MS + TOLERANCE_MS, 'j-1', 1)];
    assert.deepEqual(named(quick, 'best-effort-blocked'), []);
    const slow = [LOG, call(10, 'j-1', 'log'), attempt(10.1, 'j-1', 1), sent(400, 'j-1', 1)];
    assert.match(named(slow, 'best-effort-blocked')[0], /its sent came at 400 ms, 390 ms after the call started, beyond 250 ms plus a tolerance of 25 ms/);
    assert.deepEqual(named([LOG, call(10, 'j-1', 'log'), sent(11, 'j-1', 270)], 'best-effort-blocked'), [], 'a client-measured send within the bound and its tolerance');
    assert.match(named([LOG, call(10, 'j-1', 'log'), sent(11, 'j-1', 300)], 'best-effort-blocked')[0], /the client measured the send at 300 ms, more than 250 ms plus a tolerance of 25 ms/);
    assert.match(named([LOG, call(10, 'j-1', 'log')], 'best-effort-blocked')[0], /its send never returned \(no sent or dropped\)/);
  });

  test('a drop is allowed and counted (dropped, lost), never an anomaly; an ok for a best-effort call is', () => {
    const events = [LOG, call(10, 'j-1', 'log'), dropped(10.5, 'j-1'), call(20, 'j-2', 'log'), sent(20.5, 'j-2'), started(21, 'j-2'), { type: 'exec-end', t: 22, worker: 'worker-1', job: 'j-2' } as HistoryEvent];
    const result = checkRetryPolicy(events);
    assert.deepEqual(result.anomalies, []);
    assert.deepEqual(result.stats.bestEffort, { sent: 1, dropped: 1, lost: 1 });
    const [detail] = named([...events, ok(23, 'j-2')], 'best-effort-reported-success');
    assert.match(detail, /^call j-2 of client-1 \(service log\) was reported a success \(ok\) at 23 ms: log=best-effort is fire-and-forget/);
  });
});

describe('retry-policy: retry-amplification', () => {
  const calls = (declared: HistoryEvent): HistoryEvent[] => [
    declared,
    faultStart(100, 'k1', 'kill', ['broker']),
    call(110, 'j-1'),
    ...[1, 2, 3].flatMap((n) => [attempt(110 + n * 50, 'j-1', n), attemptFail(130 + n * 50, 'j-1', n)]),
    faultEnd(400, 'k1', 'kill', ['broker']),
    call(500, 'j-2'),
    attempt(501, 'j-2', 1),
    ok(502, 'j-2'),
  ];

  test('always measured: attempts per call overall and for calls made during faults', () => {
    const result = checkRetryPolicy(calls(policy('echo', 'retry', { jitter: 'none', initial: 30, cap: 30 })));
    assert.deepEqual(result.stats.amplification.overall, { calls: 2, attempts: 4, ratio: 2 });
    assert.deepEqual(result.stats.amplification.duringFaults, { calls: 1, attempts: 3, ratio: 3 });
    assert.deepEqual(named(calls(policy('echo', 'retry', { jitter: 'none', initial: 30, cap: 30 })), 'retry-amplification'), []);
    assert.match(formatRetryPolicyResult(result), /amplification \(attempts per call\): 2\.00 \(4\/2\) overall, 3\.00 \(3\/1\) for calls made during faults/);
  });

  test('an anomaly only against a declared maxAmplification: 2 allows the run (2.00) but not the calls during the fault (3.00)', () => {
    const found = named(calls(policy('echo', 'retry', { jitter: 'none', initial: 30, cap: 30, maxAmplification: 2 })), 'retry-amplification');
    assert.deepEqual(found, ['service echo amplified its load over the calls invoked while a fault was in force: 3 attempts for 1 calls (3.00 per call), more than its declared maxAmplification 2']);
    assert.deepEqual(named(calls(policy('echo', 'retry', { jitter: 'none', initial: 30, cap: 30, maxAmplification: 3 })), 'retry-amplification'), []);
  });
});

describe('retry-policy: guards', () => {
  test('no service-policy at all: INCONCLUSIVE, nobody accused', () => {
    const events = [call(0, 'j-1'), attempt(1, 'j-1', 1), ok(2, 'j-1')];
    assert.deepEqual(checkRetryPolicy(events).anomalies.map((a) => a.name), ['no-service-policy']);
    assert.equal(verdict(events), 'INCONCLUSIVE');
  });

  test('declared services called, but no attempt, sent or dropped reported: INCONCLUSIVE', () => {
    const events = [policy('echo', 'retry'), call(0, 'j-1'), ok(2, 'j-1')];
    assert.deepEqual(checkRetryPolicy(events).anomalies.map((a) => a.name), ['no-attempt-reported']);
    assert.equal(verdict(events), 'INCONCLUSIVE');
    assert.equal(verdict([...events, attempt(1, 'j-1', 1)]), 'PASS');
  });

  test('a content anomaly makes it FAIL even beside a guard; a missed bound alone is boundMissed', () => {
    const events = [STEP, LOG, call(0, 'j-1', 'step'), attempt(1, 'j-1', 1), attempt(2, 'j-1', 2), failed(3, 'j-1'), call(10, 'j-2', 'log'), sent(500, 'j-2')];
    const result = checkRetryPolicy(events);
    assert.deepEqual(result.anomalies.map((a) => a.name).sort(), ['best-effort-blocked', 'too-many-attempts']);
    assert.equal(result.anomalies.find((a) => a.name === 'best-effort-blocked')?.boundMissed, true);
    assert.equal(result.anomalies.find((a) => a.name === 'too-many-attempts')?.boundMissed, undefined);
    assert.equal(verdict(events), 'FAIL');
  });
});
