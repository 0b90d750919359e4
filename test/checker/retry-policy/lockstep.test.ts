import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetryPolicy, LOCKSTEP_ALPHA } from '../../../harness/checker/retry-policy';
import { tailAtLeast } from '../../../harness/checker/retry-policy/lockstep';
import type { HistoryEvent, RetryJitter } from '../../../harness/history/event';
import { seededRandom } from '../../../harness/util/random';
import { attempt, attemptFail, call, harness, ok, policy } from './fixture';

const CLIENTS = ['client-1', 'client-2', 'client-3', 'client-4'];

/**
 * `cohorts` broker restarts 5 s apart: each fails the in-flight first attempts of 4 clients within
 * 2 ms; the first `bunched` cohorts retry together (c_1 = 1000 ms, 500 ms later, within 1 ms of each
 * other), the rest at delays drawn from the declared jitter.
 */
function restarts(cohorts: number, bunched: number, jitter: RetryJitter = 'full', extra: HistoryEvent[] = []): HistoryEvent[] {
  const random = seededRandom(`lockstep:${cohorts}:${bunched}`);
  const events: HistoryEvent[] = [policy('echo', 'retry', { initial: 1000, cap: 1000, jitter }), ...extra];
  for (let i = 0; i < cohorts; i++) {
    const at = 1000 + i * 5000;
    CLIENTS.forEach((process, c) => {
      const job = `${process}:${i}`;
      const failedAt = at + c * 0.5;
      const delay = i < bunched ? 500 - c * 0.5 + random() : jitter === 'full' ? random() * 1000 : 500 + random() * 500;
      events.push(call(at - 50, job, 'echo', process), attempt(at - 49, job, 1, process), attemptFail(failedAt, job, 1, process, 'unreachable'), attempt(failedAt + delay, job, 2, process), ok(failedAt + delay + 3, job, process));
    });
  }
  return events.sort((a, b) => a.t - b.t);
}

function lockstep(events: readonly HistoryEvent[]): string[] {
  return checkRetryPolicy(events)
    .anomalies.filter((anomaly) => anomaly.name === 'lockstep')
    .map((anomaly) => anomaly.detail);
}

describe('retry-policy: lockstep', () => {
  test('clients failed together and retrying together after every restart are flagged, with the chance of it under the declared jitter', () => {
    const [detail] = lockstep(restarts(6, 6));
    assert.match(detail, /^retries of different clients moved in lockstep: 6 of 6 cohorts \(attempt-fails of >= 3 clients within 5 ms\) had two thirds of their clients send their next attempts within 5 ms of each other again; under the declared jitter full that many stay bunched by chance with probability <= /);
    assert.match(detail, /e\.g\. .*client-1 \(call client-1:0\) attempt-fail 1 at 1000 ms, attempt 2 at 1500\.3 ms/);
  });

  test('the same restarts with the declared jitter drawn pass (full and equal)', () => {
    assert.deepEqual(lockstep(restarts(6, 0, 'full')), []);
    assert.deepEqual(lockstep(restarts(6, 0, 'equal')), []);
  });

  test('near misses: half the cohorts bunched, or fewer than 5 cohorts, are not flagged', () => {
    assert.deepEqual(lockstep(restarts(6, 3)), []);
    assert.equal(lockstep(restarts(6, 4)).length, 1);
    assert.deepEqual(lockstep(restarts(4, 4)), []);
    assert.equal(lockstep(restarts(5, 5)).length, 1);
  });

  test('a stalled harness excuses it: its lag widens the window the chance is reckoned over', () => {
    const stalls = Array.from({ length: 30 }, (_, i) => harness((i + 1) * 1000, 400));
    assert.deepEqual(lockstep(restarts(6, 6, 'full', stalls)), []);
  });

  test('jitter none is not judged: lockstep is what it declares', () => {
    assert.deepEqual(lockstep(restarts(6, 6, 'none')), []);
  });

  test(`the tail of the bunched count is a Poisson binomial tail (so the false-alarm probability is at most ${LOCKSTEP_ALPHA} when flagged)`, () => {
    assert.ok(Math.abs(tailAtLeast([0.5, 0.5], 1) - 0.75) < 1e-12);
    assert.ok(Math.abs(tailAtLeast([0.1, 0.2, 0.3], 3) - 0.006) < 1e-12);
    assert.equal(tailAtLeast([0.1], 0), 1);
  });
});
