import type { ExecEndEvent, ExecStartEvent, HistoryEvent } from '../history/event';
import { derivedOnce } from './frozen-history';
import { invokesByJob } from './jobs';

/**
 * A stretch in which a worker had nothing to do: it committed `from` (its last run open) and its
 * next run starts at `to`. Seen in its own executions, across every job it ran.
 */
export interface WorkerIdle {
  worker: string;
  from: ExecEndEvent;
  to: ExecStartEvent;
}

/**
 * An idle stretch known to be for `service`: the run before it and the run after it are both of the
 * service, so the worker was registered for it on both sides of the stretch.
 */
export interface IdleStretch extends WorkerIdle {
  service: string;
}

/**
 * Each worker's idle stretches, one execution at a time, in history order: over a history in memory,
 * or streamed across a large one (request-reply-in-parts.ts), where only the stretches longer than
 * `keepLongerThanMs` are kept. A run that never ended (killed, failed, given back, lost) keeps its
 * worker busy from then on: whether the broker still counted it as busy cannot be told.
 */
export class IdleStretchTracker {
  private readonly open = new Map<string, Set<string>>();
  private readonly lastEnd = new Map<string, ExecEndEvent>();
  readonly stretches: WorkerIdle[] = [];

  constructor(private readonly keepLongerThanMs = Number.NEGATIVE_INFINITY) {}

  add(event: HistoryEvent): void {
    if (event.type !== 'exec-start' && event.type !== 'exec-end') return;
    let running = this.open.get(event.worker);
    if (running === undefined) this.open.set(event.worker, (running = new Set<string>()));
    if (event.type === 'exec-end') {
      running.delete(event.job);
      if (running.size === 0) this.lastEnd.set(event.worker, event);
      return;
    }
    const idleSince = running.size === 0 ? this.lastEnd.get(event.worker) : undefined;
    this.lastEnd.delete(event.worker);
    running.add(event.job);
    if (idleSince !== undefined && event.t - idleSince.t > this.keepLongerThanMs) this.stretches.push({ worker: event.worker, from: idleSince, to: event });
  }
}

/** The stretches whose runs on both sides are of one service, given each job's service. */
export function ofOneService(stretches: readonly WorkerIdle[], serviceOf: (job: string) => string | undefined): IdleStretch[] {
  const known: IdleStretch[] = [];
  for (const stretch of stretches) {
    const service = serviceOf(stretch.to.job);
    if (service !== undefined && serviceOf(stretch.from.job) === service) known.push({ ...stretch, service });
  }
  return known;
}

/** Each worker's idle stretches of one service over the history (once per frozen history; a part of a large one is seeded with the whole's). */
export function idleStretches(events: readonly HistoryEvent[]): readonly IdleStretch[] {
  return derivedOnce(events, idleStretches, collectStretches);
}

function collectStretches(events: readonly HistoryEvent[]): IdleStretch[] {
  const tracker = new IdleStretchTracker();
  for (const event of events) tracker.add(event);
  const invokes = invokesByJob(events);
  return ofOneService(tracker.stretches, (job) => invokes.get(job)?.service);
}
