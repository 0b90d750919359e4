import { ms } from '../../util/format-ms';
import type { HistoryEvent } from '../../history/event';

/**
 * The request-reply model of the picture: each job's call (invoke to outcome, on its client) and
 * executions (exec-start to exec-end, on their workers), and the instants that fit no bar.
 */
export type Outcome = 'ok' | 'fail' | 'info' | 'none';

export interface JobOutcome {
  t: number;
  type: Exclude<Outcome, 'none'>;
  error?: string;
  accepted?: boolean;
  reply?: string;
}

export interface Job {
  readonly id: string;
  invoke?: { t: number; process: string; service: string };
  outcome?: JobOutcome;
  readonly execs: { worker: string; start: number; end?: number }[];
  readonly marks: Mark[];
}

/** Fill classes; the numeric rank decides which wins a pixel column in dense mode. */
export type BarClass = Outcome | 'open-exec';
export const CLASS_RANK: Record<BarClass, number> = { ok: 1, 'open-exec': 2, info: 3, fail: 4, none: 5 };
export const CLASS_BY_RANK: readonly BarClass[] = ['ok', 'ok', 'open-exec', 'info', 'fail', 'none'];

/** A single instant that does not fit a bar: a repeated invoke or outcome, or an orphan event. */
export interface Mark {
  readonly lane: string;
  readonly t: number;
  readonly cls: BarClass;
  readonly text: string;
}

export function collectJobs(timed: readonly HistoryEvent[]): Job[] {
  const jobs = new Map<string, Job>();
  const job = (id: string): Job => {
    let found = jobs.get(id);
    if (found === undefined) {
      found = { id, execs: [], marks: [] };
      jobs.set(id, found);
    }
    return found;
  };
  for (const event of timed) {
    switch (event.type) {
      case 'invoke': {
        const target = job(event.job);
        if (target.invoke === undefined) target.invoke = { t: event.t, process: event.process, service: event.service };
        else target.marks.push({ lane: event.process, t: event.t, cls: 'none', text: `invoked again at ${ms(event.t)}` });
        break;
      }
      case 'ok':
      case 'fail':
      case 'info': {
        const target = job(event.job);
        const outcome: JobOutcome = {
          t: event.t,
          type: event.type,
          ...(event.type === 'ok' ? { reply: event.reply } : { error: event.error }),
          ...(event.type === 'info' && event.accepted !== undefined ? { accepted: event.accepted } : {}),
        };
        if (target.invoke !== undefined && target.outcome === undefined) {
          target.outcome = outcome;
        } else {
          const why = target.invoke === undefined ? 'without an invoke' : 'after an earlier outcome';
          target.marks.push({ lane: event.process, t: event.t, cls: event.type, text: `${describeOutcome(outcome)} ${why}` });
        }
        break;
      }
      case 'exec-start':
        job(event.job).execs.push({ worker: event.worker, start: event.t });
        break;
      case 'exec-end': {
        const target = job(event.job);
        const open = target.execs.find((exec) => exec.worker === event.worker && exec.end === undefined);
        if (open !== undefined) open.end = event.t;
        else target.marks.push({ lane: event.worker, t: event.t, cls: 'none', text: `exec-end at ${ms(event.t)} without exec-start` });
        break;
      }
      case 'exec-killed': {
        // The execution ends uncommitted: its bar stops here, and a mark says why.
        const target = job(event.job);
        const open = target.execs.find((exec) => exec.worker === event.worker && exec.end === undefined);
        if (open !== undefined) open.end = event.t;
        target.marks.push({ lane: event.worker, t: event.t, cls: 'fail', text: `handler killed at ${ms(event.t)}${open === undefined ? ' without exec-start' : ''}` });
        break;
      }
      case 'kill':
        job(event.job).marks.push({ lane: event.process, t: event.t, cls: 'none', text: `kill asked at ${ms(event.t)}` });
        break;
      case 'kill-answer':
        job(event.job).marks.push({ lane: event.process, t: event.t, cls: event.outcome === 'killed' ? 'fail' : 'none', text: `kill answered ${event.outcome} at ${ms(event.t)}` });
        break;
      case 'kill-info':
        job(event.job).marks.push({ lane: event.process, t: event.t, cls: 'info', text: `kill unanswered at ${ms(event.t)} (${event.error})` });
        break;
      case 'orphan':
        // Dropped by the node, never an answer: a mark, not an outcome.
        job(event.job).marks.push({ lane: event.process ?? event.worker ?? event.broker ?? '', t: event.t, cls: 'none', text: `orphan ${event.what} dropped at ${ms(event.t)} (${event.detail})` });
        break;
    }
  }
  return [...jobs.values()];
}

export function outcomeOf(job: Job): Outcome {
  return job.outcome?.type ?? 'none';
}

/** Anything but a single clean execution ending in ok: the jobs a reader is looking for. */
export function isNotable(job: Job): boolean {
  return outcomeOf(job) !== 'ok' || job.execs.length !== 1 || job.execs.some((exec) => exec.end === undefined) || job.marks.length > 0;
}

export function describeOutcome(outcome: JobOutcome): string {
  const at = `${outcome.type} at ${ms(outcome.t)}`;
  if (outcome.type === 'ok') return outcome.reply !== undefined && outcome.reply !== '' ? `${at} (reply names ${outcome.reply})` : at;
  const accepted = outcome.accepted === undefined ? '' : `, accepted: ${outcome.accepted}`;
  return `${at} (${outcome.error ?? ''}${accepted})`;
}

export interface JobStats {
  jobs: number;
  ok: number;
  fail: number;
  info: number;
  none: number;
  executions: number;
  notable: number;
}

export function summariseJobs(jobs: readonly Job[]): JobStats {
  const stats: JobStats = { jobs: 0, ok: 0, fail: 0, info: 0, none: 0, executions: 0, notable: 0 };
  for (const job of jobs) {
    if (job.invoke !== undefined) {
      stats.jobs += 1;
      stats[outcomeOf(job)] += 1;
    }
    stats.executions += job.execs.length;
    if (isNotable(job)) stats.notable += 1;
  }
  return stats;
}
