import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DriverReport } from '../../reference/drivers/protocol';
import { checkClassReport, checkClientReport, checkOrphanReport, checkWorkerReport, clientEvent, isClassReport, isClientReport, isOrphanReport, isWorkerReport, orphanEvent } from '../../harness/systems/request-reply/driver-reports';
import { invalidEventReason } from '../../harness/history/reader';

/** A stdout line as report-line.ts hands it over: only its `type` is known to be a string. */
const line = (value: object): DriverReport => value as DriverReport;

function problemOf(report: DriverReport): string | undefined {
  if (isClientReport(report)) {
    const checked = checkClientReport(report);
    return 'problem' in checked ? checked.problem : undefined;
  }
  if (isWorkerReport(report)) {
    const checked = checkWorkerReport(report);
    return 'problem' in checked ? checked.problem : undefined;
  }
  if (isOrphanReport(report)) {
    const checked = checkOrphanReport(report);
    return 'problem' in checked ? checked.problem : undefined;
  }
  if (isClassReport(report)) {
    const checked = checkClassReport(report);
    return 'problem' in checked ? checked.problem : undefined;
  }
  return 'not a request-reply report';
}

describe('request-reply driver reports: classes of service (attempt, attempt-fail, sent, dropped)', () => {
  test('well-formed class reports are accepted and are not call outcomes', () => {
    for (const report of [
      line({ type: 'attempt', job: 'j1', n: 1 }),
      line({ type: 'attempt-fail', job: 'j1', n: 2, reason: 'timeout' }),
      line({ type: 'sent', job: 'j1', ms: 0.3 }),
      line({ type: 'dropped', job: 'j1', reason: 'would-block' }),
    ]) {
      assert.equal(problemOf(report), undefined, JSON.stringify(report));
      assert.equal(isClientReport(report), false, 'a class report is no ok/fail/info');
    }
  });

  test('a bad field is a problem naming it', () => {
    assert.equal(problemOf(line({ type: 'attempt', job: 'j1', n: 0 })), 'the "attempt" report: "n" must be a whole number from 1 (got 0)');
    assert.equal(problemOf(line({ type: 'attempt-fail', job: 'j1', n: 1 })), 'the "attempt-fail" report: "reason" must be a non-empty string (got nothing)');
    assert.equal(problemOf(line({ type: 'sent', job: 'j1', ms: -1 })), 'the "sent" report: "ms" must be a number of ms, 0 or more (got -1)');
    assert.equal(problemOf(line({ type: 'dropped', job: '', reason: 'x' })), 'the "dropped" report: "job" must be a non-empty string (got "")');
  });
});

describe('request-reply driver reports: the control additions', () => {
  test('kill-answer, kill-info, fail with killed and exec-killed are accepted, and become events the history schema accepts', () => {
    const reports = [
      line({ type: 'kill-answer', job: 'j1', outcome: 'killed' }),
      line({ type: 'kill-info', job: 'j1', error: 'no answer after 3 attempts' }),
      line({ type: 'fail', job: 'j1', error: 'killed: 409', killed: true }),
      line({ type: 'ok', job: 'j2', reply: 'j2', extra: 'dropped' }),
    ];
    for (const report of reports) {
      assert.equal(problemOf(report), undefined, JSON.stringify(report));
      assert.ok(isClientReport(report));
      const event = { ...clientEvent(report, 'client-1'), t: 1 };
      assert.equal(invalidEventReason(event), undefined, JSON.stringify(event));
    }
    assert.equal(problemOf(line({ type: 'exec-killed', job: 'j1', worker: 'worker-1' })), undefined);
  });

  test('a malformed report is a problem naming the report type, the field and what came', () => {
    assert.equal(problemOf(line({ type: 'kill-answer', job: 'j1', outcome: 'maybe' })), 'the "kill-answer" report: "outcome" must be one of killed, finished, unknown (got "maybe")');
    assert.equal(problemOf(line({ type: 'kill-answer', outcome: 'killed' })), 'the "kill-answer" report: "job" must be a non-empty string (got nothing)');
    assert.equal(problemOf(line({ type: 'kill-info', job: 'j1' })), 'the "kill-info" report: "error" must be a string (got nothing)');
    assert.equal(problemOf(line({ type: 'fail', job: 'j1', error: 'killed', killed: 'yes' })), 'the "fail" report: "killed" must be true or absent (got "yes")');
    assert.equal(problemOf(line({ type: 'info', job: 'j1', error: 'timeout', accepted: 1 })), 'the "info" report: "accepted" must be a boolean or absent (got 1)');
    assert.equal(problemOf(line({ type: 'exec-killed', job: 'j1', worker: '' })), 'the "exec-killed" report: "worker" must be a non-empty string (got "")');
    assert.equal(problemOf(line({ type: 'exec-start', worker: 'worker-1' })), 'the "exec-start" report: "job" must be a string (got nothing)');
    assert.equal(problemOf(line({ type: 'exec-start', job: '', worker: 'worker-1' })), undefined, 'a request with an empty first frame is reported as it came');
  });

  test('a fail without killed stays a plain definite failure', () => {
    const report = line({ type: 'fail', job: 'j1', error: 'no such service' });
    assert.ok(isClientReport(report));
    assert.deepEqual(clientEvent(report, 'client-1'), { type: 'fail', process: 'client-1', job: 'j1', error: 'no such service' });
  });
});

describe('request-reply driver reports: orphans (issue #19 item 3)', () => {
  test('an orphan from a client or a worker becomes that node\'s orphan event, which the history schema accepts', () => {
    const report = line({ type: 'orphan', job: 'j1', what: 'late-reply', detail: 'job reply 200 from "echo" after its call ended', extra: 'dropped' });
    assert.equal(problemOf(report), undefined);
    assert.ok(isOrphanReport(report) && !isClientReport(report) && !isWorkerReport(report));
    const fromClient = orphanEvent(report, { process: 'client-1' });
    assert.deepEqual(fromClient, { type: 'orphan', process: 'client-1', job: 'j1', what: 'late-reply', detail: 'job reply 200 from "echo" after its call ended' });
    assert.equal(invalidEventReason({ ...fromClient, t: 1 }), undefined);
    const fromWorker = orphanEvent({ ...report, what: 'late-result' }, { worker: 'worker-1' });
    assert.deepEqual(fromWorker, { type: 'orphan', worker: 'worker-1', job: 'j1', what: 'late-result', detail: 'job reply 200 from "echo" after its call ended' });
    assert.equal(invalidEventReason({ ...fromWorker, t: 1 }), undefined);
  });

  test('a malformed orphan report names the field and what came', () => {
    assert.equal(problemOf(line({ type: 'orphan', job: 'j1', what: 'late', detail: '' })), 'the "orphan" report: "what" must be one of late-reply, earlier-attempt, late-result, torn-down (got "late")');
    assert.equal(problemOf(line({ type: 'orphan', job: '', what: 'late-reply', detail: '' })), 'the "orphan" report: "job" must be a non-empty string (got "")');
    assert.equal(problemOf(line({ type: 'orphan', job: 'j1', what: 'torn-down' })), 'the "orphan" report: "detail" must be a string (got nothing)');
  });
});

describe('request-reply driver reports: the KHR/1 stamp (term, broker)', () => {
  test('ok, fail and info keep term and broker, and the events pass the history schema', () => {
    for (const report of [
      line({ type: 'ok', job: 'j1', reply: 'j1', term: 3, broker: 'broker-2' }),
      line({ type: 'fail', job: 'j1', error: 'no such service', term: 0 }),
      line({ type: 'info', job: 'j1', error: 'timeout', accepted: true, broker: 'broker-1' }),
    ]) {
      assert.equal(problemOf(report), undefined, JSON.stringify(report));
      assert.ok(isClientReport(report));
      const event = { ...clientEvent(report, 'client-1'), t: 1 };
      const { term, broker } = report as unknown as { term?: number; broker?: string };
      assert.deepEqual([(event as { term?: number }).term, (event as { broker?: string }).broker], [term, broker], JSON.stringify(event));
      assert.equal(invalidEventReason(event), undefined, JSON.stringify(event));
    }
    assert.equal(problemOf(line({ type: 'exec-start', job: 'j1', worker: 'worker-1', term: 2 })), undefined);
  });

  test('a bad term or broker is a problem naming it', () => {
    assert.equal(problemOf(line({ type: 'ok', job: 'j1', reply: 'j1', term: -1 })), 'the "ok" report: "term" must be a whole number from 0, or absent (got -1)');
    assert.equal(problemOf(line({ type: 'info', job: 'j1', error: 'x', term: '3' })), 'the "info" report: "term" must be a whole number from 0, or absent (got "3")');
    assert.equal(problemOf(line({ type: 'fail', job: 'j1', error: 'x', broker: '' })), 'the "fail" report: "broker" must be a non-empty string, or absent (got "")');
    assert.equal(problemOf(line({ type: 'exec-start', job: 'j1', worker: 'worker-1', term: 1.5 })), 'the "exec-start" report: "term" must be a whole number from 0, or absent (got 1.5)');
  });
});
