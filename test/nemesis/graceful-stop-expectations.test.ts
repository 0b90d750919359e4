import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent, NemesisEvent } from '../../harness/history/event';
import { expectAnsweredJobsRanOnce, expectExitedWithinGrace, expectOutcomesReported, withoutClient } from '../../harness/nemesis/graceful-stop-expectations';
import { PUT_UNREPORTED_AT_EXIT, UNREPORTED_AT_EXIT } from '../../harness/history/unreported-outcome';
import { Inconclusive } from '../../harness/verdict/inconclusive';
import { execEnd, invoke, ok } from '../checker/fixture';

const stopStart = (t: number, target: string, effect: NemesisEvent['effect'] = {}, fault = 'stop'): NemesisEvent => ({ type: 'nemesis', phase: 'start', id: `${fault}-1`, fault, targets: [target], t, effect });
const stopEnd = (t: number, target: string, byItself: boolean, fault = 'stop'): NemesisEvent => ({
  type: 'nemesis',
  phase: 'end',
  id: `${fault}-1`,
  fault,
  targets: [target],
  t,
  effect: { stopped: { graceMs: 2000, exitMs: byItself ? 80 : 2004, byItself, exit: byItself ? 'code 0' : 'SIGKILL' } },
});

test('graceful stop: a node that exited by itself within its grace passes, with how long it took', () => {
  const line = expectExitedWithinGrace([stopStart(10, 'client-1'), stopEnd(90, 'client-1', true)]);
  assert.match(line, /client-1 exited 80 ms after SIGTERM \(code 0\), within its 2000 ms grace/);
});

test('graceful stop: a node the harness had to kill when its grace ran out is named as ignoring the stop', () => {
  assert.throws(() => expectExitedWithinGrace([stopStart(10, 'publisher-1', {}, 'close-stdin'), stopEnd(2014, 'publisher-1', false, 'close-stdin')]), /publisher-1 ignored a graceful stop: still running 2000 ms after its stdin closing, so the harness killed it \(SIGKILL\)/);
});

test('graceful stop: a history with no graceful stop has nothing to judge', () => {
  assert.throws(() => expectExitedWithinGrace([invoke(0, 'j-1')]), /no graceful stop/);
});

test('graceful stop: calls left without a reported outcome at the exit are named; all reported passes', () => {
  const stopped = [stopStart(10, 'client-1', { jobsInFlight: ['j-1', 'j-2'] }), stopEnd(90, 'client-1', true)];
  const unreported: HistoryEvent = { type: 'info', t: 90, process: 'client-1', job: 'j-2', error: UNREPORTED_AT_EXIT };
  assert.throws(() => expectOutcomesReported([...stopped, unreported], 'client-1'), /client-1 exited without reporting the outcome of 1 .*\(j-2\)/);
  assert.match(expectOutcomesReported([...stopped, ok(50, 'j-1'), ok(60, 'j-2')], 'client-1'), /each of the 2 calls or puts/);
  const put: HistoryEvent = { type: 'put-info', t: 90, process: 'publisher-1', topic: 'news', msg: 'm-1', error: PUT_UNREPORTED_AT_EXIT };
  assert.throws(() => expectOutcomesReported([stopStart(10, 'publisher-1', { putsInFlight: ['m-1'] }), stopEnd(90, 'publisher-1', true), put], 'publisher-1'), /\(m-1\)/);
});

test('graceful stop: a stop that found nothing open tested nothing (inconclusive)', () => {
  assert.throws(() => expectOutcomesReported([stopStart(10, 'client-1', { jobsInFlight: [] }), stopEnd(90, 'client-1', true)], 'client-1'), Inconclusive);
});

test('graceful stop: every job the stopped client got a reply for ran exactly once', () => {
  assert.match(expectAnsweredJobsRanOnce([invoke(0, 'j-1'), execEnd(5, 'worker-1', 'j-1'), ok(6, 'j-1')], 'client-1'), /each of the 1 jobs/);
  assert.throws(() => expectAnsweredJobsRanOnce([invoke(0, 'j-1'), execEnd(5, 'worker-1', 'j-1'), execEnd(7, 'worker-2', 'j-1'), ok(8, 'j-1')], 'client-1'), /j-1 \(ran 2 times\)/);
  assert.throws(() => expectAnsweredJobsRanOnce([invoke(0, 'j-1'), ok(8, 'j-1')], 'client-1'), /j-1 \(ran 0 times\)/);
});

test('graceful stop: the other clients\' history leaves out the stopped client\'s calls only', () => {
  const events = [invoke(0, 'j-1'), invoke(1, 'j-2', 'client-2'), execEnd(2, 'worker-1', 'j-1'), ok(3, 'j-1'), ok(4, 'j-2', 'j-2', 'client-2')];
  assert.deepEqual(
    withoutClient(events, 'client-1').map((e) => e.type),
    ['invoke', 'exec-end', 'ok'],
  );
});
