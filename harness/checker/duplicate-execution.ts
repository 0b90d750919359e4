import type { ExecEndEvent, ExecStartEvent, HistoryEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { ms } from '../util/format-ms';
import type { RequestReplyCheck } from './request-reply';

/** One committed run of a job: an exec-end, with the exec-start that opened it when one was seen. */
interface Execution {
  worker: string;
  start: ExecStartEvent | undefined;
  end: ExecEndEvent;
  /** When the run began; the exec-end's stamp stands in if the start was never reported. */
  startedAt: number;
}

/** Pairs each exec-end with the latest unpaired exec-start of the same job on the same worker. */
function executionsByJob(events: readonly HistoryEvent[]): Map<string, Execution[]> {
  const openStarts = new Map<string, ExecStartEvent[]>();
  const executions = new Map<string, Execution[]>();
  for (const event of events) {
    if (event.type !== 'exec-start' && event.type !== 'exec-end') continue;
    const key = JSON.stringify([event.job, event.worker]);
    const open = openStarts.get(key) ?? [];
    openStarts.set(key, open);
    if (event.type === 'exec-start') {
      open.push(event);
      continue;
    }
    const start = open.pop();
    const runs = executions.get(event.job) ?? [];
    executions.set(event.job, runs);
    runs.push({ worker: event.worker, start, end: event, startedAt: start?.t ?? event.t });
  }
  return executions;
}

/** A fault that hit an earlier run's worker while that run could still have been in flight. */
function findExplanation(earlier: readonly Execution[], rerun: Execution, faults: readonly NemesisEvent[]): NemesisEvent | undefined {
  for (const run of earlier) {
    const fault = faults.find(
      (candidate) =>
        candidate.targets.includes(run.worker) && candidate.t >= run.startedAt && candidate.t <= rerun.startedAt,
    );
    if (fault !== undefined) return fault;
  }
  return undefined;
}

function runEvents(run: Execution): HistoryEvent[] {
  return run.start === undefined ? [run.end] : [run.start, run.end];
}

/**
 * More than one exec-end for the same job: one anomaly per extra run (the 2nd, 3rd, ... by start
 * time). An extra run is explained when a fault started on an earlier run's worker between that
 * run's start and the extra run's start — the worker died, froze or was cut off mid-job.
 */
export function checkDuplicateExecution(events: readonly HistoryEvent[]): Anomaly<'duplicate-execution'>[] {
  const faults = events.filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start');
  const anomalies: Anomaly<'duplicate-execution'>[] = [];
  for (const [job, unordered] of executionsByJob(events)) {
    const runs = [...unordered].sort((a, b) => a.startedAt - b.startedAt);
    for (let index = 1; index < runs.length; index++) {
      const rerun = runs[index];
      const earlier = runs.slice(0, index);
      const explainedBy = findExplanation(earlier, rerun, faults);
      const earlierWorkers = [...new Set(earlier.map((run) => run.worker))].join(', ');
      const verdict =
        explainedBy === undefined
          ? `unexplained: no fault hit ${earlierWorkers} before the re-run`
          : `explained by ${explainedBy.fault} on [${explainedBy.targets.join(', ')}] at ${ms(explainedBy.t)}`;
      anomalies.push({
        name: 'duplicate-execution',
        job,
        detail: `job ${job} executed again (run ${index + 1}) on ${rerun.worker} at ${ms(rerun.startedAt)} after running on ${earlierWorkers}; ${verdict}`,
        events: [...earlier.flatMap(runEvents), ...runEvents(rerun), ...(explainedBy === undefined ? [] : [explainedBy])],
        ...(explainedBy === undefined ? {} : { explainedBy }),
      });
    }
  }
  return anomalies;
}

export const DUPLICATE_EXECUTION: RequestReplyCheck<'duplicate-execution'> = {
  name: 'duplicate-execution',
  system: 'request-reply',
  forbiddenBy: ['exactly-once'],
  explained: 're-runs',
  describe:
    'More than one `exec-end` for the same job. Each `exec-end` is paired with the latest unpaired `exec-start` of the same job on the same worker (its start time falls back to the `exec-end`\'s `t` if none); runs are ordered by start time, and each run after the first is one anomaly. A started-but-never-committed attempt is not a run. An extra run is **explained** (`explainedBy` set) when some nemesis `start` has a `targets` entry equal to the worker of an earlier run and `earlier.start.t <= fault.t <= extra.start.t`; otherwise it is **unexplained**.',
  check: checkDuplicateExecution,
};
