import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunningJob } from '../../reference/control/running-job';

const address = Buffer.from('00112233', 'hex');

test('a kill before the handler reads its signal: the signal it then reads is already aborted, with the kill as reason', () => {
  const job = new RunningJob(address, () => true);
  assert.equal(job.context.mayCommit(), true);
  assert.equal(job.kill(), true);
  assert.equal(job.killRequested, true);
  assert.equal(job.context.mayCommit(), false);
  const { signal } = job.context;
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, 'AbortError');
  assert.match((signal.reason as DOMException).message, /job 00112233 killed on request/);
});

test('a kill after the handler read its signal aborts that same signal once', () => {
  const job = new RunningJob(address, () => true);
  const { signal } = job.context;
  let aborts = 0;
  signal.addEventListener('abort', () => (aborts += 1));
  assert.equal(signal.aborted, false);
  job.kill();
  job.kill();
  assert.equal(signal.aborted, true);
  assert.equal(aborts, 1);
  assert.equal(job.context.signal, signal, 'one signal per job');
});

test('an unstoppable handler is left alone: no abort, the kill is still recorded as asked', () => {
  const job = new RunningJob(address, () => true);
  job.context.unstoppable();
  assert.equal(job.kill(), false);
  assert.equal(job.killAsked, true);
  assert.equal(job.killRequested, false);
  assert.equal(job.context.signal.aborted, false);
  assert.equal(job.context.mayCommit(), true);
});

test('mayCommit follows the lease even with no kill', () => {
  let held = true;
  const job = new RunningJob(address, () => held);
  assert.equal(job.context.mayCommit(), true);
  held = false;
  assert.equal(job.context.mayCommit(), false);
});
