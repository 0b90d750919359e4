import type { HistoryEvent } from '../../history/event';

/**
 * What the processing-timeout scenarios assert of a busy worker and the job it got stuck on, read from
 * the history alone (the checkers judge the whole history against a profile; these name the
 * scenario's own expectation: features/request-reply/processing-timeout.feature).
 */

export interface StuckJob {
  job: string;
  /** History time of the busy worker's exec-start. */
  startedAt: number;
}

/** The job a busy worker got stuck on: the first it started. */
export function stuckJobOf(events: readonly HistoryEvent[], worker: string): StuckJob {
  const start = events.find((event) => event.type === 'exec-start' && event.worker === worker);
  if (start?.type !== 'exec-start') throw new Error(`${worker} started no job: it was never stuck, so nothing was tested`);
  return { job: start.job, startedAt: start.t };
}

/**
 * The stuck job was committed by another worker, never by the stuck one, and its call got its reply
 * within `boundMs` of the moment the stuck worker started it.
 */
export function expectTakenOver(events: readonly HistoryEvent[], worker: string, boundMs: number): void {
  const { job, startedAt } = stuckJobOf(events, worker);
  const ends = events.filter((event) => event.type === 'exec-end' && event.job === job);
  if (ends.some((event) => event.type === 'exec-end' && event.worker === worker)) throw new Error(`${worker} committed ${job}, the job it was to be stuck on: it was not stuck`);
  if (ends.length === 0) throw new Error(`no worker committed ${job}, the job ${worker} was stuck on`);
  const ok = events.find((event) => event.type === 'ok' && event.job === job);
  if (ok === undefined) throw new Error(`the call of ${job}, the job ${worker} was stuck on, got no reply`);
  const took = ok.t - startedAt;
  if (took > boundMs) throw new Error(`the call of ${job} got its reply ${took.toFixed(0)} ms after ${worker} got stuck on it, past the ${boundMs} ms bound (processing timeout + one heartbeat + the recovery bound)`);
}

/**
 * The stuck worker got no other job while it was stuck: none started after the stuck one and before
 * it reported that job killed. With `killed`, the kill must have reached it (a KHC/1 worker); without,
 * it stays stuck to the end of the history.
 */
export function expectNoJobWhileStuck(events: readonly HistoryEvent[], worker: string, killed: boolean): void {
  const { job, startedAt } = stuckJobOf(events, worker);
  const killedAt = events.find((event) => event.type === 'exec-killed' && event.worker === worker && event.job === job)?.t;
  if (killed && killedAt === undefined) throw new Error(`${worker} never reported ${job} killed: the broker did not stop the job it was stuck on`);
  const until = killedAt ?? Infinity;
  const others = events.filter((event) => event.type === 'exec-start' && event.worker === worker && event.t > startedAt && event.t < until);
  if (others.length > 0) throw new Error(`${worker} started ${others.map((event) => (event as { job: string }).job).join(', ')} while stuck on ${job}`);
}

/**
 * A slow worker (every job past the processing timeout) committed nothing: each job it started was
 * reported killed, and committed by another worker. Vacuous if it started none.
 */
export function expectSlowJobsTakenOver(events: readonly HistoryEvent[], worker: string): void {
  const started = [...new Set(events.flatMap((event) => (event.type === 'exec-start' && event.worker === worker ? [event.job] : [])))];
  if (started.length === 0) throw new Error(`${worker} started no job: nothing was tested`);
  const problems = started.flatMap((job) => {
    const ends = events.filter((event) => event.type === 'exec-end' && event.job === job).map((event) => (event as { worker: string }).worker);
    if (ends.includes(worker)) return [`${job}: committed by ${worker} itself`];
    if (!events.some((event) => event.type === 'exec-killed' && event.worker === worker && event.job === job)) return [`${job}: never reported killed by ${worker}`];
    return ends.length === 0 ? [`${job}: committed by no other worker`] : [];
  });
  if (problems.length > 0) throw new Error(`${worker}'s jobs were not taken over: ${problems.join('; ')}`);
}
