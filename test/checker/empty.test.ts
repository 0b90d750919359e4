import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNotEmpty } from '../../harness/checker/empty';
import { cleanJob, faultEnd, faultStart, fail, info, invoke } from './fixture';

test('empty-history: a run with no operations', () => {
  const anomalies = checkNotEmpty([faultStart(1, 'f', 'kill', ['w']), faultEnd(2, 'f', 'kill', ['w'])]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'empty-history');
  assert.match(anomalies[0].detail, /no operations/);
});

test('empty-history: operations but none succeeded', () => {
  const anomalies = checkNotEmpty([invoke(0, 'j-1'), fail(1, 'j-1'), invoke(2, 'j-2'), info(3, 'j-2')]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'empty-history');
  assert.match(anomalies[0].detail, /no operation succeeded/);
});

test('empty-history: a run with a success is not empty', () => {
  assert.deepEqual(checkNotEmpty(cleanJob(0, 'j-1')), []);
});
