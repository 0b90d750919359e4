import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { checkIdleWorkerBypassed } from '../../harness/checker/idle-worker-bypassed';
import { judge } from '../../harness/checker/profile';
import type { HistoryEvent } from '../../harness/history/event';
import { execEnd, execStart, faultEnd, faultStart, invoke, ok } from './fixture';

/** The scenario timing: a 150 ms liveness period, so a job may wait 225 ms beside an idle worker. */
const options = { callBound: 10_000, recoveryBound: 2_000, clientTimeout: 400, clientAttempts: 8, livenessPeriod: 150 };
const sorted = (...events: HistoryEvent[]): HistoryEvent[] => events.sort((a, b) => a.t - b.t);
const run = (t: number, worker: string, job: string, client = 'client-1', tookMs = 100): HistoryEvent[] => [
  invoke(t - 1, job, client),
  execStart(t, worker, job),
  execEnd(t + tookMs, worker, job),
  ok(t + tookMs + 1, job, job, client),
];
/** worker-2 committed a job at 101 ms and starts its next at `nextAt`: idle, and registered, in between. */
const idleWorker2 = (nextAt: number): HistoryEvent[] => [...run(1, 'worker-2', 'w2-a', 'client-9'), ...run(nextAt, 'worker-2', 'w2-b', 'client-9')];
const verdicts = (history: HistoryEvent[]) => {
  const result = checkHistory(history, options);
  return (['mdp', 'at-least-once', 'exactly-once'] as const).map((profile) => judge(result, profile).verdict);
};

describe('idle-worker-bypassed: a request left queued beside an idle worker of its service', () => {
  test('a job that waited 400 ms while another worker of its service sat idle is flagged under every profile, as a missed bound', () => {
    const history = sorted(...idleWorker2(900), ...run(200, 'worker-1', 'j-0'), invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2'));
    const anomalies = checkIdleWorkerBypassed(history, options);
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].job, 'j-1');
    assert.equal(anomalies[0].boundMissed, true);
    assert.match(anomalies[0].detail, /^job j-1 \(client-2, service echo\) waited 400 ms for its first run \(worker-1 at 700 ms\) while worker-2, registered for echo, sat idle for 400 ms of it \(from its commit of w2-a at 101 ms to its start of w2-b at 900 ms\), more than a liveness period and the slack \(225 ms\)/);
    assert.deepEqual(verdicts(history), ['FAIL', 'FAIL', 'FAIL']);
  });

  test('idle past the bound by more than twice the harness\'s worst stall, it accuses whatever the load; within that, it is a missed bound', () => {
    const late = [...idleWorker2(900), invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2')];
    const health = (lagMaxMs: number): HistoryEvent => ({ type: 'harness', t: 500, windowMs: 500, lagMaxMs, lagP99Ms: lagMaxMs, load1: 1, cpus: 2 });
    // Idle 400 ms of the wait, 175 ms past the 225 ms bound.
    assert.equal(checkIdleWorkerBypassed(sorted(...late, health(80)), options)[0].boundMissed, undefined);
    assert.equal(checkIdleWorkerBypassed(sorted(...late, health(90)), options)[0].boundMissed, true);
  });

  test('a wait within a liveness period and the slack is no finding: a REPLY may not have reached the broker yet', () => {
    const history = sorted(...idleWorker2(900), invoke(300, 'j-1', 'client-2'), execStart(500, 'worker-1', 'j-1'), execEnd(600, 'worker-1', 'j-1'), ok(601, 'j-1', 'j-1', 'client-2'));
    assert.deepEqual(checkIdleWorkerBypassed(history, options), []);
  });

  test('a long wait while every worker of the service was busy is no finding', () => {
    const history = sorted(...run(1, 'worker-2', 'w2-a', 'client-9', 800), invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2'));
    assert.deepEqual(checkIdleWorkerBypassed(history, options), []);
  });

  test('a worker idle for another service, or never seen again (perhaps gone), is no proof', () => {
    const otherService: HistoryEvent[] = [...idleWorker2(900)].map((event) => (event.type === 'invoke' ? { ...event, service: 'other' } : event));
    const late = [invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2')];
    assert.deepEqual(checkIdleWorkerBypassed(sorted(...otherService, ...late), options), []);
    assert.deepEqual(checkIdleWorkerBypassed(sorted(...run(1, 'worker-2', 'w2-a', 'client-9'), ...late), options), []);
  });

  test('not judged during a fault or within the recovery bound after it, nor while the client had another call open', () => {
    const late = [invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2')];
    const fault = [faultStart(50, 'f-1', 'kill', ['worker-3']), faultEnd(60, 'f-1', 'kill', ['worker-3'])];
    assert.deepEqual(checkIdleWorkerBypassed(sorted(...idleWorker2(900), ...late, ...fault), options), []);
    const otherCall = [invoke(250, 'j-2', 'client-2'), ok(650, 'j-2', 'j-2', 'client-2')];
    assert.deepEqual(checkIdleWorkerBypassed(sorted(...idleWorker2(900), ...late, ...otherCall), options), []);
  });

  test('without the liveness period (a history checked with no timing) nothing is judged', () => {
    const history = sorted(...idleWorker2(900), invoke(300, 'j-1', 'client-2'), execStart(700, 'worker-1', 'j-1'), execEnd(800, 'worker-1', 'j-1'), ok(801, 'j-1', 'j-1', 'client-2'));
    assert.deepEqual(checkIdleWorkerBypassed(history, { callBound: 10_000, recoveryBound: 2_000 }), []);
  });
});
