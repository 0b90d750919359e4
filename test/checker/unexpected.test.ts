import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkUnexpected } from '../../harness/checker/unexpected';
import { cleanJob, execEnd, execStart, fail, info, ok } from './fixture';

test('unexpected: client outcomes and executions for jobs never invoked', () => {
  const history = [
    ...cleanJob(0, 'j-1'),
    ok(10, 'j-x'),
    fail(11, 'j-y'),
    info(12, 'j-z', true),
    execStart(13, 'worker-1', 'j-w'),
    execEnd(14, 'worker-1', 'j-w'),
  ];
  const anomalies = checkUnexpected(history);
  assert.deepEqual(
    anomalies.map((anomaly) => [anomaly.name, anomaly.job]),
    [
      ['unexpected', 'j-x'],
      ['unexpected', 'j-y'],
      ['unexpected', 'j-z'],
      ['unexpected', 'j-w'],
      ['unexpected', 'j-w'],
    ],
  );
});

test('unexpected: clean history has none', () => {
  assert.deepEqual(checkUnexpected([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')]), []);
});
