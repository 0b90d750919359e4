import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDuplicateExecution } from '../../harness/checker/duplicate-execution';
import { cleanJob, execEnd, execStart, faultEnd, faultStart, invoke, ok } from './fixture';

test('duplicate-execution: a re-run after the first worker was killed mid-job is explained', () => {
  const kill = faultStart(7, 'f-1', 'kill-worker', ['worker-1']);
  const anomalies = checkDuplicateExecution([
    invoke(0, 'j-1'),
    execStart(5, 'worker-1', 'j-1'),
    execEnd(6, 'worker-1', 'j-1'),
    kill,
    faultEnd(8, 'f-1', 'kill-worker', ['worker-1']),
    execStart(20, 'worker-2', 'j-1'),
    execEnd(21, 'worker-2', 'j-1'),
    ok(22, 'j-1'),
  ]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'duplicate-execution');
  assert.equal(anomalies[0].job, 'j-1');
  assert.equal(anomalies[0].explainedBy, kill);
  assert.match(anomalies[0].detail, /kill-worker/);
});

test('duplicate-execution: a re-run with no fault on the earlier worker is unexplained', () => {
  const anomalies = checkDuplicateExecution([
    invoke(0, 'j-1'),
    execStart(5, 'worker-1', 'j-1'),
    execEnd(6, 'worker-1', 'j-1'),
    faultStart(7, 'f-1', 'kill-worker', ['worker-3']),
    faultStart(1, 'f-0', 'kill-worker', ['worker-1']),
    execStart(20, 'worker-2', 'j-1'),
    execEnd(21, 'worker-2', 'j-1'),
    faultStart(30, 'f-2', 'kill-worker', ['worker-1']),
  ]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].job, 'j-1');
  assert.equal(anomalies[0].explainedBy, undefined);
  assert.match(anomalies[0].detail, /unexplained/);
});

test('duplicate-execution: one anomaly per extra run', () => {
  const runs = ['worker-1', 'worker-2', 'worker-3'].flatMap((worker, index) => [
    execStart(10 * index + 1, worker, 'j-1'),
    execEnd(10 * index + 2, worker, 'j-1'),
  ]);
  const anomalies = checkDuplicateExecution([invoke(0, 'j-1'), ...runs]);
  assert.equal(anomalies.length, 2);
  assert.ok(anomalies.every((anomaly) => anomaly.job === 'j-1' && anomaly.explainedBy === undefined));
});

test('duplicate-execution: a started-but-uncommitted attempt is not an execution', () => {
  const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execStart(5, 'worker-2', 'j-1'), execEnd(6, 'worker-2', 'j-1')];
  assert.deepEqual(checkDuplicateExecution(history), []);
});

test('duplicate-execution: clean history has none', () => {
  assert.deepEqual(checkDuplicateExecution([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2', 'worker-2')]), []);
});
