import { derivedOnce } from './frozen-history';
import type { ExecEndEvent, ExecKilledEvent, ExecStartEvent, HistoryEvent } from '../history/event';

/**
 * One attempt of a job on a worker: an exec-start, with the exec-end that committed it when one
 * came, or an exec-end whose start was never reported. An attempt whose handler was killed (an
 * exec-killed after its start) ended uncommitted: it has `killed` and no `end`.
 */
export interface JobAttempt {
  worker: string;
  start: ExecStartEvent | undefined;
  end: ExecEndEvent | undefined;
  killed?: ExecKilledEvent;
  /** When the attempt began; the exec-end's stamp stands in if the start was never reported. */
  startedAt: number;
}

/** A committed attempt: a run, whose effect happened. */
export type JobRun = JobAttempt & { end: ExecEndEvent };

/**
 * Every attempt of each job, ordered by start time: each exec-end is paired with the latest unpaired
 * exec-start of the same job on the same worker; starts left unpaired are attempts never committed.
 */
export function attemptsByJob(events: readonly HistoryEvent[]): ReadonlyMap<string, readonly JobAttempt[]> {
  return derivedOnce(events, attemptsByJob, collectAttempts);
}

function collectAttempts(events: readonly HistoryEvent[]): Map<string, JobAttempt[]> {
  // Per job, then per worker: nested maps rather than a joined key, so no two (job, worker) pairs can share one.
  const openStarts = new Map<string, Map<string, ExecStartEvent[]>>();
  const attempts = new Map<string, JobAttempt[]>();
  const add = (job: string, attempt: JobAttempt): void => {
    const list = attempts.get(job) ?? [];
    attempts.set(job, list);
    list.push(attempt);
  };
  for (const event of events) {
    if (event.type !== 'exec-start' && event.type !== 'exec-end' && event.type !== 'exec-killed') continue;
    let byWorker = openStarts.get(event.job);
    if (byWorker === undefined) openStarts.set(event.job, (byWorker = new Map()));
    let open = byWorker.get(event.worker);
    if (open === undefined) byWorker.set(event.worker, (open = []));
    if (event.type === 'exec-start') {
      open.push(event);
      continue;
    }
    const start = open.pop();
    // A paired attempt is done with: only starts still open are kept.
    if (open.length === 0) byWorker.delete(event.worker);
    if (byWorker.size === 0) openStarts.delete(event.job);
    // A kill ends the attempt it stopped without a commit, so no later exec-end can pair with its start.
    if (event.type === 'exec-killed') {
      if (start !== undefined) add(event.job, { worker: event.worker, start, end: undefined, killed: event, startedAt: start.t });
      continue;
    }
    add(event.job, { worker: event.worker, start, end: event, startedAt: start?.t ?? event.t });
  }
  for (const byWorker of openStarts.values()) for (const open of byWorker.values()) for (const start of open) add(start.job, { worker: start.worker, start, end: undefined, startedAt: start.t });
  for (const list of attempts.values()) list.sort((a, b) => a.startedAt - b.startedAt);
  return attempts;
}

export function isRun(attempt: JobAttempt): attempt is JobRun {
  return attempt.end !== undefined;
}

/** The attempt's events in history order: its start (if reported) and its end (if committed) or kill. */
export function attemptEvents(attempt: JobAttempt): HistoryEvent[] {
  return [attempt.start, attempt.end, attempt.killed].filter((event): event is ExecStartEvent | ExecEndEvent | ExecKilledEvent => event !== undefined);
}
