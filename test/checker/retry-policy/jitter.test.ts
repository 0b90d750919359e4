import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetryPolicy, JITTER_ALPHA, MIN_RETRIES } from '../../../harness/checker/retry-policy';
import { ksBracketed, ksPValue, uniformCdf } from '../../../harness/checker/retry-policy/kolmogorov-smirnov';
import { judgeRetryPolicy } from '../../../harness/checker/profile';
import type { HistoryEvent, RetryJitter } from '../../../harness/history/event';
import { seededRandom } from '../../../harness/util/random';
import { attempt, attemptFail, call, ok, policy } from './fixture';

/**
 * `calls` calls of echo (initial 100, multiplier 2, cap 1000), each retried `retries` times, the
 * delay before retry k given by `delay(k, c_k)`; calls 3 s apart on 5 clients, so nothing bunches.
 */
function retried(jitter: RetryJitter, calls: number, retries: number, delay: (k: number, ceiling: number) => number): HistoryEvent[] {
  const events: HistoryEvent[] = [policy('echo', 'retry', { attempts: retries + 1, jitter })];
  for (let i = 0; i < calls; i++) {
    const job = `j-${i}`;
    const process = `client-${i % 5}`;
    let t = i * 3000;
    events.push(call(t, job, 'echo', process), attempt(t + 0.1, job, 1, process));
    for (let k = 1; k <= retries; k++) {
      t += 200;
      events.push(attemptFail(t, job, k, process));
      t += delay(k, Math.min(1000, 100 * 2 ** (k - 1)));
      events.push(attempt(t, job, k + 1, process));
    }
    events.push(ok(t + 5, job, process));
  }
  return events;
}

function jitterFindings(events: readonly HistoryEvent[]): string[] {
  return checkRetryPolicy(events)
    .anomalies.filter((anomaly) => anomaly.name === 'jitter-missing' || anomaly.name === 'too-few-retries')
    .map((anomaly) => `${anomaly.name}: ${anomaly.detail}`);
}

describe('retry-policy: jitter-missing', () => {
  test('full jitter drawn as declared (and late by up to 20 ms) passes; a fixed backoff at c_k declared full is flagged', () => {
    const random = seededRandom(7);
    assert.deepEqual(jitterFindings(retried('full', 60, 2, (_k, c) => random() * c + random() * 20)), []);
    const [detail, ...rest] = jitterFindings(retried('full', 60, 2, (_k, c) => c));
    assert.match(detail, /^jitter-missing: the 120 retries of service echo \(pooled over k\) are not spread as jitter full says \(gap \/ c_k uniform in \[0, 1\]\): KS D = 0\.7\d\d/);
    assert.match(detail, /median gap 1\.00 c_k, 120 of 120 at 0\.95 c_k or more; e\.g\. call j-0 of client-0 \(service echo\): attempt-fail 1 \(timeout\) at 200 ms, attempt 2 at 300 ms: a gap of 100 ms, c_1 = 100 ms/);
    assert.equal(rest.length, 2, 'each per-k test (k = 1 and 2, 60 retries each) rejects too');
  });

  test('equal jitter as declared passes; full jitter where equal is declared is flagged', () => {
    const random = seededRandom(8);
    assert.deepEqual(jitterFindings(retried('equal', 60, 2, (_k, c) => c / 2 + (random() * c) / 2 + random() * 5)), []);
    assert.ok(jitterFindings(retried('equal', 60, 2, (_k, c) => random() * c)).some((line) => line.startsWith('jitter-missing: the 120 retries of service echo (pooled')));
  });

  test('jitter that stops after some attempts (aws-sdk-go-v2#3091) is flagged by the test of that k', () => {
    const random = seededRandom(9);
    const found = jitterFindings(retried('full', 40, 3, (k, c) => (k < 3 ? random() * c : c)));
    assert.ok(found.some((line) => line.startsWith('jitter-missing: the 40 retries number 3 of service echo')), found.join('\n'));
    assert.ok(!found.some((line) => /retries number [12] /.test(line)), found.join('\n'));
  });

  test(`fewer than ${MIN_RETRIES} retries: not judged, too-few-retries instead (INCONCLUSIVE, never FAIL)`, () => {
    const events = retried('full', MIN_RETRIES - 1, 1, (_k, c) => c);
    const found = jitterFindings(events);
    assert.deepEqual(found, [`too-few-retries: service echo declares jitter full, but its calls were retried only ${MIN_RETRIES - 1} time(s), fewer than the ${MIN_RETRIES} its spread is judged over: the jitter was not judged`]);
    assert.equal(judgeRetryPolicy(checkRetryPolicy(events), 'retry-policy').verdict, 'INCONCLUSIVE');
    // At the threshold it is judged: pooled, and k = 1 (all 100 retries), each rejecting.
    assert.deepEqual(
      jitterFindings(retried('full', MIN_RETRIES, 1, (_k, c) => c)).map((line) => line.slice(0, 60)),
      ['jitter-missing: the 100 retries of service echo (pooled over', 'jitter-missing: the 100 retries number 1 of service echo are'],
    );
  });

  test('jitter none declared: a fixed backoff is what was declared, not judged', () => {
    assert.deepEqual(jitterFindings(retried('none', 120, 1, (_k, c) => c + 1)), []);
  });

  test('gaps late by up to the tolerance are never taken for missing jitter (the allowance); equal jitter pushed later than that is', () => {
    const random = seededRandom(10);
    // Every delay drawn as declared, then 24 ms late: within the 25 ms tolerance.
    assert.deepEqual(jitterFindings(retried('equal', 150, 1, (_k, c) => c / 2 + (random() * c) / 2 + 24)), []);
    const late = jitterFindings(retried('equal', 150, 1, (_k, c) => c / 2 + (random() * c) / 2 + 60));
    assert.equal(late.length, 2, late.join('\n'));
  });
});

describe('retry-policy: the KS test', () => {
  test(`its false-alarm rate on exact uniform samples is about α (2,000 samples of 100 at α = 0.01 and ${JITTER_ALPHA})`, () => {
    const random = seededRandom('ks-calibration');
    const cdf = uniformCdf(0, 1);
    let at01 = 0;
    let atAlpha = 0;
    for (let i = 0; i < 2000; i++) {
      const sample = Array.from({ length: 100 }, () => {
        const x = random();
        return { low: x, high: x };
      });
      const { p } = ksBracketed(sample, cdf);
      if (p < 0.01) at01++;
      if (p < JITTER_ALPHA) atAlpha++;
    }
    // Binomial(2000, 0.01): mean 20, and 6..38 holds 99.99% of it.
    assert.ok(at01 >= 6 && at01 <= 38, `${at01} rejections at α = 0.01`);
    assert.ok(atAlpha <= 8, `${atAlpha} rejections at α = ${JITTER_ALPHA}`);
  });

  test('the p-value of known statistics (Kolmogorov distribution, Stephens\' correction)', () => {
    // The asymptotic 5% point is 1.358 / sqrt(n); for n = 100 the corrected one is 1.358 / (10 + 0.12 + 0.011).
    assert.ok(Math.abs(ksPValue(1.358 / 10.131, 100) - 0.05) < 0.002);
    assert.ok(Math.abs(ksPValue(1.628 / 10.131, 100) - 0.01) < 0.001);
    assert.equal(ksPValue(0, 100), 1);
  });
});
