import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetryPolicy } from '../../../harness/checker/retry-policy';
import type { HistoryEvent } from '../../../harness/history/event';
import { attempt, attemptFail, call, ok, policy } from './fixture';

const BUDGETED = policy('echo', 'retry', { attempts: 3, initial: 10, cap: 10, jitter: 'none', budget: { maxTokens: 4, ratio: 0.5 } });

function budget(events: readonly HistoryEvent[]): string[] {
  return checkRetryPolicy(events)
    .anomalies.filter((anomaly) => anomaly.name === 'retry-without-budget')
    .map((anomaly) => anomaly.detail);
}

/** Call `job` of `process` at `t`: attempt 1 fails, and with `retry` attempt 2 goes out 10 ms later and fails too. */
function failing(t: number, job: string, retry: boolean, process = 'client-1'): HistoryEvent[] {
  return [call(t, job, 'echo', process), attempt(t + 1, job, 1, process), attemptFail(t + 2, job, 1, process), ...(retry ? [attempt(t + 12, job, 2, process), attemptFail(t + 13, job, 2, process)] : [])];
}

describe('retry-policy: retry-without-budget', () => {
  test('with maxTokens 4: retries while tokens > 2 pass; a retry at exactly half (2 tokens) is flagged, naming the client, the call and the tokens', () => {
    // j-1: 4 -> 3 (retry allowed) -> 2. j-2: 2 -> 1, its retry is made at tokens 1 <= 2.
    assert.deepEqual(budget([BUDGETED, ...failing(0, 'j-1', true), ...failing(100, 'j-2', false)]), []);
    const [detail, ...more] = budget([BUDGETED, ...failing(0, 'j-1', true), ...failing(100, 'j-2', true)]);
    assert.equal(more.length, 0);
    assert.match(detail, /^client-1 retried call j-2 \(attempt 2 at 112 ms\) with its retry budget at 1 token\(s\) and when attempt 1 failed at 102 ms, not above half of maxTokens 4 \(budget=4:0\.5/);
  });

  test('an ok restores budget (ratio 0.5 each, up to maxTokens): two oks after two failures allow the next retry', () => {
    const events = [BUDGETED, ...failing(0, 'j-1', true), call(50, 'j-3'), attempt(51, 'j-3', 1), ok(52, 'j-3'), call(60, 'j-4'), attempt(61, 'j-4', 1), ok(62, 'j-4'), ...failing(100, 'j-2', true)];
    // 4 -> 3 -> 2, +1 -> 3, j-2's failure -> 2: its retry is at 2 tokens, not above half: still flagged.
    assert.equal(budget(events).length, 1);
    const moreOks = [...events.slice(0, -5), call(70, 'j-5'), attempt(71, 'j-5', 1), ok(72, 'j-5'), ...failing(100, 'j-2', true)];
    // 4 -> 2, +1.5 -> 3.5, j-2's failure -> 2.5: the retry is allowed.
    assert.deepEqual(budget(moreOks), []);
  });

  test('each client process has its own bucket', () => {
    assert.deepEqual(budget([BUDGETED, ...failing(0, 'j-1', true, 'client-1'), ...failing(100, 'j-2', true, 'client-2')]), []);
  });

  test('the reading that accuses least: an ok between the failure and the retry that lifts the bucket above half excuses it', () => {
    const events = [BUDGETED, ...failing(0, 'j-1', true), call(100, 'j-2'), attempt(101, 'j-2', 1), attemptFail(102, 'j-2', 1), call(103, 'j-5'), attempt(104, 'j-5', 1), ok(105, 'j-5'), ok(105.5, 'j-6'), attempt(112, 'j-2', 2)];
    // After j-2's failure: 1 token; j-5's ok: 1.5 (j-6 was never invoked: not counted). Not above 2 at either moment: flagged.
    assert.equal(budget(events).length, 1);
    const lifted = [BUDGETED, ...failing(0, 'j-1', true), call(100, 'j-2'), attempt(101, 'j-2', 1), attemptFail(102, 'j-2', 1), ...[3, 4, 5].flatMap((i) => [call(103 + i, `j-${i + 5}`), attempt(103.2 + i, `j-${i + 5}`, 1), ok(103.5 + i, `j-${i + 5}`)]), attempt(112, 'j-2', 2)];
    // 1 + 3 × 0.5 = 2.5 > 2 when the retry was sent: not flagged.
    assert.deepEqual(budget(lifted), []);
  });

  test('no budget declared: nothing to replay', () => {
    const unbudgeted = policy('echo', 'retry', { attempts: 3, initial: 10, cap: 10, jitter: 'none' });
    assert.deepEqual(budget([unbudgeted, ...failing(0, 'j-1', true), ...failing(100, 'j-2', true), ...failing(200, 'j-3', true)]), []);
  });
});
