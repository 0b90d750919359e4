import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion, isExecEnd, isExecStart } from './jobs';
import { requestReplyRule } from './request-reply-ladder';

/**
 * A job the system accepted (an exec-start, or an info with accepted: true) whose call ended in
 * `info` and which never reached an end (no ok, no fail). Calls that never ended at all are
 * checkStuck's to report, so they are skipped here. Also a job whose call ended in a definite
 * `fail` although a worker committed it: the application was told the job did not run, so its
 * result is as lost as if no answer had come, and worse, the application will not look for it.
 * A call its client gave up after being stopped gracefully is not lost: nobody was owed the answer.
 */
export function checkLost(events: readonly HistoryEvent[]): Anomaly<'lost'>[] {
  const completions = groupByJob(events, isCompletion);
  const execStartsByJob = groupByJob(events, isExecStart);
  const execEndsByJob = groupByJob(events, isExecEnd);
  const anomalies: Anomaly<'lost'>[] = [];
  const stopped = gracefullyStoppedAt(events);
  for (const [job, invoke] of invokesByJob(events)) {
    const ends = completions.get(job) ?? [];
    const falseFailure = falselyFailed(job, invoke, ends, execEndsByJob.get(job) ?? []);
    if (falseFailure) {
      anomalies.push(falseFailure);
      continue;
    }
    const infos = ends.filter((event) => event.type === 'info');
    if (infos.length === 0 || ends.some((event) => event.type !== 'info')) continue;
    // The client was stopped gracefully before it gave the call up: the application left, nobody was owed the answer.
    if (infos.every((event) => event.type === 'info' && (stopped.get(event.process) ?? Infinity) <= event.t)) continue;

    const execStarts = execStartsByJob.get(job) ?? [];
    const execEnds = execEndsByJob.get(job) ?? [];
    const acceptedInfo = infos.some((event) => event.accepted === true);
    if (execStarts.length === 0 && !acceptedInfo) continue;

    const evidence = execStarts.length > 0 ? 'started on a worker' : 'acknowledged by the system';
    const fate =
      execEnds.length > 0
        ? `reply lost: executed on ${execEnds.map((event) => event.worker).join(', ')} but the client got no reply`
        : `never executed: ${evidence} but no worker committed it`;
    anomalies.push({
      name: 'lost',
      job,
      detail: `job ${job} lost (${fate}); call ended in info: ${infos[0].error}`,
      events: [invoke, ...execStarts, ...execEnds, ...infos],
      // The client gave up when its attempts ran out: a time bound, which a starved machine can exhaust.
      boundMissed: true,
    });
  }
  return anomalies;
}

/** When each node was first asked to stop gracefully (SIGTERM, stdin closed): the start of its first such fault. */
function gracefullyStoppedAt(events: readonly HistoryEvent[]): Map<string, number> {
  const at = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'nemesis' || event.phase !== 'start' || (event.fault !== 'stop' && event.fault !== 'close-stdin')) continue;
    for (const target of event.targets) if (!at.has(target)) at.set(target, event.t);
  }
  return at;
}

/**
 * A definite failure, and no reply, for a job a worker committed. A call that ended `killed` is not
 * one: the kill was asked for, and whether a commit contradicts it (a worker that was not cut off
 * committed the job and it was still answered killed) is the control checker's `killed-and-finished`.
 */
function falselyFailed(job: string, invoke: HistoryEvent, ends: readonly HistoryEvent[], execEnds: readonly HistoryEvent[]): Anomaly<'lost'> | undefined {
  const fails = ends.filter((event) => event.type === 'fail');
  if (fails.length === 0 || execEnds.length === 0 || ends.some((event) => event.type === 'ok' || (event.type === 'fail' && event.killed === true))) return undefined;
  const workers = execEnds.map((event) => (event.type === 'exec-end' ? event.worker : '?')).join(', ');
  const error = fails[0].type === 'fail' ? fails[0].error : '';
  return {
    name: 'lost',
    job,
    detail: `job ${job} lost (executed on ${workers}, but the call ended in a definite failure: ${error})`,
    events: [invoke, ...execEnds, ...fails],
  };
}

export const LOST = requestReplyRule({
  name: 'lost',
  describe:
    'An invoked job whose completions are all `info` (at least one), with no `ok` and no `fail`, and which the system accepted: an `exec-start` for the job exists, or one of its `info`s has `accepted: true`. Detail says *reply lost* if an `exec-end` for the job exists, else *never executed*. Jobs with no completion at all are `stuck`, not `lost`; nor is a call whose every `info` came after its client was asked to stop gracefully (a `stop` or `close-stdin` fault on it): the application left, and nobody was owed the answer. Also a job whose call ended in a definite `fail` (and no `ok`) although an `exec-end` for it exists: the application was told the job did not run, yet it did; a `fail` with `killed` is not counted (the control checker judges a commit against its kill).',
  check: checkLost,
});
