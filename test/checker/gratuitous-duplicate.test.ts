import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { checkGratuitousDuplicate } from '../../harness/checker/gratuitous-duplicate';
import { judge } from '../../harness/checker/profile';
import type { HistoryEvent, NemesisEvent } from '../../harness/history/event';
import { execEnd, execStart, faultEnd, faultStart, invoke, ok } from './fixture';

/** The scenario timing's client: 400 ms per attempt, 8 attempts. */
const retries = { clientTimeout: 400, clientAttempts: 8 };
const options = { callBound: 10_000, recoveryBound: 10_000, ...retries };
const sorted = (...events: HistoryEvent[]): HistoryEvent[] => events.sort((a, b) => a.t - b.t);
const run = (t: number, worker: string, job = 'j-1'): HistoryEvent[] => [execStart(t, worker, job), execEnd(t + 1, worker, job)];
const kill = (t: number, node: string, id = 'f-1'): NemesisEvent[] => [faultStart(t, id, 'kill', [node]), faultEnd(t + 1, id, 'kill', [node])];
const verdicts = (history: HistoryEvent[]) => {
  const result = checkHistory(history, options);
  return (['mdp', 'at-least-once', 'exactly-once'] as const).map((profile) => judge(result, profile).verdict);
};

describe('gratuitous-duplicate: one fault, one re-run of each job it hit', () => {
  test('a broker that re-queues a dead worker\'s job twice (it ran on two other workers after one kill) is flagged under every profile', () => {
    const history = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), ...kill(50, 'worker-1'), ...run(200, 'worker-2'), ...run(201, 'worker-3'), ok(210, 'j-1'));
    const anomalies = checkGratuitousDuplicate(history, retries);
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].job, 'j-1');
    assert.match(anomalies[0].detail, /^job j-1 attempt 3 on worker-3 at 201 ms is one more than its faults and retries explain \(earlier: attempt 1 on worker-1 at 5 ms \(never committed\), attempt 2 on worker-2 at 200 ms\)/);
    assert.match(anomalies[0].detail, /worker-1 killed at 50 ms \(worker-fault\) explains one re-run, already charged with attempt 2 on worker-2; 0 client retries could have been sent by then \(a 400 ms timeout per attempt\)/);
    // The fault it was charged against is in the evidence.
    assert.ok(anomalies[0].events.some((event) => event.type === 'nemesis' && event.id === 'f-1'));
    assert.deepEqual(verdicts(history), ['FAIL', 'FAIL', 'FAIL']);
  });

  test('one re-run after a worker kill is legitimate (and excused even under exactly-once)', () => {
    const history = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), ...kill(50, 'worker-1'), ...run(200, 'worker-2'), ok(210, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
    assert.deepEqual(verdicts(history), ['PASS', 'PASS', 'PASS']);
  });

  test('two kills, each of a worker holding the job, explain two re-runs', () => {
    const history = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), ...kill(50, 'worker-1'), execStart(200, 'worker-2', 'j-1'), ...kill(250, 'worker-2', 'f-2'), ...run(380, 'worker-3'), ok(390, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
  });

  test('a job sent to a frozen worker and started as it resumes was hit by the freeze, within a liveness period of its end', () => {
    // The crash storm's case: the REQUEST waited in the frozen worker's socket; on resume the worker
    // started it, found its lease lapsed across the freeze and gave it back; another worker ran it.
    const freeze = (t: number): NemesisEvent[] => [faultStart(t, 'f-1', 'freeze', ['worker-2']), faultEnd(t + 140, 'f-1', 'freeze', ['worker-2'])];
    const history = (startAt: number) => sorted(invoke(0, 'j-1'), ...freeze(10), execStart(startAt, 'worker-2', 'j-1'), ...run(startAt + 8, 'worker-4'), ok(startAt + 12, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history(150.3), { ...retries, livenessPeriod: 150 }), []);
    assert.equal(checkGratuitousDuplicate(history(150.3), retries).length, 1, 'without the liveness period, only attempts started during the fault were hit');
    assert.equal(checkGratuitousDuplicate(history(350), { ...retries, livenessPeriod: 150 }).length, 1, 'an attempt started well after the resume was not hit (and before a client retry could be sent)');
  });

  test('a kill of a worker that never held the job explains nothing', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...kill(50, 'worker-4'), ...run(200, 'worker-2'), ok(210, 'j-1'));
    const [anomaly] = checkGratuitousDuplicate(history, retries);
    assert.match(anomaly.detail, /attempt 2 on worker-2 at 200 ms is one more .*: no fault hit the job before it; 0 client retries could have been sent by then/);
  });

  test('a one-way partition lasting while the job is re-run on another cut-off worker explains a re-run of each attempt it hit', () => {
    // The fault covers worker-1 and worker-2; the job started on worker-2 while it lasted, and its result could not come back either.
    const partition: NemesisEvent = { ...faultStart(10, 'f-1', 'partition', ['worker-1', 'worker-2', 'broker']), effect: { links: ['worker-1', 'worker-2'], direction: 'backward' } };
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), partition, ...run(200, 'worker-2'), faultEnd(300, 'f-1', 'partition', ['worker-1', 'worker-2', 'broker']), ...run(390, 'worker-3'), ok(395, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
  });

  test('a worker whose attempt started after the fault ended was not hit by it', () => {
    const history = sorted(invoke(0, 'j-1'), ...kill(1, 'worker-1'), ...run(5, 'worker-1'), ...run(200, 'worker-2'), ok(210, 'j-1'));
    assert.equal(checkGratuitousDuplicate(history, retries).length, 1);
  });

  test('a re-run after attempts that never committed is a missed bound (a starved worker gives its job back); after a commit it is content', () => {
    // worker-1 started the job and gave it back uncommitted (its lease lapsed on a starved machine); no fault, no retry due yet.
    const givenBack = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), ...run(100, 'worker-2'), ok(110, 'j-1'));
    const [uncommitted] = checkGratuitousDuplicate(givenBack, retries);
    assert.equal(uncommitted.boundMissed, true);
    assert.match(uncommitted.detail, /no earlier attempt committed/);
    // worker-1 committed, and the job ran again: a duplicate execution whatever the load.
    const ranTwice = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...run(100, 'worker-2'), ok(110, 'j-1'));
    const [committed] = checkGratuitousDuplicate(ranTwice, retries);
    assert.equal(committed.boundMissed, undefined);
    assert.doesNotMatch(committed.detail, /no earlier attempt committed/);
  });
});

describe('gratuitous-duplicate: a broker crash re-runs each job in flight once', () => {
  test('a broker without a journal, killed while the job was unanswered: one re-run', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...kill(50, 'broker'), ...run(300, 'worker-2'), ok(310, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
    assert.deepEqual(verdicts(history), ['PASS', 'PASS', 'FAIL']);
  });

  test('two re-runs after one broker crash, within the client\'s first timeout: flagged, charged against the crash', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...kill(50, 'broker'), ...run(300, 'worker-2'), ...run(301, 'worker-3'), ok(310, 'j-1'));
    const [anomaly] = checkGratuitousDuplicate(history, retries);
    assert.match(anomaly.detail, /attempt 3 on worker-3 at 301 ms .*broker killed at 50 ms \(broker-fault\) explains one re-run, already charged with attempt 2 on worker-2/);
  });

  test('a broker crash after the client had its answer explains nothing', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ok(10, 'j-1'), ...kill(50, 'broker'), ...run(300, 'worker-2'));
    assert.equal(checkGratuitousDuplicate(history, retries).length, 1);
  });
});

describe('gratuitous-duplicate: a client retry after its timeout explains one more attempt', () => {
  test('a slow worker: the client times out and retries, the job runs again with no fault (allowed up to at-least-once)', () => {
    const history = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), execStart(430, 'worker-2', 'j-1'), execEnd(431, 'worker-2', 'j-1'), ok(432, 'j-1'), execEnd(900, 'worker-1', 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
    assert.deepEqual(verdicts(history), ['PASS', 'PASS', 'FAIL']);
  });

  test('a re-run with no fault before the client could have retried is flagged', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...run(100, 'worker-2'), ok(110, 'j-1'));
    const [anomaly] = checkGratuitousDuplicate(history, retries);
    assert.match(anomaly.detail, /no fault hit the job before it; 0 client retries could have been sent by then \(a 400 ms timeout per attempt\)/);
    assert.deepEqual(verdicts(history), ['FAIL', 'FAIL', 'FAIL']);
  });

  test('a worker kill and a later retry: two re-runs, both explained', () => {
    const history = sorted(invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), ...kill(50, 'worker-1'), execStart(200, 'worker-2', 'j-1'), ...run(450, 'worker-3'), ok(460, 'j-1'));
    assert.deepEqual(checkGratuitousDuplicate(history, retries), []);
  });

  test('no retry is sent after the answer, nor beyond the client\'s attempts', () => {
    const answered = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ok(10, 'j-1'), ...run(500, 'worker-2'));
    assert.equal(checkGratuitousDuplicate(answered, retries).length, 1);
    const twoAttempts = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...run(410, 'worker-2'), ...run(820, 'worker-3'), ok(830, 'j-1'));
    assert.equal(checkGratuitousDuplicate(twoAttempts, { clientTimeout: 400, clientAttempts: 2 }).length, 1);
    assert.deepEqual(checkGratuitousDuplicate(twoAttempts, retries), []);
  });

  test('with no timing known, one retry at any time', () => {
    const history = sorted(invoke(0, 'j-1'), ...run(5, 'worker-1'), ...run(100, 'worker-2'), ...run(101, 'worker-3'), ok(110, 'j-1'));
    const anomalies = checkGratuitousDuplicate(history);
    assert.equal(anomalies.length, 1);
    assert.match(anomalies[0].detail, /attempt 3 on worker-3 .*a client retry explains one more, already charged with attempt 2 on worker-2/);
  });
});
