import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStaleReply } from '../../harness/checker/stale-reply';
import { checkUnexpected } from '../../harness/checker/unexpected';
import { cleanJob, invoke, ok } from './fixture';

test('stale-reply: an ok carrying the reply to another invoked job is stale', () => {
  const history = [invoke(0, 'j-1'), invoke(1, 'j-2', 'client-2'), ok(10, 'j-2', 'j-1', 'client-2'), ok(11, 'j-1')];
  const anomalies = checkStaleReply(history);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'stale-reply');
  assert.equal(anomalies[0].job, 'j-2');
  assert.deepEqual(checkUnexpected(history), []);
});

test('stale-reply: a reply naming a job never invoked is unexpected, not stale', () => {
  const history = [invoke(0, 'j-1'), ok(10, 'j-1', 'j-ghost')];
  assert.deepEqual(checkStaleReply(history), []);
  const unexpected = checkUnexpected(history);
  assert.equal(unexpected.length, 1);
  assert.equal(unexpected[0].job, 'j-1');
  assert.match(unexpected[0].detail, /j-ghost/);
});

test('stale-reply: clean history has none', () => {
  assert.deepEqual(checkStaleReply([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')]), []);
});
