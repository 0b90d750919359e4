import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { invalidEventReason } from '../../harness/history/reader';
import type { HistoryEvent } from '../../harness/history/event';
import { checkClassReport, classEvent, isClassReport } from '../../harness/systems/request-reply/driver-reports';
import type { DriverReport } from '../../reference/drivers/protocol';
import { servicePolicyEvents } from '../../harness/systems/request-reply/service-policy-events';
import { ScriptedDriver, systemWith } from './scripted-driver';

function problemOf(value: { type: string; [field: string]: unknown }): string | undefined {
  const report = value as unknown as DriverReport;
  if (!isClassReport(report)) return 'not a retry report';
  const checked = checkClassReport(report);
  return 'problem' in checked ? checked.problem : undefined;
}

const RETRY = { attempts: 5, initial: 100, multiplier: 2, cap: 2000, jitter: 'full' as const };

describe('retry driver reports (attempt, attempt-fail, sent, dropped)', () => {
  test('well-formed reports become events the history schema accepts, with only the schema\'s fields', () => {
    const reports = [
      { type: 'attempt', job: 'j1', n: 1 },
      { type: 'attempt-fail', job: 'j1', n: 1, reason: 'timeout', extra: 'dropped by the harness' },
      { type: 'sent', job: 'j2', ms: 0.3 },
      { type: 'dropped', job: 'j3', reason: 'queue full' },
    ];
    for (const value of reports) {
      const report = value as unknown as DriverReport;
      assert.ok(isClassReport(report), value.type);
      const checked = checkClassReport(report);
      assert.ok('report' in checked, JSON.stringify(checked));
      const event = { ...classEvent(checked.report, 'client-1'), t: 1 };
      assert.equal(invalidEventReason(event), undefined, JSON.stringify(event));
      assert.equal(event.process, 'client-1');
    }
    assert.equal(isClassReport({ type: 'ok', job: 'j', reply: 'j' }), false, 'an outcome is not a retry report');
  });

  test('a bad field is a precise problem, never recorded', () => {
    assert.equal(problemOf({ type: 'attempt', job: 'j1', n: 0 }), 'the "attempt" report: "n" must be a whole number from 1 (got 0)');
    assert.equal(problemOf({ type: 'attempt', job: 'j1', n: 1.5 }), 'the "attempt" report: "n" must be a whole number from 1 (got 1.5)');
    assert.equal(problemOf({ type: 'attempt-fail', job: 'j1', n: 2 }), 'the "attempt-fail" report: "reason" must be a non-empty string (got nothing)');
    assert.equal(problemOf({ type: 'sent', job: 'j1', ms: -1 }), 'the "sent" report: "ms" must be a number of ms, 0 or more (got -1)');
    assert.equal(problemOf({ type: 'dropped', job: '', reason: 'full' }), 'the "dropped" report: "job" must be a non-empty string (got "")');
  });

  test('the request-reply checks skip them: an attempt of a job nobody invoked is no `unexpected`', () => {
    const events: HistoryEvent[] = [
      { type: 'service-policy', t: 0, service: 'echo', class: 'retry', retry: RETRY },
      { type: 'invoke', t: 1, process: 'client-1', job: 'j1', service: 'echo' },
      { type: 'attempt', t: 2, process: 'client-1', job: 'j1', n: 1 },
      { type: 'attempt', t: 3, process: 'client-1', job: 'nobody', n: 1 },
      { type: 'exec-start', t: 4, worker: 'worker-1', job: 'j1' },
      { type: 'exec-end', t: 5, worker: 'worker-1', job: 'j1' },
      { type: 'ok', t: 6, process: 'client-1', job: 'j1', reply: 'j1' },
    ];
    assert.deepEqual(checkHistory(events, { callBound: 1000, recoveryBound: 1000 }).anomalies, []);
  });
});

describe('servicePolicyEvents: the harness\'s record of what each service declared', () => {
  test('one event per declared service, giveUpMs only for give-up, the same retry policy on each', () => {
    const events = servicePolicyEvents(
      [
        { service: 'echo', class: 'retry' },
        { service: 'step', class: 'give-up', giveUpMs: 800 },
        { service: 'log', class: 'best-effort' },
      ],
      { ...RETRY, budget: { maxTokens: 10, ratio: 0.1 } },
    );
    assert.deepEqual(events, [
      { type: 'service-policy', service: 'echo', class: 'retry', retry: { ...RETRY, budget: { maxTokens: 10, ratio: 0.1 } } },
      { type: 'service-policy', service: 'step', class: 'give-up', giveUpMs: 800, retry: { ...RETRY, budget: { maxTokens: 10, ratio: 0.1 } } },
      { type: 'service-policy', service: 'log', class: 'best-effort', retry: { ...RETRY, budget: { maxTokens: 10, ratio: 0.1 } } },
    ]);
    for (const event of events) assert.equal(invalidEventReason({ ...event, t: 0 }), undefined);
    assert.deepEqual(servicePolicyEvents([], RETRY), []);
  });

  test('what could not be judged by is refused, every problem named', () => {
    assert.throws(
      () => servicePolicyEvents([{ service: 'step', class: 'give-up' }, { service: 'step', class: 'retry', giveUpMs: 5 }], { ...RETRY, attempts: 0, jitter: 'some' as 'full' }),
      {
        message:
          'cannot record the declared service policies: retry attempts must be a whole number >= 1 (got 0); retry jitter must be full, equal or none (got some); give-up service "step" needs giveUpMs > 0 (got undefined); service "step" is declared twice; retry service "step" takes no giveUpMs',
      },
    );
    assert.throws(() => servicePolicyEvents([], { ...RETRY, budget: { maxTokens: 0, ratio: -1 } }), /retry budget maxTokens must be > 0 \(got 0\); retry budget ratio must be >= 0 \(got -1\)/);
  });
});

describe('RequestReplySystem: a client driver\'s retry reports become history events', () => {
  test('attempt, attempt-fail, sent and dropped are recorded for the client that wrote them; a malformed one is not', async () => {
    const driver = new ScriptedDriver('client-1');
    const { system, history } = await systemWith(driver);
    driver.report({ type: 'attempt', job: 'j1', n: 1 });
    driver.report({ type: 'attempt-fail', job: 'j1', n: 1, reason: 'unreachable' });
    driver.report({ type: 'attempt', job: 'j1', n: 2 });
    driver.report({ type: 'ok', job: 'j1', reply: 'j1' });
    driver.report({ type: 'sent', job: 'j2', ms: 0.4 });
    driver.report({ type: 'dropped', job: 'j3', reason: 'queue full' });
    driver.report({ type: 'attempt', job: 'j4', n: 'two' });
    const recorded = history.events().map(({ t: _t, ...event }) => event);
    assert.deepEqual(recorded, [
      { type: 'attempt', process: 'client-1', job: 'j1', n: 1 },
      { type: 'attempt-fail', process: 'client-1', job: 'j1', n: 1, reason: 'unreachable' },
      { type: 'attempt', process: 'client-1', job: 'j1', n: 2 },
      { type: 'ok', process: 'client-1', job: 'j1', reply: 'j1' },
      { type: 'sent', process: 'client-1', job: 'j2', ms: 0.4 },
      { type: 'dropped', process: 'client-1', job: 'j3', reason: 'queue full' },
    ]);
    assert.deepEqual(system.malformedReports(), ['client-1: the "attempt" report: "n" must be a whole number from 1 (got "two")']);
  });
});
