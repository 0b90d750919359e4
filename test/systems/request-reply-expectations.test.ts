import assert from 'node:assert/strict';
import { Inconclusive } from '../../harness/verdict/inconclusive';
import { describe, test } from 'node:test';
import type { HistoryEvent, InvokeEvent } from '../../harness/history/event';
import {
  expectDefiniteFailures,
  expectEveryCallSettledDefinitely,
  expectEveryJobAnswered,
  expectJobsCompletedElsewhere,
  expectWorkerRanJobsSince,
} from '../../harness/systems/request-reply/expectations';
import { cleanJob, execEnd, execStart, fail, faultEnd, faultStart, info, invoke, ok } from '../checker/fixture';

const invokeOn = (t: number, job: string, service: string): InvokeEvent => ({ type: 'invoke', t, process: 'client-1', job, service });

describe('expectEveryJobAnswered', () => {
  test('passes when every invoked job got exactly one ok', () => {
    assert.doesNotThrow(() => expectEveryJobAnswered([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2'), faultStart(20, 'f1', 'kill', ['worker-1'])]));
  });

  test('fails on an empty history', () => {
    assert.throws(() => expectEveryJobAnswered([]), /no job was invoked/);
    assert.throws(() => expectEveryJobAnswered([execStart(0, 'w', 'j-1'), ok(1, 'j-1')]), /no job was invoked/);
  });

  test('fails for a job with no outcome', () => {
    assert.throws(() => expectEveryJobAnswered([...cleanJob(0, 'j-1'), invoke(10, 'j-2')]), /1 of 2 jobs were not answered exactly once: j-2 \(no outcome\)/);
  });

  test('fails for a job answered twice, and for fail / info outcomes', () => {
    assert.throws(() => expectEveryJobAnswered([...cleanJob(0, 'j-1'), ok(5, 'j-1')]), /j-1 \(ok\+ok\)/);
    assert.throws(() => expectEveryJobAnswered([invoke(0, 'j-1'), fail(5, 'j-1')]), /j-1 \(fail\)/);
    assert.throws(() => expectEveryJobAnswered([invoke(0, 'j-1'), info(5, 'j-1')]), /j-1 \(info\)/);
    assert.throws(() => expectEveryJobAnswered([invoke(0, 'j-1'), info(5, 'j-1'), ok(6, 'j-1')]), /j-1 \(info\+ok\)/);
  });

  test('ignores outcomes for jobs that were never invoked', () => {
    assert.doesNotThrow(() => expectEveryJobAnswered([...cleanJob(0, 'j-1'), ok(5, 'ghost')]));
  });

  test('lists at most five jobs and counts the rest', () => {
    const history: HistoryEvent[] = [];
    for (let i = 0; i < 8; i++) history.push(invoke(i, `j-${i}`));
    assert.throws(() => expectEveryJobAnswered(history), /8 of 8 jobs .*: j-0 \(no outcome\), j-1 .*j-4 \(no outcome\) and 3 more$/);
  });
});

describe('expectEveryCallSettledDefinitely', () => {
  test('passes when every call got an ok or a definite fail', () => {
    assert.doesNotThrow(() => expectEveryCallSettledDefinitely([...cleanJob(0, 'j-1'), invoke(10, 'j-2'), fail(12, 'j-2')]));
  });

  test('a definite outcome after an info still counts as settled', () => {
    assert.doesNotThrow(() => expectEveryCallSettledDefinitely([invoke(0, 'j-1'), info(5, 'j-1'), ok(6, 'j-1')]));
  });

  test('fails on an empty history', () => {
    assert.throws(() => expectEveryCallSettledDefinitely([]), /no job was invoked/);
  });

  test('fails for an indeterminate (info) call and for a call still open', () => {
    assert.throws(
      () => expectEveryCallSettledDefinitely([...cleanJob(0, 'j-1'), invoke(10, 'j-2'), info(20, 'j-2'), invoke(30, 'j-3')]),
      /2 of 3 calls ended without a reply or a definite failure: j-2 \(info\), j-3 \(no outcome\)/,
    );
  });
});

describe('expectDefiniteFailures', () => {
  test('passes when every call to the service failed definitely within the bound', () => {
    const history = [invokeOn(0, 'j-1', 'nobody'), fail(40, 'j-1'), invokeOn(50, 'j-2', 'nobody'), fail(150, 'j-2'), ...cleanJob(200, 'j-3')];
    assert.doesNotThrow(() => expectDefiniteFailures(history, 'nobody', 100));
  });

  test('calls to other services are not judged', () => {
    assert.doesNotThrow(() => expectDefiniteFailures([invokeOn(0, 'j-1', 'nobody'), fail(5, 'j-1'), invoke(6, 'j-2'), info(500, 'j-2')], 'nobody', 100));
  });

  test('fails when no call to the service was invoked', () => {
    assert.throws(() => expectDefiniteFailures(cleanJob(0, 'j-1'), 'nobody', 100), /no call to "nobody" was invoked/);
  });

  test('fails for a call that never returned, one that succeeded, one that ended indeterminate, one that was too slow', () => {
    const history = [
      invokeOn(0, 'j-1', 'nobody'),
      invokeOn(0, 'j-2', 'nobody'),
      ok(10, 'j-2'),
      invokeOn(0, 'j-3', 'nobody'),
      info(10, 'j-3'),
      invokeOn(0, 'j-4', 'nobody'),
      fail(250.4, 'j-4'),
    ];
    assert.throws(
      () => expectDefiniteFailures(history, 'nobody', 100),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal(
          error.message,
          'j-1 never returned; j-2 ended ok, not a definite failure; j-3 ended info, not a definite failure; j-4 failed after 250 ms, bound 100 ms',
        );
        return true;
      },
    );
  });

  test('only the first outcome of a call is judged', () => {
    assert.throws(() => expectDefiniteFailures([invokeOn(0, 'j-1', 'nobody'), info(10, 'j-1'), fail(20, 'j-1')], 'nobody', 100), /j-1 ended info/);
  });

  test('exactly at the bound passes', () => {
    assert.doesNotThrow(() => expectDefiniteFailures([invokeOn(10, 'j-1', 'nobody'), fail(110, 'j-1')], 'nobody', 100));
  });
});

describe('expectJobsCompletedElsewhere', () => {
  test('passes when each job ran to the end on another worker and was answered', () => {
    const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), faultStart(2, 'f', 'kill', ['worker-1']), execStart(50, 'worker-2', 'j-1'), execEnd(51, 'worker-2', 'j-1'), ok(52, 'j-1')];
    assert.doesNotThrow(() => expectJobsCompletedElsewhere(history, ['j-1'], 'worker-1'));
  });

  test('INCONCLUSIVE, not FAIL, when the killed worker finished its job before the kill landed (a loaded machine)', () => {
    const events: HistoryEvent[] = [
      { type: 'invoke', t: 1, process: 'client-1', job: 'j-1', service: 'echo' },
      { type: 'exec-start', t: 2, worker: 'worker-3', job: 'j-1' },
      { type: 'exec-end', t: 90, worker: 'worker-3', job: 'j-1' },
      { type: 'ok', t: 100, process: 'client-1', job: 'j-1', reply: 'j-1' },
    ];
    assert.throws(
      () => expectJobsCompletedElsewhere(events, ['j-1'], 'worker-3'),
      (error: Error) => error instanceof Inconclusive && /worker-3 finished j-1 before the fault landed/.test(error.message),
    );
  });

  test('INCONCLUSIVE, not FAIL, when the fault hit no job: the scenario could not create its condition', () => {
    assert.throws(
      () => expectJobsCompletedElsewhere(cleanJob(0, 'j-1'), [], 'worker-1'),
      (error: Error) => error instanceof Inconclusive && /the fault hit no job on worker-1, so this scenario tested nothing/.test(error.message),
    );
  });

  test('INCONCLUSIVE when the job only completed on the faulted worker: it finished before the kill landed, so the kill hit nothing', () => {
    const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execEnd(80, 'worker-1', 'j-1'), ok(81, 'j-1')];
    assert.throws(() => expectJobsCompletedElsewhere(history, ['j-1'], 'worker-1'), /^Inconclusive: worker-1 finished j-1 before the fault landed/);
  });

  test('a start without an end on another worker does not count', () => {
    const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execStart(50, 'worker-2', 'j-1'), ok(81, 'j-1')];
    assert.throws(() => expectJobsCompletedElsewhere(history, ['j-1'], 'worker-1'), /j-1 never ran to the end on another worker/);
  });

  test('fails when the job ran elsewhere but got no reply', () => {
    const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execStart(50, 'worker-2', 'j-1'), execEnd(51, 'worker-2', 'j-1'), info(90, 'j-1')];
    assert.throws(() => expectJobsCompletedElsewhere(history, ['j-1'], 'worker-1'), /^Error: j-1 got no reply$/);
  });

  test('reports every job that falls short (a job the faulted worker finished before the kill landed is not one the fault hit)', () => {
    const history = [...cleanJob(0, 'j-1', 'worker-2'), invoke(10, 'j-2'), invoke(20, 'j-3'), invoke(30, 'j-4'), execEnd(21, 'worker-1', 'j-3')];
    assert.throws(
      () => expectJobsCompletedElsewhere(history, ['j-1', 'j-2', 'j-3', 'j-4'], 'worker-1'),
      /^Error: j-2 never ran to the end on another worker; j-2 got no reply; j-4 never ran to the end on another worker; j-4 got no reply$/,
    );
  });
});

describe('expectWorkerRanJobsSince', () => {
  const history = [...cleanJob(0, 'j-1', 'worker-1'), faultStart(10, 'f', 'kill', ['worker-1']), faultEnd(100, 'f', 'kill', ['worker-1']), ...cleanJob(150, 'j-2', 'worker-1')];

  test('passes when the worker started a job after the given time', () => {
    assert.doesNotThrow(() => expectWorkerRanJobsSince(history, 'worker-1', 100));
  });

  test('fails when its last start is before (or exactly at) the given time', () => {
    assert.throws(() => expectWorkerRanJobsSince(history, 'worker-1', 151.2), /worker-1 ran no job after t=151 ms: it did not come back into service/);
    assert.throws(() => expectWorkerRanJobsSince([execStart(100, 'worker-1', 'j-1')], 'worker-1', 100), /ran no job after t=100 ms/);
  });

  test('jobs on other workers, and exec-end without exec-start, do not count', () => {
    const others = [...cleanJob(200, 'j-3', 'worker-2'), execEnd(300, 'worker-1', 'j-4')];
    assert.throws(() => expectWorkerRanJobsSince(others, 'worker-1', 100), /worker-1 ran no job after t=100 ms/);
  });
});
