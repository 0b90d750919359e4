import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStuck } from '../../harness/checker/stuck';
import { cleanJob, faultEnd, faultStart, info, invoke, ok } from './fixture';

const bounds = { callBound: 100, recoveryBound: 500 };

test('stuck: a call that never returned', () => {
  const anomalies = checkStuck([...cleanJob(0, 'j-1'), invoke(10, 'j-2')], bounds);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'stuck');
  assert.equal(anomalies[0].job, 'j-2');
  assert.match(anomalies[0].detail, /never returned/);
});

test('stuck: a call whose first completion overran the bound', () => {
  const anomalies = checkStuck([invoke(0, 'j-1'), info(150, 'j-1'), ok(160, 'j-1'), ...cleanJob(200, 'j-2')], bounds);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].job, 'j-1');
  assert.match(anomalies[0].detail, /took 150 ms.*bound 100 ms/);
});

test('stuck: no ok within the recovery bound after the last fault healed', () => {
  const history = [
    ...cleanJob(0, 'j-1'),
    faultStart(10, 'f-1', 'partition', ['broker']),
    faultEnd(20, 'f-1', 'partition', ['broker']),
    invoke(30, 'j-2'),
    info(90, 'j-2'),
    invoke(600, 'j-3'),
    ok(610, 'j-3'),
  ];
  const anomalies = checkStuck(history, bounds);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].job, undefined);
  assert.match(anomalies[0].detail, /no progress within 500 ms after the last fault healed at 20 ms/);
});

test('stuck: an ok within the recovery bound is progress', () => {
  const history = [
    faultStart(10, 'f-1', 'partition', ['broker']),
    faultEnd(20, 'f-1', 'partition', ['broker']),
    ...cleanJob(30, 'j-1'),
  ];
  assert.deepEqual(checkStuck(history, bounds), []);
});

test('stuck: nothing waiting after the heal needs no progress', () => {
  const history = [...cleanJob(0, 'j-1'), faultStart(10, 'f-1', 'kill', ['w']), faultEnd(20, 'f-1', 'kill', ['w'])];
  assert.deepEqual(checkStuck(history, bounds), []);
});

test('stuck: a fault that never healed', () => {
  const history = [faultStart(1, 'f-1', 'freeze-worker', ['worker-1']), ...cleanJob(2, 'j-1')];
  const anomalies = checkStuck(history, bounds);
  assert.equal(anomalies.length, 1);
  assert.match(anomalies[0].detail, /freeze-worker.*never healed/);
});

test('stuck: clean history has none', () => {
  assert.deepEqual(checkStuck([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')], bounds), []);
});
