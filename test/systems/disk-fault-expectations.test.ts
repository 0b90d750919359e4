import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEvent } from '../../harness/history/event';
import { expectRefusalsDuring, expectRefusedDuringThenAnswered } from '../../harness/systems/request-reply/disk-fault-expectations';

/** What a careful system does while its disk refuses writes, judged on histories written by hand. */

const fault = (t: number, phase: 'start' | 'end'): HistoryEvent => ({ type: 'nemesis', phase, id: 'disk-full-1', fault: 'disk-full', targets: ['broker'], t });
const invoke = (job: string, t: number): HistoryEvent => ({ type: 'invoke', process: 'client-1', job, service: 'echo', t });
const ok = (job: string, t: number): HistoryEvent => ({ type: 'ok', process: 'client-1', job, reply: job, t });
const fail = (job: string, t: number): HistoryEvent => ({ type: 'fail', process: 'client-1', job, error: '503', t });
const info = (job: string, t: number): HistoryEvent => ({ type: 'info', process: 'client-1', job, error: 'timeout', t });

describe('expectRefusedDuringThenAnswered', () => {
  test('held, refused and later calls as a careful broker has them: passes', () => {
    const history = [invoke('a', 0), fault(10, 'start'), invoke('b', 20), fail('b', 21), fault(100, 'end'), ok('a', 110), invoke('c', 120), ok('c', 130)];
    expectRefusedDuringThenAnswered(history);
    expectRefusalsDuring(history);
  });

  test('a call made after the fault that is not answered: the system did not take work again', () => {
    const history = [fault(10, 'start'), fault(100, 'end'), invoke('c', 120), fail('c', 121)];
    assert.throws(() => expectRefusedDuringThenAnswered(history), /1 of 1 calls made after the disk-full fault ended were not answered \(e\.g\. c\)/);
  });

  test('a call made during the fault that ended indefinitely', () => {
    const history = [fault(10, 'start'), invoke('b', 20), info('b', 80), fault(100, 'end'), invoke('c', 120), ok('c', 130)];
    assert.throws(() => expectRefusedDuringThenAnswered(history), /1 call\(s\) made while the disk-full fault lasted neither failed definitely nor were answered \(e\.g\. b\)/);
  });

  test('a failure before the fault cannot be told from a refusal', () => {
    const history = [invoke('a', 0), fail('a', 5), fault(10, 'start'), fault(100, 'end'), invoke('c', 120), ok('c', 130)];
    assert.throws(() => expectRefusedDuringThenAnswered(history), /1 call\(s\) failed before the disk-full fault began/);
  });

  test('no call after the fault proves nothing about resuming', () => {
    assert.throws(() => expectRefusedDuringThenAnswered([fault(10, 'start'), fault(100, 'end')]), /no call was made after the disk-full fault ended/);
  });

  test('no refusal while the fault lasted', () => {
    assert.throws(() => expectRefusalsDuring([fault(10, 'start'), invoke('b', 20), fault(100, 'end'), ok('b', 120)]), /no call failed definitely while the disk-full fault lasted/);
  });

  test('no disk fault in the history', () => {
    assert.throws(() => expectRefusedDuringThenAnswered([invoke('a', 0), ok('a', 1)]), /no disk fault began and ended/);
  });
});
