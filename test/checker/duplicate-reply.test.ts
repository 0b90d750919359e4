import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDuplicateReply } from '../../harness/checker/duplicate-reply';
import { cleanJob, ok } from './fixture';

test('duplicate-reply: two oks for one job give one anomaly carrying both', () => {
  const anomalies = checkDuplicateReply([...cleanJob(0, 'j-1'), ok(20, 'j-1'), ...cleanJob(30, 'j-2')]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'duplicate-reply');
  assert.equal(anomalies[0].job, 'j-1');
  assert.equal(anomalies[0].events.length, 2);
});

test('duplicate-reply: clean history has none', () => {
  assert.deepEqual(checkDuplicateReply([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')]), []);
});
