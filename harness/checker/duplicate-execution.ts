import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { attemptEvents, attemptsByJob, isRun } from './job-attempts';
import { invokesByJob } from './jobs';
import { ms } from '../util/format-ms';
import type { RequestReplyCheck } from './request-reply';
import { EXCUSING_CAUSES, explainRerun, rerunScene } from './rerun-cause';

/**
 * One anomaly per extra run of a job (the 2nd, 3rd, ... by start time), each naming the fault that
 * caused it when one could have (rerun-cause.ts): only a worker's death or cut-off excuses it.
 */
export function checkDuplicateExecution(events: readonly HistoryEvent[]): Anomaly<'duplicate-execution'>[] {
  const scene = rerunScene(events);
  const invokes = invokesByJob(events);
  const anomalies: Anomaly<'duplicate-execution'>[] = [];
  for (const [job, attempts] of attemptsByJob(events)) {
    // A started-but-never-committed attempt is not a run: its effect never happened.
    const runs = attempts.filter(isRun);
    for (let index = 1; index < runs.length; index++) {
      const rerun = runs[index];
      const earlier = runs.slice(0, index);
      const explanation = explainRerun(scene, { submitted: invokes.get(job), earlier, rerunAt: rerun.startedAt });
      const earlierWorkers = [...new Set(earlier.map((run) => run.worker))].join(', ');
      anomalies.push({
        name: 'duplicate-execution',
        job,
        detail: `job ${job} executed again (run ${index + 1}) on ${rerun.worker} at ${ms(rerun.startedAt)} after running on ${earlierWorkers}; ${explanation.text}`,
        events: [...earlier.flatMap(attemptEvents), ...attemptEvents(rerun), ...(explanation.fault === undefined ? [] : [explanation.fault])],
        ...(explanation.fault === undefined ? {} : { explainedBy: explanation.fault, cause: explanation.cause }),
      });
    }
  }
  return anomalies;
}

export const DUPLICATE_EXECUTION: RequestReplyCheck<'duplicate-execution'> = {
  name: 'duplicate-execution',
  system: 'request-reply',
  forbiddenBy: ['exactly-once'],
  explained: { label: 're-runs', excusingCauses: EXCUSING_CAUSES },
  describe:
    'More than one `exec-end` for the same job. Each `exec-end` is paired with the latest unpaired `exec-start` of the same job on the same worker (its start time falls back to the `exec-end`\'s `t` if none); runs are ordered by start time, and each run after the first is one anomaly. A started-but-never-committed attempt is not a run. Each extra run names its cause (`explainedBy`, `cause`): among the nemesis `start`s with `t <= extra.start.t` that could have caused it, the nearest, preferring an excusing one. A fault whose `targets` include the worker of an earlier run, with `t >= earlier.start.t`, is a `worker-fault` (a node fault: one target) or `worker-link-fault` (a link fault: several targets, or `effect.links`); from the `invoke` of the job on, one on the invoking client is a `client-fault` or `client-link-fault`, and a node fault on a node that neither reports executions nor invokes is a `broker-fault`. Only `worker-fault` and `worker-link-fault` **excuse** the re-run; with no cause it is **unexplained**.',
  check: checkDuplicateExecution,
};
