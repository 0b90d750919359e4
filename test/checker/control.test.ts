import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkControl, formatControlResult, PIPE_ORDER_TOLERANCE_MS } from '../../harness/checker/control';
import { checkHistory } from '../../harness/checker/check-history';
import { attemptsByJob } from '../../harness/checker/job-attempts';
import { judgeHistory } from '../../harness/checker/judge-history';
import { claims, isControlProfile, judgeControl, PROFILES } from '../../harness/checker/profile';
import type { HistoryEvent } from '../../harness/history/event';
import { execKilled, kill, killAnswer, killedFail, killInfo } from './control-fixture';
import { execEnd, execStart, faultEnd, faultStart, info, invoke, ok } from './fixture';

const BOUNDS = { callBound: 1_000, recoveryBound: 1_000 };

function namesOf(events: readonly HistoryEvent[]): string[] {
  return checkControl(events).anomalies.map((anomaly) => anomaly.name);
}

function detailsOf(events: readonly HistoryEvent[]): string[] {
  return checkControl(events).anomalies.map((anomaly) => `${anomaly.name}: ${anomaly.detail}`);
}

function verdictOf(events: readonly HistoryEvent[]): string {
  return judgeControl(checkControl(events), 'control').verdict;
}

/** A running job killed cleanly: the worker stopped its handler, the controller and the client were told killed. */
const KILLED_RUNNING: HistoryEvent[] = [
  invoke(10, 'j-1'),
  execStart(12, 'worker-1', 'j-1'),
  kill(20, 'j-1', 'client-2'),
  execKilled(25, 'worker-1', 'j-1'),
  killAnswer(27, 'j-1', 'killed', 'client-2'),
  killedFail(28, 'j-1'),
];

describe('control checker: histories that pass', () => {
  test('a running job killed: exec-killed after the kill, the killed answer and the call failing killed', () => {
    assert.deepEqual(detailsOf(KILLED_RUNNING), []);
    assert.equal(verdictOf(KILLED_RUNNING), 'PASS');
  });

  test('a queued job killed: answered killed with no exec-start ever seen', () => {
    const events = [invoke(10, 'j-1'), kill(11, 'j-1'), killAnswer(12, 'j-1', 'killed'), killedFail(13, 'j-1')];
    assert.equal(verdictOf(events), 'PASS');
  });

  test('a kill too late: answered finished, then the call got its ok', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1', 'client-2'), execEnd(13, 'worker-1', 'j-1'), killAnswer(14, 'j-1', 'finished', 'client-2'), ok(15, 'j-1')];
    assert.equal(verdictOf(events), 'PASS');
  });

  test('a lost worker: it committed before the killed answer, while cut off; the broker answered killed after the grace', () => {
    const events = [
      invoke(10, 'j-1'),
      execStart(11, 'worker-1', 'j-1'),
      faultStart(12, 'f1', 'disconnect', ['worker-1']),
      kill(13, 'j-1', 'client-2'),
      execEnd(14, 'worker-1', 'j-1'),
      killAnswer(400, 'j-1', 'killed', 'client-2'),
      killedFail(401, 'j-1'),
      faultEnd(500, 'f1', 'disconnect', ['worker-1']),
    ];
    assert.deepEqual(detailsOf(events), []);
  });

  test('an unknown id answered unknown; an unknown answer to another principal beside the owner\'s killed', () => {
    assert.equal(verdictOf([kill(5, 'nobody'), killAnswer(6, 'nobody', 'unknown')]), 'PASS');
    const events = [...KILLED_RUNNING, kill(30, 'j-1', 'evil'), killAnswer(31, 'j-1', 'unknown', 'evil')];
    assert.equal(verdictOf(events), 'PASS');
  });

  test('a kill that reached the broker before the job: unknown, then killed on the next ask', () => {
    const events = [invoke(10, 'j-1'), kill(10.5, 'j-1'), killAnswer(11, 'j-1', 'unknown'), kill(20, 'j-1'), killAnswer(21, 'j-1', 'killed'), killedFail(22, 'j-1')];
    assert.equal(verdictOf(events), 'PASS');
  });

  test('the same controller re-asking after a definite answer gets the same answer (idempotent)', () => {
    const events = [...KILLED_RUNNING, kill(40, 'j-1', 'client-2'), killAnswer(41, 'j-1', 'killed', 'client-2')];
    assert.equal(verdictOf(events), 'PASS');
  });
});

describe('control checker: ran-after-kill', () => {
  test('a fire-and-forget kill: answered killed at once, yet the worker committed and the client got its reply', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1', 'client-2'), killAnswer(13, 'j-1', 'killed', 'client-2'), execEnd(60, 'worker-1', 'j-1'), ok(61, 'j-1')];
    const findings = checkControl(events).anomalies.filter((anomaly) => anomaly.name === 'ran-after-kill');
    assert.deepEqual(
      findings.map((finding) => finding.detail),
      [
        "job j-1 ran after it was killed: client-2's kill answered killed at 13 ms, then worker-1 committed it (exec-end) at 60 ms, 47 ms later",
        "job j-1 ran after it was killed: client-2's kill answered killed at 13 ms, then client-1 got a reply to it (ok) at 61 ms, 48 ms later",
      ],
    );
    assert.deepEqual(findings[0].events.map((event) => event.type), ['kill', 'kill-answer', 'exec-end']);
    assert.equal(verdictOf(events), 'FAIL');
  });

  test('a killed job dispatched again: an exec-start after the call failed killed', () => {
    const events = [invoke(10, 'j-1'), kill(11, 'j-1'), killAnswer(12, 'j-1', 'killed'), killedFail(13, 'j-1'), execStart(80, 'worker-2', 'j-1')];
    assert.deepEqual(namesOf(events), ['ran-after-kill']);
    assert.match(detailsOf(events)[0], /client-1's kill answered killed at 12 ms, then worker-2 started it \(exec-start\) at 80 ms/);
  });

  test(`the pipe-ordering tolerance: another node's event up to ${PIPE_ORDER_TOLERANCE_MS} ms after the answer is taken as before it`, () => {
    const at = (dt: number): HistoryEvent[] => [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1'), execKilled(20, 'worker-1', 'j-1'), killAnswer(30, 'j-1', 'killed'), execStart(30 + dt, 'worker-1', 'j-1')];
    // Within the tolerance the late exec-start is not ran-after-kill (it is a stale-kill question only if killed later).
    assert.ok(!namesOf(at(PIPE_ORDER_TOLERANCE_MS)).includes('ran-after-kill'));
    assert.deepEqual(namesOf(at(PIPE_ORDER_TOLERANCE_MS + 0.5)), ['ran-after-kill']);
  });

  test('no tolerance on the same pipe: the controller\'s own ok 1 ms after its killed answer', () => {
    const events = [invoke(10, 'j-1'), kill(11, 'j-1'), killAnswer(12, 'j-1', 'killed'), ok(13, 'j-1')];
    assert.deepEqual(namesOf(events), ['ran-after-kill', 'killed-and-finished']);
  });
});

describe('control checker: killed-and-finished', () => {
  test('the controller was told finished, the client\'s call failed killed', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1', 'client-2'), killAnswer(14, 'j-1', 'finished', 'client-2'), killedFail(15, 'j-1')];
    assert.deepEqual(detailsOf(events), ["killed-and-finished: job j-1 was both killed and finished: client-1's call failed killed at 15 ms, but client-2's kill answered finished at 14 ms"]);
    assert.equal(verdictOf(events), 'FAIL');
  });

  test('two controllers told killed and finished', () => {
    const events = [invoke(10, 'j-1'), kill(12, 'j-1', 'client-2'), kill(12, 'j-1', 'client-3'), killAnswer(14, 'j-1', 'killed', 'client-2'), killAnswer(15, 'j-1', 'finished', 'client-3')];
    assert.deepEqual(namesOf(events), ['killed-and-finished']);
  });

  test('one controller told finished, then unknown', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), execEnd(12, 'worker-1', 'j-1'), ok(13, 'j-1'), kill(14, 'j-1'), killAnswer(15, 'j-1', 'finished'), kill(16, 'j-1'), killAnswer(17, 'j-1', 'unknown')];
    assert.deepEqual(detailsOf(events), ['killed-and-finished: job j-1 was both killed and finished: the kill answers disagree: client-1 was told finished at 15 ms, client-1 unknown at 17 ms']);
  });

  test('a commit before the killed answer by a worker nothing cut off', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1'), execEnd(13, 'worker-1', 'j-1'), killAnswer(40, 'j-1', 'killed'), killedFail(41, 'j-1')];
    assert.deepEqual(detailsOf(events), [
      "killed-and-finished: job j-1 was both killed and finished: worker-1 committed it (exec-end) at 13 ms, and no fault cut worker-1 or the broker off between 11 ms and client-1's kill answered killed at 40 ms",
    ]);
  });

  test('a fault on another worker does not excuse the commit; one on the broker does', () => {
    const base = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1'), execEnd(13, 'worker-1', 'j-1'), killAnswer(40, 'j-1', 'killed')];
    assert.deepEqual(namesOf([...base, faultStart(20, 'f1', 'kill', ['worker-2'])].sort((a, b) => a.t - b.t)), ['killed-and-finished']);
    assert.deepEqual(namesOf([...base, faultStart(20, 'f1', 'crash-restart', ['broker'])].sort((a, b) => a.t - b.t)), []);
  });
});

describe('control checker: stale-kill', () => {
  test('a handler killed although nobody asked to kill its job', () => {
    const events = [invoke(10, 'j-1'), invoke(10, 'j-2'), execStart(11, 'worker-1', 'j-2'), kill(12, 'j-1'), execKilled(13, 'worker-1', 'j-2'), killAnswer(14, 'j-1', 'killed')];
    assert.deepEqual(detailsOf(events).filter((detail) => detail.startsWith('stale-kill')), ["stale-kill: worker-1 killed job j-2's handler at 13 ms, but no kill of it was asked for before that"]);
  });

  test('a kill applied to an execution that had already committed, or never started on that worker', () => {
    const committed = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), execEnd(12, 'worker-1', 'j-1'), ok(13, 'j-1'), kill(14, 'j-1'), execKilled(15, 'worker-1', 'j-1'), killAnswer(16, 'j-1', 'finished')];
    assert.deepEqual(detailsOf(committed), ["stale-kill: worker-1 killed job j-1's handler at 15 ms, but worker-1 was not running it: its execution there ended (exec-end) at 12 ms"]);
    const elsewhere = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(14, 'j-1'), execKilled(15, 'worker-2', 'j-1'), execKilled(16, 'worker-1', 'j-1'), killAnswer(17, 'j-1', 'killed')];
    assert.deepEqual(detailsOf(elsewhere), ["stale-kill: worker-2 killed job j-1's handler at 15 ms, but worker-2 had not started it"]);
  });

  test('a second exec-killed of one execution', () => {
    const events = [...KILLED_RUNNING, execKilled(29, 'worker-1', 'j-1')];
    assert.deepEqual(detailsOf(events), ["stale-kill: worker-1 killed job j-1's handler at 29 ms, but worker-1 was not running it: its execution there ended (exec-killed) at 25 ms"]);
  });

  test('a call failed killed although nobody asked to kill its job', () => {
    const events = [invoke(10, 'j-1'), kill(5, 'j-0'), killAnswer(6, 'j-0', 'unknown'), killedFail(20, 'j-1')].sort((a, b) => a.t - b.t);
    assert.deepEqual(detailsOf(events), ["stale-kill: client-1's call of job j-1 failed killed at 20 ms, but no kill of it was asked for before that"]);
  });
});

describe('control checker: kill-unanswered and no-kill-performed', () => {
  test('a kill-info, and a kill never answered, are liveness findings (a missed bound)', () => {
    const events = [invoke(10, 'j-1'), invoke(10, 'j-2'), kill(11, 'j-1'), killInfo(500, 'j-1'), kill(12, 'j-2', 'client-2')];
    const findings = checkControl(events).anomalies;
    assert.deepEqual(
      findings.map((finding) => finding.detail),
      [
        'the kill of job j-1 by client-1 at 11 ms got no definite answer: client-1 gave up at 500 ms (no answer after 3 attempts)',
        'the kill of job j-2 by client-2 at 12 ms was never answered (no kill-answer or kill-info by the end of the history)',
      ],
    );
    assert.ok(findings.every((finding) => finding.name === 'kill-unanswered' && finding.boundMissed === true));
    assert.equal(verdictOf(events), 'FAIL');
  });

  test('an answer from another controller does not answer this one\'s kill', () => {
    const events = [invoke(10, 'j-1'), kill(11, 'j-1', 'client-2'), kill(11, 'j-1', 'client-3'), killAnswer(12, 'j-1', 'killed', 'client-2')];
    assert.deepEqual(namesOf(events), ['kill-unanswered']);
  });

  test('no kill at all: INCONCLUSIVE, never PASS or FAIL, and the finding leads', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), execEnd(12, 'worker-1', 'j-1'), ok(13, 'j-1')];
    assert.deepEqual(namesOf(events), ['no-kill-performed']);
    const judgement = judgeControl(checkControl(events), 'control');
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.equal(judgement.violations.length, 0);
  });
});

describe('control checker: the profile and the summary', () => {
  test('control is its own ladder: it claims nothing else and nothing else claims it', () => {
    assert.ok(PROFILES.includes('control') && isControlProfile('control'));
    assert.equal(claims(['control'], 'exactly-once'), false);
    assert.equal(claims(['exactly-once', 'secure'], 'control'), false);
    assert.equal(claims(['control'], 'control'), true);
  });

  test('judgeHistory judges a control history by the control checks; the summary counts the answers', () => {
    const judged = judgeHistory(KILLED_RUNNING, 'control', BOUNDS);
    assert.equal(judged.judgement.verdict, 'PASS');
    assert.match(judged.summary, /control history: 1 kill\(s\) asked; answered 1 killed, 0 finished, 0 unknown, 0 without a definite answer; 1 handler\(s\) stopped/);
    assert.match(formatControlResult(checkControl(KILLED_RUNNING)), /ran-after-kill: 0\n/);
  });
});

describe('request-reply checks on a control history', () => {
  test('a killed job is neither lost nor stuck nor unexpected, and its killed execution is not a commit', () => {
    const events = [...KILLED_RUNNING, kill(30, 'nobody'), killAnswer(31, 'nobody', 'unknown'), invoke(40, 'j-2'), execStart(41, 'worker-1', 'j-2'), execEnd(42, 'worker-1', 'j-2'), ok(43, 'j-2')];
    const result = checkHistory(events, BOUNDS);
    assert.deepEqual(result.anomalies.map((anomaly) => anomaly.name), []);
    assert.equal(result.stats.executions, 1);
  });

  test('a killed call whose job a lost worker committed is not lost to request-reply (the control checker judges it)', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(13, 'j-1'), execEnd(14, 'worker-1', 'j-1'), killAnswer(400, 'j-1', 'killed'), killedFail(401, 'j-1'), invoke(402, 'j-2'), execStart(403, 'worker-2', 'j-2'), execEnd(404, 'worker-2', 'j-2'), ok(405, 'j-2')];
    assert.deepEqual(checkHistory(events, BOUNDS).anomalies.map((anomaly) => anomaly.name), []);
    // The same history with a plain definite failure is lost: only a killed call is exempt.
    const plain = events.map((event) => (event.type === 'fail' ? { ...event, killed: undefined, error: 'rejected' } : event));
    assert.deepEqual(checkHistory(plain, BOUNDS).anomalies.map((anomaly) => anomaly.name), ['lost']);
  });

  test('an exec-killed ends its attempt: a later exec-end on that worker is not its commit', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), kill(12, 'j-1'), execKilled(13, 'worker-1', 'j-1'), killAnswer(14, 'j-1', 'killed'), execEnd(90, 'worker-1', 'j-1')];
    const attempts = attemptsByJob(events).get('j-1') ?? [];
    assert.deepEqual(
      attempts.map((attempt) => [attempt.start?.t, attempt.end?.t, attempt.killed?.t]),
      [
        [11, undefined, 13],
        [undefined, 90, undefined],
      ],
    );
    assert.deepEqual(namesOf(events), ['ran-after-kill']);
  });

  test('an exec-killed of a job nobody invoked is unexpected', () => {
    const events = [invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), execEnd(12, 'worker-1', 'j-1'), ok(13, 'j-1'), execKilled(14, 'worker-1', 'ghost')];
    assert.deepEqual(checkHistory(events, BOUNDS).anomalies.map((anomaly) => `${anomaly.name}: ${anomaly.detail}`), ['unexpected: exec-killed for job ghost, which was never invoked (from worker worker-1)']);
  });
});

describe('request-reply stuck on a control history', () => {
  test('a job killed after the last heal is not work left waiting for the recovery bound', () => {
    const events = [
      invoke(10, 'j-1'),
      execStart(11, 'worker-1', 'j-1'),
      faultStart(12, 'f1', 'partition', ['worker-1', 'broker']),
      kill(13, 'j-1'),
      faultEnd(100, 'f1', 'partition', ['worker-1', 'broker']),
      execKilled(101, 'worker-1', 'j-1'),
      killAnswer(102, 'j-1', 'killed'),
      killedFail(103, 'j-1'),
    ];
    assert.deepEqual(checkHistory(events, BOUNDS).anomalies.map((anomaly) => anomaly.name), ['no-success']);
    // The same job merely answered late, not killed, is waiting: no ok within the bound is stuck.
    const late = [...events.slice(0, 5), info(103, 'j-1')];
    assert.ok(checkHistory(late, BOUNDS).anomalies.some((anomaly) => anomaly.name === 'stuck' && /no progress within/.test(anomaly.detail)));
  });
});
