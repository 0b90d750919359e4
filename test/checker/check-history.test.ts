import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { formatCheckResult } from '../../harness/checker/format';
import { forbiddenAnomalies, judge } from '../../harness/checker/profile';
import { cleanJob, execEnd, execStart, faultEnd, faultStart, invoke, ok } from './fixture';

const options = { callBound: 1000, recoveryBound: 1000 };

const unexplainedRerun = [
  invoke(0, 'j-1'),
  execStart(1, 'worker-1', 'j-1'),
  execEnd(2, 'worker-1', 'j-1'),
  execStart(3, 'worker-2', 'j-1'),
  execEnd(4, 'worker-2', 'j-1'),
  ok(5, 'j-1'),
];

test('checkHistory: clean history passes every profile', () => {
  const result = checkHistory([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')], options);
  assert.deepEqual(result.anomalies, []);
  assert.deepEqual(result.stats, { invoked: 2, ok: 2, fail: 0, info: 0, executions: 2, faults: 0, orphans: 0 });
  for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) assert.equal(judge(result, profile).verdict, 'PASS');
  assert.match(formatCheckResult(result, 'exactly-once'), /no anomalies/);
});

test('judge: an unexplained duplicate execution fails exactly-once but not at-least-once', () => {
  const result = checkHistory(unexplainedRerun, options);
  assert.equal(result.counts['duplicate-execution'], 1);
  assert.equal(result.explainedReruns, 0);
  assert.equal(judge(result, 'at-least-once').verdict, 'PASS');
  assert.equal(judge(result, 'mdp').verdict, 'PASS');
  const exactlyOnce = judge(result, 'exactly-once');
  assert.equal(exactlyOnce.verdict, 'FAIL');
  assert.deepEqual(exactlyOnce.violations.map((anomaly) => [anomaly.name, anomaly.job]), [['duplicate-execution', 'j-1']]);
  assert.match(formatCheckResult(result, 'exactly-once'), /duplicate-execution: 1 \(forbidden\)/);
});

test('judge: an explained duplicate execution passes exactly-once and is not counted', () => {
  const history = [
    ...unexplainedRerun.slice(0, 3),
    faultStart(2.5, 'f-1', 'kill-worker', ['worker-1']),
    faultEnd(2.6, 'f-1', 'kill-worker', ['worker-1']),
    ...unexplainedRerun.slice(3),
  ];
  const result = checkHistory(history, options);
  assert.equal(result.counts['duplicate-execution'], 0);
  assert.equal(result.explainedReruns, 1);
  assert.equal(result.anomalies.length, 1);
  assert.equal(judge(result, 'exactly-once').verdict, 'PASS');
});

test('forbiddenAnomalies: only exactly-once forbids duplicate-execution', () => {
  assert.ok(forbiddenAnomalies('exactly-once').includes('duplicate-execution'));
  assert.ok(!forbiddenAnomalies('at-least-once').includes('duplicate-execution'));
  assert.ok(!forbiddenAnomalies('mdp').includes('duplicate-execution'));
  assert.ok(forbiddenAnomalies('mdp').includes('lost'));
});

test('checkHistory: an empty run fails every profile', () => {
  const result = checkHistory([], options);
  assert.equal(result.counts['empty-history'], 1);
  assert.equal(judge(result, 'mdp').verdict, 'FAIL');
});
