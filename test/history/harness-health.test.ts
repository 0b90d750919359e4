import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HarnessEvent, HistoryEvent } from '../../harness/history/event';
import { HarnessMonitor, starvation, summarizeHealth } from '../../harness/history/harness-health';
import { HistoryRecorder } from '../../harness/history/recorder';
import { parseHistory } from '../../harness/history/reader';

const sample = (t: number, lagMaxMs: number, load1 = 1): HarnessEvent => ({ type: 'harness', t, windowMs: 500, lagMaxMs, lagP99Ms: lagMaxMs / 2, load1, cpus: 2 });

test('the monitor records the harness stalling: a 300 ms block of its event loop shows as lag', async () => {
  const history = new HistoryRecorder();
  const monitor = new HarnessMonitor(history, 100);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const until = Date.now() + 300;
  while (Date.now() < until) {
    // the harness starved: nothing else runs
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  monitor.stop();
  const samples = history.events().filter((e): e is HarnessEvent => e.type === 'harness');
  assert.ok(samples.length >= 2, `${samples.length} samples`);
  const worst = Math.max(...samples.map((s) => s.lagMaxMs));
  assert.ok(worst >= 250, `worst lag ${worst} ms`);
  assert.ok(starvation(history.events(), 150)?.includes('stalled'));
});

test('an idle harness stays under a liveness period of slack', async () => {
  const history = new HistoryRecorder();
  const monitor = new HarnessMonitor(history, 50);
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.stop();
  assert.equal(starvation(history.events(), 150), undefined);
});

test('starvation names the worst window over the slack, with the load; summarizeHealth takes the worst of each', () => {
  const events: HistoryEvent[] = [sample(500, 12), sample(1000, 900, 7.5), sample(1500, 30)];
  assert.match(starvation(events, 150) ?? '', /stalled 900 ms at t=1000 ms \(load 7.5 on 2 cores\), more than the 150 ms slack/);
  assert.equal(starvation(events, 1000), undefined);
  assert.equal(starvation([], 1), undefined, 'no samples, no claim');
  assert.deepEqual(summarizeHealth(events), { samples: 3, lagMaxMs: 900, lagP99Ms: 450, load1Max: 7.5, cpus: 2 });
  assert.equal(summarizeHealth([]), undefined);
});

test('harness events survive the history file round trip', () => {
  const events = [sample(1, 2)];
  assert.deepEqual(parseHistory(events.map((e) => JSON.stringify(e)).join('\n')), events);
});
