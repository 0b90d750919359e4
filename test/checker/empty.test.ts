import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { checkNotEmpty, checkSomeSuccess } from '../../harness/checker/empty';
import { judge } from '../../harness/checker/profile';
import { cleanJob, faultEnd, faultStart, fail, info, invoke } from './fixture';

test('empty-history: a run with no operations', () => {
  const anomalies = checkNotEmpty([faultStart(1, 'f', 'kill', ['w']), faultEnd(2, 'f', 'kill', ['w'])]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'empty-history');
  assert.match(anomalies[0].detail, /no operations/);
});

test('no-success: operations but none succeeded, and how each call ended (empty-history is only for a run that recorded nothing)', () => {
  const history = [invoke(0, 'j-1'), fail(1, 'j-1'), invoke(2, 'j-2'), info(3, 'j-2'), invoke(4, 'j-3'), fail(5, 'j-3'), invoke(6, 'j-4')];
  assert.deepEqual(checkNotEmpty(history), []);
  const anomalies = checkSomeSuccess(history);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'no-success');
  assert.equal(anomalies[0].detail, 'no operation succeeded: 2 calls to echo failed definitely (rejected), 1 call to echo ended indefinitely (timeout), 1 call to echo never returned');
  // The judgement stands: a run where nothing succeeded fails under every profile.
  const result = checkHistory(history, { callBound: 1000, recoveryBound: 1000 });
  assert.equal(result.counts['no-success'], 1);
  assert.equal(result.counts['empty-history'], 0);
  assert.equal(judge(result, 'mdp').verdict, 'FAIL');
});

test('no-success: calls to a service nobody serves that time out are named as such', () => {
  const calls = [0, 1, 2].flatMap((n) => [{ ...invoke(n * 10, `j-${n}`), service: 'nobody-home' }, { ...info(n * 10 + 5, `j-${n}`), error: 'no reply after 8 attempts' }]);
  assert.equal(checkSomeSuccess(calls)[0].detail, 'no operation succeeded: 3 calls to nobody-home ended indefinitely (no reply after 8 attempts)');
});

test('empty-history: a run with a success is not empty', () => {
  assert.deepEqual(checkNotEmpty(cleanJob(0, 'j-1')), []);
  assert.deepEqual(checkSomeSuccess(cleanJob(0, 'j-1')), []);
});
