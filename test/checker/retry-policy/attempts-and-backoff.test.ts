import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetryPolicy, TOLERANCE_MS } from '../../../harness/checker/retry-policy';
import type { HistoryEvent } from '../../../harness/history/event';
import { attempt, attemptFail, call, failed, harness, ok, policy, started } from './fixture';

function findings(events: readonly HistoryEvent[], name: string): string[] {
  return checkRetryPolicy(events)
    .anomalies.filter((anomaly) => anomaly.name === name)
    .map((anomaly) => anomaly.detail);
}

/** A retry call (attempts=4, initial 100, multiplier 2, cap 1000, jitter full) whose attempt 1 failed at 300 ms and attempt 2 went out `gap` ms later. */
function oneRetry(gap: number, jitter: 'full' | 'equal' | 'none' = 'full', extra: HistoryEvent[] = []): HistoryEvent[] {
  return [policy('echo', 'retry', { jitter }), call(10, 'j-1'), attempt(11, 'j-1', 1), attemptFail(300, 'j-1', 1), attempt(300 + gap, 'j-1', 2), ok(320 + gap, 'j-1'), ...extra].sort((a, b) => a.t - b.t);
}

describe('retry-policy: too-many-attempts', () => {
  test('a retry call within its attempts passes; one attempt more is flagged, naming the call, the client and the rule', () => {
    const within = [policy('echo', 'retry'), call(0, 'j-1'), ...[1, 2, 3, 4].flatMap((n) => [attempt(n * 100, 'j-1', n), attemptFail(n * 100 + 50, 'j-1', n)])];
    assert.deepEqual(findings(within, 'too-many-attempts'), []);
    const over = [...within, attempt(600, 'j-1', 5)];
    const [detail] = findings(over, 'too-many-attempts');
    assert.match(detail, /call j-1 of client-1 \(service echo\) made more attempts than its class allows: 5 attempts reported/);
    assert.match(detail, /echo=retry \(attempts=4,initial=100,multiplier=2,cap=1000,jitter=full\) allows 4/);
  });

  test('a give-up call retried by its client is flagged; one attempt is fine', () => {
    const once = [policy('step', 'give-up', {}, 800), call(0, 'j-1', 'step'), attempt(1, 'j-1', 1), attemptFail(200, 'j-1', 1), failed(201, 'j-1')];
    assert.deepEqual(findings(once, 'too-many-attempts'), []);
    const retried = [...once.slice(0, 4), attempt(300, 'j-1', 2)];
    assert.match(findings(retried, 'too-many-attempts')[0], /step=give-up:800 allows 1/);
  });

  test('a give-up job run twice is flagged from the executions alone, whatever the client reported', () => {
    const events = [policy('step', 'give-up', {}, 800), call(0, 'j-1', 'step'), attempt(1, 'j-1', 1), started(2, 'j-1', 'worker-1'), started(400, 'j-1', 'worker-2'), ok(401, 'j-1')];
    assert.match(findings(events, 'too-many-attempts')[0], /2 executions started \(worker-1 at 2 ms, worker-2 at 400 ms\)/);
  });

  test('a retry job run twice (a worker fault re-dispatched it) is no extra attempt of the client', () => {
    const events = [policy('echo', 'retry'), call(0, 'j-1'), attempt(1, 'j-1', 1), started(2, 'j-1', 'worker-1'), started(400, 'j-1', 'worker-2'), ok(401, 'j-1')];
    assert.deepEqual(findings(events, 'too-many-attempts'), []);
  });

  test('a call of a service nobody declared is not judged', () => {
    const events = [policy('echo', 'retry', { attempts: 1 }), call(0, 'j-1', 'other'), attempt(1, 'j-1', 1), attempt(2, 'j-1', 2)];
    assert.deepEqual(findings(events, 'too-many-attempts'), []);
  });
});

describe('retry-policy: backoff-over-cap', () => {
  test('a gap at c_1 + the tolerance passes; just beyond it is flagged with the ceiling, the tolerance and why', () => {
    assert.deepEqual(findings(oneRetry(100 + TOLERANCE_MS), 'backoff-over-cap'), []);
    const [detail] = findings(oneRetry(100 + TOLERANCE_MS + 1), 'backoff-over-cap');
    assert.match(detail, /call j-1 of client-1 \(service echo\) waited too long before retry 1: attempt-fail 1 \(timeout\) at 300 ms, attempt 2 at 426 ms: a gap of 126 ms, more than c_1 = 100 ms \(jitter full: a delay uniform in \[0, 100 ms\]\) plus a tolerance of 25 ms/);
  });

  test('the ceiling grows by the multiplier and stops at the cap', () => {
    const events: HistoryEvent[] = [policy('echo', 'retry', { attempts: 6, initial: 100, multiplier: 3, cap: 500 }), call(0, 'j-1'), attempt(0, 'j-1', 1)];
    let t = 0;
    // c_1..c_4 = 100, 300, 500 (capped), 500: each gap at its ceiling + 20 ms passes.
    for (const [n, ceiling] of [[1, 100], [2, 300], [3, 500], [4, 500]]) {
      events.push(attemptFail((t += 10), 'j-1', n), attempt((t += ceiling + 20), 'j-1', n + 1));
    }
    assert.deepEqual(findings(events, 'backoff-over-cap'), []);
    events.push(attemptFail((t += 10), 'j-1', 5), attempt((t += 900), 'j-1', 6));
    assert.match(findings(events, 'backoff-over-cap')[0], /before retry 5: .* more than c_5 = 500 ms/);
  });

  test('a loaded machine is excused: the harness\'s measured lag around the retry widens the tolerance, and the detail says so', () => {
    // Twice the harness's lag (LAG_FACTOR): the clients are other processes, stalled on their own.
    assert.deepEqual(findings(oneRetry(200, 'full', [harness(500, 40)]), 'backoff-over-cap'), []);
    assert.match(findings(oneRetry(210, 'full', [harness(500, 40)]), 'backoff-over-cap')[0], /a tolerance of 25 ms \(a client's timer and the harness's pipe reads\) \+ 80 ms \(2 × the harness's event-loop lag measured then\)/);
    // A stall far from the retry excuses nothing.
    assert.equal(findings(oneRetry(160, 'full', [harness(5000, 400)]), 'backoff-over-cap').length, 1);
  });

  test('it is a missed bound: INCONCLUSIVE, not FAIL, on a starved harness (boundMissed)', () => {
    const [anomaly] = checkRetryPolicy(oneRetry(300)).anomalies.filter((a) => a.name === 'backoff-over-cap');
    assert.equal(anomaly.boundMissed, true);
  });
});

describe('retry-policy: backoff-too-short', () => {
  test('equal jitter: a gap of c_1/2 passes, one under it is flagged; full jitter has no floor', () => {
    assert.deepEqual(findings(oneRetry(50, 'equal'), 'backoff-too-short'), []);
    assert.match(findings(oneRetry(45, 'equal'), 'backoff-too-short')[0], /retried too soon: attempt-fail 1 \(timeout\) at 300 ms, attempt 2 at 345 ms: a gap of 45 ms, shorter than the 50 ms that jitter equal: a delay uniform in \[50 ms, 100 ms\] allows at least \(a timer never fires early/);
    assert.deepEqual(findings(oneRetry(0.5, 'full'), 'backoff-too-short'), []);
  });

  test('jitter none: the retry waits c_k; an immediate retry is flagged however few retries there were', () => {
    assert.deepEqual(findings(oneRetry(100, 'none'), 'backoff-too-short'), []);
    assert.equal(findings(oneRetry(2, 'none'), 'backoff-too-short').length, 1);
  });

  test('only the harness lag excuses an early gap (a stall can stamp the attempt-fail late)', () => {
    assert.deepEqual(findings(oneRetry(45, 'equal', [harness(500, 6)]), 'backoff-too-short'), []);
    assert.equal(findings(oneRetry(43, 'equal', [harness(500, 6)]), 'backoff-too-short').length, 1);
  });
});
