import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatWorkerMode, JobPacer, parseWorkerMode } from '../../reference/control/worker-mode';

test('worker modes: normal, busy, slow and slow=<n> read back as written; anything else is a precise error', () => {
  assert.deepEqual(parseWorkerMode('normal'), { kind: 'normal' });
  assert.deepEqual(parseWorkerMode('busy'), { kind: 'busy' });
  assert.deepEqual(parseWorkerMode('slow'), { kind: 'slow', factor: 10 });
  assert.deepEqual(parseWorkerMode('slow=3'), { kind: 'slow', factor: 3 });
  for (const text of ['normal', 'busy', 'slow=10', 'slow=1000']) assert.equal(formatWorkerMode(parseWorkerMode(text)), text);
  for (const bad of ['', 'Busy', 'slow=0', 'slow=1001', 'slow=-2', 'slow=1.5', 'slow=', 'stuck']) assert.throws(() => parseWorkerMode(bad), /expected a worker mode/, `"${bad}" was accepted`);
});

test('a busy worker is stuck on its first job only; a slow one multiplies every job; a normal one changes nothing', () => {
  const busy = new JobPacer({ kind: 'busy' });
  assert.equal(busy.workMs(20), undefined, 'the first job of a busy worker must never end by itself');
  assert.equal(busy.workMs(20), 20);
  assert.equal(busy.workMs(0), 0);
  const slow = new JobPacer({ kind: 'slow', factor: 4 });
  assert.deepEqual([slow.workMs(25), slow.workMs(0), slow.workMs(25)], [100, 0, 100]);
  assert.equal(new JobPacer({ kind: 'normal' }).workMs(7), 7);
});
