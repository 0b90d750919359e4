import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DriverReport } from '../../reference/drivers/protocol';
import { ReportHub } from '../../harness/runtime/report-hub';

const report = (job: string): DriverReport => ({ type: 'exec-start', worker: 'worker-1', job });

test('reports made before anyone listens are handed to the first listener, in order, not lost', () => {
  const hub = new ReportHub();
  const watched: string[] = [];
  hub.watch((r) => watched.push(r.type === 'exec-start' ? r.job : r.type));
  hub.publish(report('a'));
  hub.publish(report('b'));
  const first: DriverReport[] = [];
  hub.listen((r) => first.push(r));
  hub.publish(report('c'));
  const second: DriverReport[] = [];
  hub.listen((r) => second.push(r));
  hub.publish(report('d'));
  assert.deepEqual(first.map((r) => (r.type === 'exec-start' ? r.job : '')), ['a', 'b', 'c', 'd']);
  assert.deepEqual(second.map((r) => (r.type === 'exec-start' ? r.job : '')), ['d'], 'held reports go to the first listener only');
  assert.deepEqual(watched, ['a', 'b', 'c', 'd'], 'the readiness watch sees everything as it comes');
});

test('a watcher alone does not count as a listener: reports are still held for the first real one', () => {
  const hub = new ReportHub();
  const off = hub.watch(() => undefined);
  hub.publish(report('a'));
  off();
  const got: DriverReport[] = [];
  hub.listen((r) => got.push(r));
  assert.equal(got.length, 1);
});
