import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFaultsHit } from '../../harness/checker';
import { HistoryRecorder } from '../../harness/history/recorder';
import { NodeNemesis } from '../../harness/nemesis/node-nemesis';
import type { NodeClock } from '../../harness/runtime/fake-clock';
import type { NodeHandle } from '../../harness/runtime/node-handle';

/**
 * The clock-skew fault's bookkeeping, with the clock isolated (test/runtime/fake-clock.test.ts
 * moves a real node's clock): what it sets and when it sets it right, and that a node libfaketime
 * does not reach (a statically linked program) makes the fault ineffective instead of a pass.
 */
function recordingClock(reaches: boolean): NodeClock & { calls: string[] } {
  const calls: string[] = [];
  return { calls, set: (offsetMs, rate) => calls.push(`set ${offsetMs} x${rate}`), reset: () => calls.push('reset'), reaches: () => reaches };
}

const node = { name: 'broker', running: true } as NodeHandle;

test('clock-skew: set for its duration, then set right; the start event says what was set and that it reached the node', async () => {
  const history = new HistoryRecorder();
  const clock = recordingClock(true);
  const start = await new NodeNemesis(() => [], history).skewClock(node, clock, { kind: 'clock-skew', target: 'broker', offsetMs: 30_000, rate: 1, durationMs: 20 });
  assert.deepEqual(clock.calls, ['set 30000 x1', 'reset']);
  assert.deepEqual(start.effect, { durationMs: 20, clock: { offsetMs: 30_000, rate: 1, reached: true }, jobsInFlight: [], hit: true });
  assert.deepEqual(checkFaultsHit(history.events()), []);
});

test('clock-skew on a node libfaketime does not reach: hit false, so ineffective-fault', async () => {
  const history = new HistoryRecorder();
  const start = await new NodeNemesis(() => [], history).skewClock(node, recordingClock(false), { kind: 'clock-skew', target: 'broker', offsetMs: 0, rate: 4, durationMs: 10 });
  assert.equal(start.effect?.hit, false);
  assert.equal(start.effect?.clock?.reached, false);
  assert.deepEqual(
    checkFaultsHit(history.events()).map((finding) => finding.detail),
    ['fault clock-skew on broker did not reach the node: libfaketime was not loaded in all of its processes (a statically linked program?): it tested nothing'],
  );
});
