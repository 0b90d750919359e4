import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetryPolicy, GOODPUT_LAG_LIMIT, GOODPUT_WINDOW_MS } from '../../../harness/checker/retry-policy';
import { judgeRetryPolicy } from '../../../harness/checker/profile';
import type { HistoryEvent, NemesisEvent, OverloadDeclaration, ShedEvent } from '../../../harness/history/event';
import { attempt, attemptFail, call, harness, infoed, ok, policy } from './fixture';

/** Capacity 50 jobs/s, goodput back to half of it (25 oks in a second) within 2 s of the last fault's end. */
const OVERLOAD: OverloadDeclaration = { capacityPerSecond: 50, recoverWithinMs: 2_000, fraction: 0.5 };
const DECLARED = { ...policy('echo', 'retry'), overload: OVERLOAD };
const FAULT_START: NemesisEvent = { type: 'nemesis', t: 1_000, phase: 'start', id: 'f-1', fault: 'crash-restart', targets: ['broker'] };
const FAULT_END: NemesisEvent = { ...FAULT_START, t: 2_000, phase: 'end' };
const shed = (t: number): ShedEvent => ({ type: 'shed', t, process: 'client-1', service: 'echo' });

/** `perSecond` calls a second from `from` to `to`: each invoked, attempted and answered `ok` 20 ms later. */
function answered(from: number, to: number, perSecond: number, prefix: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (let i = 0, t = from; t < to; i++, t = from + (i * 1_000) / perSecond) {
    const job = `${prefix}-${i}`;
    events.push(call(t, job), attempt(t, job, 1), ok(t + 20, job));
  }
  return events;
}

/** `perSecond` calls a second that each try 3 times, timing out every attempt, and end in `info`: a retry storm that answers nothing. */
function storming(from: number, to: number, perSecond: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (let i = 0, t = from; t < to; i++, t = from + (i * 1_000) / perSecond) {
    const job = `storm-${i}`;
    events.push(call(t, job), attempt(t, job, 1), attemptFail(t + 100, job, 1), attempt(t + 150, job, 2), attemptFail(t + 250, job, 2), attempt(t + 300, job, 3), attemptFail(t + 400, job, 3), infoed(t + 400, job));
  }
  return events;
}

function sorted(events: HistoryEvent[]): HistoryEvent[] {
  return events.sort((a, b) => a.t - b.t);
}

function goodput(events: HistoryEvent[]) {
  const result = checkRetryPolicy(sorted(events));
  const findings = result.anomalies.filter((anomaly) => anomaly.name === 'goodput-not-recovered' || anomaly.name === 'goodput-not-judged');
  return { findings, verdict: judgeRetryPolicy({ anomalies: findings }, 'retry-policy').verdict };
}

const GOODPUT_LAG_LIMIT_MS = GOODPUT_LAG_LIMIT * GOODPUT_WINDOW_MS;

describe('retry-policy: goodput-not-recovered', () => {
  test('a recovering history: 40 oks a second from 500 ms after the restart passes', () => {
    const events = [DECLARED, ...answered(0, 1_000, 40, 'before'), FAULT_START, FAULT_END, ...answered(2_500, 6_000, 40, 'after')];
    const { findings, verdict } = goodput(events);
    assert.deepEqual(findings, []);
    assert.equal(verdict, 'PASS');
  });

  test('the fullest window may start anywhere in the bound: 30 oks in the second from 3.9 s pass, though no whole second from the fault end holds 25', () => {
    // From 2000: windows [2000,3000) 0, [3000,4000) 3, [4000,5000) 27: the window from 3.9 s holds 30.
    const events = [DECLARED, FAULT_START, FAULT_END, ...answered(3_900, 4_900, 30, 'late'), ...storming(2_000, 6_000, 30)];
    assert.equal(goodput(events).verdict, 'PASS');
  });

  test('a metastable history: plenty of attempts, few oks, after the restart: FAIL with each window\'s rate and the attempts', () => {
    const events = [DECLARED, ...answered(0, 1_000, 40, 'before'), FAULT_START, FAULT_END, ...storming(2_000, 6_000, 60), ...answered(2_000, 6_000, 5, 'few')];
    const { findings, verdict } = goodput(events);
    assert.equal(verdict, 'FAIL');
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding.name, 'goodput-not-recovered');
    assert.equal(finding.boundMissed, true);
    assert.match(finding.detail, /needed 50% of 50\.0 jobs\/s = 25\.0 oks in a 1000 ms window starting within 2000 ms; oks per window from then: 5, 5, 5/);
    assert.match(finding.detail, /offered 65\.0 jobs\/s; \d{3} attempts sent/);
    assert.deepEqual(finding.events, [DECLARED, FAULT_END]);
  });

  test('jobs shed at the clients count as offered: a stalled system whose clients shed everything is accused, not excused', () => {
    // 100 jobs shed a second, and 2 a second invoked and answered, over the 3 s from the fault's end to the last window's close.
    const sheds = Array.from({ length: 400 }, (_, i) => shed(2_000 + i * 10));
    const events = [DECLARED, FAULT_START, FAULT_END, ...answered(2_000, 6_000, 2, 'few'), ...sheds];
    const { findings, verdict } = goodput(events);
    assert.equal(verdict, 'FAIL');
    assert.match(findings[0].detail, /oks per window from then: 2, 2, 2; the best allowed window held 2 .*; offered 102\.0 jobs\/s/);
  });

  test('guard: the clients were offered less than fraction × capacity after the fault: nothing to recover, INCONCLUSIVE', () => {
    const events = [DECLARED, FAULT_START, FAULT_END, ...answered(2_000, 6_000, 10, 'light')];
    const { findings, verdict } = goodput(events);
    assert.equal(verdict, 'INCONCLUSIVE');
    assert.equal(findings[0].name, 'goodput-not-judged');
    assert.match(findings[0].detail, /offered only 10\.0 jobs\/s of echo \(invoked or shed\) after the fault, below the 25\.0\/s recovery asks for/);
  });

  test(`guard: the harness stalled ${GOODPUT_LAG_LIMIT_MS} ms or more around the period: INCONCLUSIVE; a shorter stall does not excuse`, () => {
    const metastable = [DECLARED, FAULT_START, FAULT_END, ...storming(2_000, 6_000, 60)];
    const stalled = goodput([...metastable, harness(3_000, GOODPUT_LAG_LIMIT_MS)]);
    assert.equal(stalled.verdict, 'INCONCLUSIVE');
    assert.match(stalled.findings[0].detail, /event loop stalled for 500 ms around the recovery period \(>= 500 ms, half a window\)/);
    assert.equal(goodput([...metastable, harness(3_000, GOODPUT_LAG_LIMIT_MS - 1)]).verdict, 'FAIL');
  });

  test('guard: the history ends before the last window closes, or no fault ever ended, or there was none: INCONCLUSIVE', () => {
    const short = goodput([DECLARED, FAULT_START, FAULT_END, ...storming(2_000, 4_000, 60)]);
    assert.equal(short.verdict, 'INCONCLUSIVE');
    assert.match(short.findings[0].detail, /the history ends at 4\d{3}(\.\d)? ms, before the last window that may show echo's recovery closes \(5000 ms\)/);
    const open = goodput([DECLARED, FAULT_START, ...answered(2_000, 6_000, 40, 'after')]);
    assert.match(open.findings[0].detail, /fault crash-restart \(f-1\), started at 1000 ms, never ended/);
    const none = goodput([DECLARED, ...answered(0, 6_000, 40, 'all')]);
    assert.match(none.findings[0].detail, /records no fault: there was nothing to recover from/);
    assert.equal(none.verdict, 'INCONCLUSIVE');
  });

  test('a declared windowMs (the harness stretches it with its time scale) sets the window, the oks it must hold and the stall that excuses', () => {
    const stretched = { ...DECLARED, overload: { ...OVERLOAD, windowMs: 2_000 } };
    // 20 oks a second: 40 in a 2 s window, short of the 50 that half of 50 jobs/s over 2 s asks for; 30 a second: 60, enough.
    const slow = goodput([stretched, FAULT_START, FAULT_END, ...answered(2_000, 7_000, 20, 'slow'), ...storming(2_000, 7_000, 20), harness(3_000, 900)]);
    assert.equal(slow.verdict, 'FAIL', 'a 900 ms stall is under half of a 2 s window');
    assert.match(slow.findings[0].detail, /= 50\.0 oks in a 2000 ms window starting within 2000 ms; oks per window from then: 40, 40/);
    assert.equal(goodput([stretched, FAULT_START, FAULT_END, ...answered(2_000, 7_000, 30, 'fast')]).verdict, 'PASS');
  });

  test('a service that declares no overload is not judged, whatever its goodput', () => {
    const events = [policy('echo', 'retry'), FAULT_START, FAULT_END, ...storming(2_000, 6_000, 60)];
    assert.deepEqual(goodput(events).findings, []);
  });
});
