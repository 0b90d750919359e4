import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecStartEvent, HistoryEvent, NemesisEvent, OkEvent } from '../../../harness/history/event';
import {
  ANSWER_ORDER_TOLERANCE_MS,
  checkReplicated,
  DEFAULT_FAILOVER_BOUND_MS,
  formatReplicatedResult,
  REPLICATED,
  type ReplicatedAnomalyName,
} from '../../../harness/checker/check-replicated';
import { judgeReplicated, claims, PROFILES } from '../../../harness/checker/profile';
import { judgeHistory } from '../../../harness/checker/judge-history';
import { REQUEST_REPLY } from '../../../harness/checker/request-reply';
import { execEnd, faultEnd, info, invoke, ok } from '../fixture';

const options = { callBound: 1000, recoveryBound: 1000 };

/** An ok stamped with the term of its reply and the broker that answered. */
const okIn = (t: number, job: string, term: number, process = 'client-1', broker = `broker-${term}`): OkEvent => ({ ...ok(t, job, job, process), term, broker });
/** An exec-start dispatched on a session of `term`. */
const startIn = (t: number, worker: string, job: string, term: number): ExecStartEvent => ({ type: 'exec-start', t, worker, job, term });
/** A fault the nemesis aimed at the leader it resolved. */
const leaderFault = (t: number, id: string, leader: string, term: number, targets = [leader]): NemesisEvent => ({
  type: 'nemesis',
  t,
  phase: 'start',
  id,
  fault: `kill ${leader}`,
  targets,
  effect: { hit: true, leader, term },
});

/** One job run cleanly on one worker in `term`. */
const cleanIn = (t: number, job: string, term: number, worker = 'worker-1', process = 'client-1'): HistoryEvent[] => [
  invoke(t, job, process),
  startIn(t + 1, worker, job, term),
  execEnd(t + 2, worker, job),
  okIn(t + 3, job, term, process),
];

function findings(events: HistoryEvent[], name: ReplicatedAnomalyName, extra: { failoverBoundMs?: number } = {}) {
  return checkReplicated(events, { ...options, ...extra }).anomalies.filter((anomaly) => anomaly.name === name);
}

describe('replicated: the registry and its profile', () => {
  test('replicated-exactly-once holds every rule exactly-once forbids but the quality rule idle-worker-bypassed, and the cluster rules', () => {
    const exactlyOnce = REQUEST_REPLY.checks.filter((entry) => entry.forbiddenBy.includes('exactly-once') && entry.name !== 'idle-worker-bypassed').map((entry) => entry.name);
    for (const name of exactlyOnce) assert.ok(REPLICATED.names.includes(name), `${name} is lifted`);
    // A cluster holds jobs with no fault to show for it (an election, a membership change).
    assert.ok(!(REPLICATED.names as readonly string[]).includes('idle-worker-bypassed'));
    for (const name of ['dual-dispatch', 'stale-leader-reply', 'failover-slow', 'failover-unmeasured', 'no-term-reported'] as const) assert.ok(REPLICATED.names.includes(name), name);
    assert.ok(PROFILES.includes('replicated-exactly-once'));
    assert.equal(claims(['exactly-once'], 'replicated-exactly-once'), false, 'a single exactly-once broker claims nothing about clusters');
  });

  test('a clean cluster history passes', () => {
    const events = [...cleanIn(0, 'j1', 1), ...cleanIn(10, 'j2', 1, 'worker-2'), ...cleanIn(20, 'j3', 2)];
    const result = checkReplicated(events, options);
    assert.deepEqual(result.anomalies, []);
    assert.equal(judgeReplicated(result, 'replicated-exactly-once').verdict, 'PASS');
    assert.deepEqual(result.stats.terms, [1, 2]);
    assert.match(formatReplicatedResult(result), /3 answer\(s\) with a term \(terms 1, 2\)/);
  });

  test('judgeHistory routes the profile to the replicated checks', () => {
    const judged = judgeHistory([...cleanIn(0, 'j1', 1)], 'replicated-exactly-once', options);
    assert.equal(judged.judgement.verdict, 'PASS');
    assert.match(judged.summary, /^verdict \(replicated-exactly-once\): PASS/);
  });
});

describe('replicated: lost acknowledged jobs (the lifted lost rule)', () => {
  test('a job acknowledged 202 whose call ended in info and never completed is lost: FAIL', () => {
    const events = [...cleanIn(0, 'j0', 1), invoke(10, 'j1'), info(900, 'j1', true)];
    const lost = findings(events, 'lost');
    assert.equal(lost.length, 1);
    assert.equal(lost[0].job, 'j1');
    assert.match(lost[0].detail, /acknowledged by the system/);
    assert.equal(judgeReplicated(checkReplicated(events, options), 'replicated-exactly-once').verdict, 'FAIL');
  });

  test('near miss: an info without accepted and no exec-start is not lost (the job may never have been taken)', () => {
    const events = [...cleanIn(0, 'j0', 1), invoke(10, 'j1'), info(900, 'j1')];
    assert.deepEqual(findings(events, 'lost'), []);
  });
});

describe('replicated: dual-dispatch', () => {
  test('two workers running one job at once in different terms: found, with the overlap measured', () => {
    const events: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), startIn(40, 'worker-2', 'j1', 2), execEnd(100, 'worker-1', 'j1'), execEnd(130, 'worker-2', 'j1'), okIn(140, 'j1', 2)];
    const found = findings(events, 'dual-dispatch');
    assert.equal(found.length, 1);
    assert.equal(found[0].job, 'j1');
    assert.match(found[0].detail, /at once for 60(\.0)? ?ms/);
    assert.match(found[0].detail, /worker-1 \(term 1\)/);
    assert.match(found[0].detail, /worker-2 \(term 2\)/);
    assert.equal(judgeReplicated(checkReplicated(events, options), 'replicated-exactly-once').verdict, 'FAIL');
  });

  test('a run never closed overlaps until the end of the history', () => {
    const events: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), startIn(50, 'worker-2', 'j1', 2), execEnd(80, 'worker-2', 'j1'), okIn(90, 'j1', 2)];
    const found = findings(events, 'dual-dispatch');
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /for 30(\.0)? ?ms/);
    assert.match(found[0].detail, /to the end of the history/);
  });

  test('a worker killed mid-run ends its run at the kill: a re-run after it is no dual dispatch; one begun before the kill is', () => {
    const crash = (t: number, worker: string, fault = 'crash-restart'): NemesisEvent => ({ type: 'nemesis', phase: 'start', id: `${fault}-${t}`, fault, targets: [worker], t });
    const after: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-2', 'j1', 6), crash(12, 'worker-2'), startIn(500, 'worker-1', 'j1', 7), execEnd(510, 'worker-1', 'j1'), okIn(520, 'j1', 7)];
    assert.deepEqual(findings(after, 'dual-dispatch'), [], 'the killed worker ran nothing after its kill (the history of the false FAIL found on a loaded run)');
    for (const fault of ['kill', 'lose-unsynced-writes']) assert.deepEqual(findings([invoke(0, 'j1'), startIn(10, 'worker-2', 'j1', 6), crash(12, 'worker-2', fault), startIn(500, 'worker-1', 'j1', 7), execEnd(510, 'worker-1', 'j1'), okIn(520, 'j1', 7)], 'dual-dispatch'), [], fault);
    const before: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-2', 'j1', 6), startIn(20, 'worker-1', 'j1', 7), crash(50, 'worker-2'), execEnd(60, 'worker-1', 'j1'), okIn(70, 'j1', 7)];
    const found = findings(before, 'dual-dispatch');
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /for 30(\.0)? ?ms/);
    assert.match(found[0].detail, /to 50(\.0)? ?ms \(crash-restart of worker-2\)/);
    const frozen: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-2', 'j1', 6), crash(12, 'worker-2', 'freeze'), startIn(500, 'worker-1', 'j1', 7), execEnd(510, 'worker-1', 'j1'), okIn(520, 'j1', 7)];
    assert.equal(findings(frozen, 'dual-dispatch').length, 1, 'a frozen worker\'s handler resumes: its run goes on');
  });

  test('near misses: one after the other, the same term, a run without a term, the same worker', () => {
    const sequential: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), execEnd(30, 'worker-1', 'j1'), startIn(30, 'worker-2', 'j1', 2), execEnd(60, 'worker-2', 'j1'), okIn(70, 'j1', 2)];
    assert.deepEqual(findings(sequential, 'dual-dispatch'), [], 'touching windows do not overlap');
    const sameTerm: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), startIn(20, 'worker-2', 'j1', 1), execEnd(50, 'worker-1', 'j1'), execEnd(60, 'worker-2', 'j1'), okIn(70, 'j1', 1)];
    assert.deepEqual(findings(sameTerm, 'dual-dispatch'), [], 'one leader re-dispatching is duplicate-execution\'s to judge');
    assert.ok(findings(sameTerm, 'duplicate-execution').length > 0, 'and duplicate-execution does');
    const untermed: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), { type: 'exec-start', t: 20, worker: 'worker-2', job: 'j1' }, execEnd(50, 'worker-1', 'j1'), execEnd(60, 'worker-2', 'j1'), okIn(70, 'j1', 1)];
    assert.deepEqual(findings(untermed, 'dual-dispatch'), []);
    const sameWorker: HistoryEvent[] = [invoke(0, 'j1'), startIn(10, 'worker-1', 'j1', 1), startIn(20, 'worker-1', 'j1', 2), execEnd(50, 'worker-1', 'j1'), okIn(70, 'j1', 2)];
    assert.deepEqual(findings(sameWorker, 'dual-dispatch'), []);
  });
});

describe('replicated: stale-leader-reply', () => {
  test('an answer from term 1 after another client got one from term 2: found, naming both', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 2, 'worker-1', 'client-1'), invoke(0, 'j2', 'client-2'), startIn(1, 'worker-2', 'j2', 1), execEnd(2, 'worker-2', 'j2'), okIn(50, 'j2', 1, 'client-2')];
    const found = findings(events, 'stale-leader-reply');
    assert.equal(found.length, 1);
    assert.equal(found[0].job, 'j2');
    assert.match(found[0].detail, /client-2's ok for j2 at 50(\.0)? ?ms \(term 1, from broker-1\) came after client-1's ok for j1 at 3(\.0)? ?ms \(term 2, from broker-2\)/);
    assert.equal(found[0].events.length, 2);
    assert.equal(judgeReplicated(checkReplicated(events, options), 'replicated-exactly-once').verdict, 'FAIL');
  });

  test('a fail or info carrying a stale term counts too', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 3), invoke(5, 'j2'), { type: 'fail', t: 30, process: 'client-1', job: 'j2', error: 'no workers', term: 2, broker: 'broker-1' }];
    assert.equal(findings(events, 'stale-leader-reply').length, 1);
  });

  test('near misses: the lower term first, equal terms, and another client within the pipe-order tolerance', () => {
    const lowerFirst: HistoryEvent[] = [...cleanIn(0, 'j1', 1), ...cleanIn(10, 'j2', 2, 'worker-1', 'client-2')];
    assert.deepEqual(findings(lowerFirst, 'stale-leader-reply'), []);
    const equal: HistoryEvent[] = [...cleanIn(0, 'j1', 2), ...cleanIn(10, 'j2', 2, 'worker-1', 'client-2')];
    assert.deepEqual(findings(equal, 'stale-leader-reply'), []);
    const within: HistoryEvent[] = [invoke(0, 'j1'), invoke(0, 'j2', 'client-2'), okIn(100, 'j1', 2), okIn(100 + ANSWER_ORDER_TOLERANCE_MS, 'j2', 1, 'client-2')];
    assert.deepEqual(findings(within, 'stale-leader-reply'), [], 'two pipes read in either order');
    const past: HistoryEvent[] = [invoke(0, 'j1'), invoke(0, 'j2', 'client-2'), okIn(100, 'j1', 2), okIn(100 + ANSWER_ORDER_TOLERANCE_MS + 1, 'j2', 1, 'client-2')];
    assert.equal(findings(past, 'stale-leader-reply').length, 1, 'just past the tolerance');
    const sameClient: HistoryEvent[] = [invoke(0, 'j1'), invoke(0, 'j2'), okIn(100, 'j1', 2), okIn(101, 'j2', 1)];
    assert.equal(findings(sameClient, 'stale-leader-reply').length, 1, 'one pipe keeps its real order: no tolerance');
  });
});

describe('replicated: failover-slow and failover-unmeasured', () => {
  test('the first ok after a fault on the leader later than the bound: found, a liveness finding', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 1), leaderFault(100, 'f1', 'broker-1', 1), invoke(110, 'j2'), startIn(3000, 'worker-1', 'j2', 2), execEnd(3001, 'worker-1', 'j2'), okIn(3100, 'j2', 2)];
    const found = findings(events, 'failover-slow', { failoverBoundMs: 2000 });
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /struck the leader broker-1 \(term 1\)/);
    assert.match(found[0].detail, /came 3(\.0)? ?s later|came 3000(\.0)? ?ms later/);
    assert.equal(found[0].boundMissed, true);
    assert.equal(REPLICATED.checks.find((entry) => entry.name === 'failover-slow')?.liveness, true);
  });

  test('near miss: within the bound, and the default bound', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 1), leaderFault(100, 'f1', 'broker-1', 1), invoke(110, 'j2'), startIn(1900, 'worker-1', 'j2', 2), execEnd(1901, 'worker-1', 'j2'), okIn(2100, 'j2', 2)];
    assert.deepEqual(findings(events, 'failover-slow', { failoverBoundMs: 2000 }), [], '2000 ms is within a 2000 ms bound');
    assert.equal(findings(events, 'failover-slow', { failoverBoundMs: 1999 }).length, 1, 'and above a 1999 ms one');
    assert.ok(DEFAULT_FAILOVER_BOUND_MS >= 2000);
    assert.deepEqual(findings(events, 'failover-slow'), []);
  });

  test('no ok at all after the fault though calls were made: found', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 1), leaderFault(100, 'f1', 'broker-1', 1), invoke(110, 'j2'), info(5000, 'j2')];
    const found = findings(events, 'failover-slow');
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /never answered again/);
  });

  test('a fault that names a leader it did not strike, or no leader, is no failover', () => {
    const notTheLeader: HistoryEvent[] = [...cleanIn(0, 'j1', 1), leaderFault(100, 'f1', 'broker-1', 1, ['broker-2']), invoke(110, 'j2'), okIn(20_000, 'j2', 1)];
    assert.deepEqual(findings(notTheLeader, 'failover-slow'), []);
    const plain: NemesisEvent = { type: 'nemesis', t: 100, phase: 'start', id: 'f1', fault: 'kill broker-1', targets: ['broker-1'] };
    assert.deepEqual(findings([...cleanIn(0, 'j1', 1), plain, invoke(110, 'j2'), okIn(20_000, 'j2', 1)], 'failover-slow'), []);
  });

  test('no call after the fault on the leader: failover-unmeasured, INCONCLUSIVE', () => {
    const events: HistoryEvent[] = [...cleanIn(0, 'j1', 1), leaderFault(100, 'f1', 'broker-1', 1), faultEnd(200, 'f1', 'kill broker-1', ['broker-1'])];
    const result = checkReplicated(events, options);
    assert.equal(result.counts['failover-unmeasured'], 1);
    assert.equal(result.counts['failover-slow'], 0);
    const judgement = judgeReplicated(result, 'replicated-exactly-once');
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.equal(judgement.undecided[0].name, 'failover-unmeasured');
  });

  test('a call open across the fault measures it: answered after, within or past the bound; never answered, a failover-slow', () => {
    const open: HistoryEvent[] = [...cleanIn(0, 'j1', 1), invoke(90, 'j2'), leaderFault(100, 'f1', 'broker-1', 1), startIn(1500, 'worker-1', 'j2', 2), execEnd(1501, 'worker-1', 'j2'), okIn(1600, 'j2', 2)];
    assert.deepEqual(findings(open, 'failover-unmeasured'), [], 'the call open at the fault waited for the new leader');
    assert.deepEqual(findings(open, 'failover-slow', { failoverBoundMs: 2000 }), []);
    assert.equal(findings(open, 'failover-slow', { failoverBoundMs: 1000 }).length, 1, 'its answer 1.5 s after the fault is past a 1 s bound');
    const neverAnswered: HistoryEvent[] = [...cleanIn(0, 'j1', 1), invoke(90, 'j2'), leaderFault(100, 'f1', 'broker-1', 1), faultEnd(200, 'f1', 'kill broker-1', ['broker-1'])];
    const slow = findings(neverAnswered, 'failover-slow');
    assert.equal(slow.length, 1);
    assert.match(slow[0].detail, /no call got an ok after it/);
    const settledBefore: HistoryEvent[] = [...cleanIn(0, 'j1', 1), invoke(90, 'j2'), info(95, 'j2'), leaderFault(100, 'f1', 'broker-1', 1)];
    assert.equal(findings(settledBefore, 'failover-unmeasured').length, 1, 'a call that ended before the fault measures nothing');
  });
});

describe('replicated: no-term-reported', () => {
  test('calls with no term anywhere: INCONCLUSIVE, nobody accused, once for the answers and once for the dispatches', () => {
    const events: HistoryEvent[] = [invoke(0, 'j1'), { type: 'exec-start', t: 1, worker: 'worker-1', job: 'j1' }, execEnd(2, 'worker-1', 'j1'), ok(3, 'j1')];
    const result = checkReplicated(events, options);
    assert.equal(result.counts['no-term-reported'], 2);
    assert.equal(judgeReplicated(result, 'replicated-exactly-once').verdict, 'INCONCLUSIVE');
  });

  test('a term on the dispatches alone leaves the answers unjudged: INCONCLUSIVE, naming stale-leader-reply', () => {
    const events: HistoryEvent[] = [invoke(0, 'j1'), startIn(1, 'worker-1', 'j1', 1), execEnd(2, 'worker-1', 'j1'), ok(3, 'j1')];
    const found = findings(events, 'no-term-reported');
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /stale-leader-reply had nothing to judge/);
  });

  test('a term on the answers alone leaves the dispatches unjudged: INCONCLUSIVE, naming dual-dispatch', () => {
    const events: HistoryEvent[] = [invoke(0, 'j1'), { type: 'exec-start', t: 1, worker: 'worker-1', job: 'j1' }, execEnd(2, 'worker-1', 'j1'), ...cleanIn(10, 'j2', 1).filter((event) => event.type !== 'exec-start' && event.type !== 'exec-end')];
    const found = findings(events, 'no-term-reported');
    assert.equal(found.length, 1);
    assert.match(found[0].detail, /dual-dispatch had nothing to judge/);
  });

  test('near miss: terms on answers and dispatches, nothing reported', () => {
    assert.deepEqual(findings([...cleanIn(0, 'j1', 1)], 'no-term-reported'), []);
  });
});
