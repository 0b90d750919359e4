import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLost } from '../../harness/checker/lost';
import { cleanJob, execEnd, execStart, fail, faultEnd, faultStart, info, invoke } from './fixture';

test('lost: info with accepted:true and no end is lost, never executed', () => {
  const anomalies = checkLost([...cleanJob(0, 'j-0'), invoke(10, 'j-1'), info(50, 'j-1', true)]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'lost');
  assert.equal(anomalies[0].job, 'j-1');
  assert.match(anomalies[0].detail, /never executed/);
});

test('lost: exec-start is evidence of acceptance even when info does not say accepted', () => {
  const anomalies = checkLost([invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), info(50, 'j-1')]);
  assert.deepEqual(anomalies.map((anomaly) => anomaly.job), ['j-1']);
  assert.match(anomalies[0].detail, /never executed/);
});

test('lost: executed but the reply never arrived is a lost reply', () => {
  const anomalies = checkLost([invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), execEnd(6, 'worker-1', 'j-1'), info(50, 'j-1')]);
  assert.equal(anomalies.length, 1);
  assert.match(anomalies[0].detail, /reply lost/);
});

test('lost: info without any acceptance evidence is not lost', () => {
  assert.deepEqual(checkLost([invoke(0, 'j-1'), info(50, 'j-1'), invoke(60, 'j-2'), info(90, 'j-2', false)]), []);
});

test('lost: a job that also got a fail, or never ended, is not lost here', () => {
  const history = [invoke(0, 'j-1'), info(50, 'j-1', true), fail(60, 'j-1'), invoke(70, 'j-2'), execStart(71, 'w', 'j-2')];
  assert.deepEqual(checkLost(history), []);
});

test('lost: clean history has none', () => {
  assert.deepEqual(checkLost([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')]), []);
});

test('lost: a definite failure for a job a worker committed is lost (the client was told it did not run)', () => {
  const history = [invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), execEnd(6, 'worker-1', 'j-1'), fail(50, 'j-1')];
  const anomalies = checkLost(history);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].job, 'j-1');
  assert.match(anomalies[0].detail, /executed on worker-1, but the call ended in a definite failure/);
  assert.deepEqual(anomalies[0].events.map((event) => event.type), ['invoke', 'exec-end', 'fail']);
});

test('lost: a definite failure for a job that only started (never committed) is not lost', () => {
  assert.deepEqual(checkLost([invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), fail(50, 'j-1')]), []);
});

test('lost: a call its client gave up after being stopped gracefully is not lost; one given up before the stop still is', () => {
  const history = [
    invoke(0, 'j-1'),
    execStart(5, 'worker-1', 'j-1'),
    execEnd(6, 'worker-1', 'j-1'),
    info(20, 'j-1'),
    invoke(30, 'j-2'),
    execStart(35, 'worker-1', 'j-2'),
    execEnd(36, 'worker-1', 'j-2'),
    faultStart(40, 'stop-1', 'stop', ['client-1']),
    info(50, 'j-2'),
    faultEnd(60, 'stop-1', 'stop', ['client-1']),
  ];
  assert.deepEqual(
    checkLost(history).map((anomaly) => anomaly.job),
    ['j-1'],
  );
});
