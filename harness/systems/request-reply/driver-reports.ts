import type { ClassReport, ClientReport, DriverReport, KillOutcome, OrphanReport, WorkerReport } from '../../../reference/drivers/protocol';
import { ORPHAN_KINDS, type OrphanEvent, type ReplicaStamp, type UnstampedEvent } from '../../history/event';

/**
 * The request-reply driver reports the harness turns into history events, their fields checked.
 * A driver's stdout line is only known to be a JSON object with a string `type` (report-line.ts);
 * a report of a known type with a missing or wrong field is a problem naming the field, and is
 * never recorded: a history holds only events the schema accepts.
 */
export type CheckedReport<R> = { report: R } | { problem: string };

const KILL_OUTCOMES: readonly KillOutcome[] = ['killed', 'finished', 'unknown'];
const CLIENT_TYPES: readonly ClientReport['type'][] = ['ok', 'fail', 'info', 'kill-answer', 'kill-info'];
const WORKER_TYPES: readonly WorkerReport['type'][] = ['exec-start', 'exec-end', 'exec-killed'];
const CLASS_TYPES: readonly ClassReport['type'][] = ['attempt', 'attempt-fail', 'sent', 'dropped'];

type Fields = Record<string, unknown>;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** The first problem with `fields`, or undefined: each named field must hold what its check accepts. */
function firstProblem(type: string, fields: Fields, checks: Record<string, [(value: unknown) => boolean, string]>): string | undefined {
  for (const [name, [accepts, what]] of Object.entries(checks)) {
    if (!accepts(fields[name])) return `the "${type}" report: "${name}" must be ${what} (got ${show(fields[name])})`;
  }
  return undefined;
}

const nonEmpty: [(value: unknown) => boolean, string] = [(value) => typeof value === 'string' && value !== '', 'a non-empty string'];
const text: [(value: unknown) => boolean, string] = [(value) => typeof value === 'string', 'a string'];
const optionalTrue: [(value: unknown) => boolean, string] = [(value) => value === undefined || value === true, 'true or absent'];
const optionalBoolean: [(value: unknown) => boolean, string] = [(value) => value === undefined || typeof value === 'boolean', 'a boolean or absent'];
const orphanKind: [(value: unknown) => boolean, string] = [(value) => (ORPHAN_KINDS as readonly unknown[]).includes(value), `one of ${ORPHAN_KINDS.join(', ')}`];
const optionalTerm: [(value: unknown) => boolean, string] = [(value) => value === undefined || (Number.isInteger(value) && (value as number) >= 0), 'a whole number from 0, or absent'];
const optionalNodeId: [(value: unknown) => boolean, string] = [(value) => value === undefined || (typeof value === 'string' && value !== ''), 'a non-empty string, or absent'];
/** KHR/1 (docs/drivers.md): a reply's or a dispatch's term and the broker that sent it, on `ok`, `fail`, `info` and `exec-start`. */
const replicaStampChecks = { term: optionalTerm, broker: optionalNodeId };
const outcome: [(value: unknown) => boolean, string] = [(value) => (KILL_OUTCOMES as readonly unknown[]).includes(value), `one of ${KILL_OUTCOMES.join(', ')}`];

/** Whether a report is a client driver's: an outcome of a call or of a kill. */
export function isClientReport(report: DriverReport): report is ClientReport {
  return (CLIENT_TYPES as readonly string[]).includes(report.type);
}

/** Whether a report is a client driver's about attempts or a best-effort call's end (docs/drivers.md, "Classes of service"). */
export function isClassReport(report: DriverReport): report is ClassReport {
  return (CLASS_TYPES as readonly string[]).includes(report.type);
}

const positiveInteger: [(value: unknown) => boolean, string] = [(value) => Number.isInteger(value) && (value as number) >= 1, 'a whole number from 1'];
const milliseconds: [(value: unknown) => boolean, string] = [(value) => typeof value === 'number' && Number.isFinite(value) && value >= 0, 'a number of ms, 0 or more'];

/** A class report with every field checked: `job` non-empty; `n` a whole number ≥ 1; `reason` non-empty; `ms` ≥ 0. */
export function checkClassReport(report: ClassReport): CheckedReport<ClassReport> {
  const problem = firstProblem(report.type, report as unknown as Fields, {
    job: nonEmpty,
    ...(report.type === 'attempt' || report.type === 'attempt-fail' ? { n: positiveInteger } : {}),
    ...(report.type === 'attempt-fail' || report.type === 'dropped' ? { reason: nonEmpty } : {}),
    ...(report.type === 'sent' ? { ms: milliseconds } : {}),
  });
  return problem === undefined ? { report } : { problem };
}

/** Whether a report is a worker driver's: an execution of a job's handler. */
export function isWorkerReport(report: DriverReport): report is WorkerReport {
  return (WORKER_TYPES as readonly string[]).includes(report.type);
}

/** Whether a report is an orphan (from a client or a worker driver): a message the node dropped. */
export function isOrphanReport(report: DriverReport): report is OrphanReport {
  return report.type === 'orphan';
}

/** An orphan report with every field checked: `job` non-empty, `what` a known kind, `detail` a string. */
export function checkOrphanReport(report: OrphanReport): CheckedReport<OrphanReport> {
  const problem = firstProblem(report.type, report as unknown as Fields, { job: nonEmpty, what: orphanKind, detail: text });
  return problem === undefined ? { report } : { problem };
}

/** The history event of a checked orphan report from a client (`process`) or a worker (`worker`) node. */
export function orphanEvent(report: OrphanReport, node: { process: string } | { worker: string } | { broker: string }): Omit<OrphanEvent, 't'> {
  return { type: 'orphan', ...node, job: report.job, what: report.what, detail: report.detail };
}

/** A client driver's report with every field checked (docs/drivers.md); `killed` on a fail is only ever `true`. */
export function checkClientReport(report: ClientReport): CheckedReport<ClientReport> {
  const fields = report as unknown as Fields;
  const problem = firstProblem(report.type, fields, {
    job: nonEmpty,
    ...(report.type === 'ok' ? { reply: text, ...replicaStampChecks } : {}),
    ...(report.type === 'fail' ? { error: text, killed: optionalTrue, ...replicaStampChecks } : {}),
    ...(report.type === 'info' ? { error: text, accepted: optionalBoolean, ...replicaStampChecks } : {}),
    ...(report.type === 'kill-answer' ? { outcome } : {}),
    ...(report.type === 'kill-info' ? { error: text } : {}),
  });
  return problem === undefined ? { report } : { problem };
}

/**
 * A worker driver's report with `job` and `worker` checked. Its `job` is the request's first body
 * frame as the worker got it, which a malformed request can leave empty: any string is reported.
 */
export function checkWorkerReport(report: WorkerReport): CheckedReport<WorkerReport> {
  const problem = firstProblem(report.type, report as unknown as Fields, { job: text, worker: nonEmpty, ...(report.type === 'exec-start' ? replicaStampChecks : {}) });
  return problem === undefined ? { report } : { problem };
}

/**
 * The KHR/1 stamp of a checked report (`term`, `broker`), when it carries one. The reference driver
 * protocol's types leave them out (a single broker has none), so they are read as the checked fields
 * they are: checkClientReport and checkWorkerReport accepted them or refused the report.
 */
export function replicaStampOf(report: ClientReport | WorkerReport): ReplicaStamp {
  const fields = report as unknown as Fields;
  return {
    ...(typeof fields.term === 'number' ? { term: fields.term } : {}),
    ...(typeof fields.broker === 'string' ? { broker: fields.broker } : {}),
  };
}

/** The history event of a checked client report from `process`: only the fields the schema knows, so a driver's extra fields stay out. */
export function clientEvent(report: ClientReport, process: string): Extract<UnstampedEvent, { type: ClientReport['type'] }> {
  switch (report.type) {
    case 'ok':
      return { type: 'ok', process, job: report.job, reply: report.reply, ...replicaStampOf(report) };
    case 'fail':
      return { type: 'fail', process, job: report.job, error: report.error, ...(report.killed === true ? { killed: true as const } : {}), ...replicaStampOf(report) };
    case 'info':
      return { type: 'info', process, job: report.job, error: report.error, ...(report.accepted !== undefined ? { accepted: report.accepted } : {}), ...replicaStampOf(report) };
    case 'kill-answer':
      return { type: 'kill-answer', process, job: report.job, outcome: report.outcome };
    case 'kill-info':
      return { type: 'kill-info', process, job: report.job, error: report.error };
  }
}

/** The history event of a checked class report from client `process`: only the fields the schema knows. */
export function classEvent(report: ClassReport, process: string): Extract<UnstampedEvent, { type: ClassReport['type'] }> {
  switch (report.type) {
    case 'attempt':
      return { type: 'attempt', process, job: report.job, n: report.n };
    case 'attempt-fail':
      return { type: 'attempt-fail', process, job: report.job, n: report.n, reason: report.reason };
    case 'sent':
      return { type: 'sent', process, job: report.job, ms: report.ms };
    case 'dropped':
      return { type: 'dropped', process, job: report.job, reason: report.reason };
  }
}
