import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion, isExecEnd, isExecStart } from './jobs';

/**
 * A job the system accepted (an exec-start, or an info with accepted: true) whose call ended in
 * `info` and which never reached an end (no ok, no fail). Calls that never ended at all are
 * checkStuck's to report, so they are skipped here.
 */
export function checkLost(events: readonly HistoryEvent[]): Anomaly[] {
  const completions = groupByJob(events, isCompletion);
  const execStartsByJob = groupByJob(events, isExecStart);
  const execEndsByJob = groupByJob(events, isExecEnd);
  const anomalies: Anomaly[] = [];
  for (const [job, invoke] of invokesByJob(events)) {
    const ends = completions.get(job) ?? [];
    const infos = ends.filter((event) => event.type === 'info');
    if (infos.length === 0 || ends.some((event) => event.type !== 'info')) continue;

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
    });
  }
  return anomalies;
}
