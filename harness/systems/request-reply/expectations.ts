import type { HistoryEvent } from '../../history/event';
import { Inconclusive } from '../../verdict/inconclusive';

/**
 * Scenario-specific claims about a history, beyond the profile's anomaly checks. Each is a pure
 * function that throws an Error saying exactly what the history lacks.
 */

function outcomes(events: readonly HistoryEvent[]): Map<string, HistoryEvent['type'][]> {
  const byJob = new Map<string, HistoryEvent['type'][]>();
  for (const event of events) {
    if (event.type === 'invoke') byJob.set(event.job, byJob.get(event.job) ?? []);
    else if (event.type === 'ok' || event.type === 'fail' || event.type === 'info') byJob.get(event.job)?.push(event.type);
  }
  return byJob;
}

function sample(jobs: string[]): string {
  return jobs.slice(0, 5).join(', ') + (jobs.length > 5 ? ` and ${jobs.length - 5} more` : '');
}

/** Every invoked job got exactly one reply (and nothing else). */
export function expectEveryJobAnswered(events: readonly HistoryEvent[]): void {
  const byJob = outcomes(events);
  if (byJob.size === 0) throw new Error('no job was invoked');
  const notAnswered = [...byJob].filter(([, seen]) => seen.length !== 1 || seen[0] !== 'ok').map(([job, seen]) => `${job} (${seen.join('+') || 'no outcome'})`);
  if (notAnswered.length > 0) throw new Error(`${notAnswered.length} of ${byJob.size} jobs were not answered exactly once: ${sample(notAnswered)}`);
}

/** No job's handler committed more than once, explained or not: what exactly-once promises when no worker died. */
export function expectNoJobRanTwice(events: readonly HistoryEvent[]): void {
  const runs = new Map<string, string[]>();
  for (const event of events) if (event.type === 'exec-end') runs.set(event.job, [...(runs.get(event.job) ?? []), event.worker]);
  if (runs.size === 0) throw new Error('no job ran at all');
  const twice = [...runs].filter(([, workers]) => workers.length > 1).map(([job, workers]) => `${job} (on ${workers.join(', ')})`);
  if (twice.length > 0) throw new Error(`${twice.length} of ${runs.size} jobs ran more than once: ${sample(twice)}`);
}

/** Every call returned with a reply or a definite failure: none ended indeterminate or stayed open. */
export function expectEveryCallSettledDefinitely(events: readonly HistoryEvent[]): void {
  const byJob = outcomes(events);
  if (byJob.size === 0) throw new Error('no job was invoked');
  const unsettled = [...byJob].filter(([, seen]) => !seen.includes('ok') && !seen.includes('fail')).map(([job, seen]) => `${job} (${seen.join('+') || 'no outcome'})`);
  if (unsettled.length > 0) throw new Error(`${unsettled.length} of ${byJob.size} calls ended without a reply or a definite failure: ${sample(unsettled)}`);
}

/** Every call to `service` failed definitely, each within `boundMs` of its invocation. */
export function expectDefiniteFailures(events: readonly HistoryEvent[], service: string, boundMs: number): void {
  const invoked = new Map<string, number>();
  for (const event of events) if (event.type === 'invoke' && event.service === service) invoked.set(event.job, event.t);
  if (invoked.size === 0) throw new Error(`no call to "${service}" was invoked`);
  const problems: string[] = [];
  for (const [job, t] of invoked) {
    const end = events.find((e) => (e.type === 'ok' || e.type === 'fail' || e.type === 'info') && e.job === job);
    if (!end) problems.push(`${job} never returned`);
    else if (end.type !== 'fail') problems.push(`${job} ended ${end.type}, not a definite failure`);
    else if (end.t - t > boundMs) problems.push(`${job} failed after ${Math.round(end.t - t)} ms, bound ${boundMs} ms`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** Each of `jobs` was executed to the end by a worker other than `worker`, and answered. */
export function expectJobsCompletedElsewhere(events: readonly HistoryEvent[], jobs: readonly string[], worker: string): void {
  expectJobsRunAndAnswered(events, jobs, worker, true);
}

/**
 * Each of `jobs` ran to the end on some worker and was answered: by another worker, or (KHX/1) by
 * the faulted one handing in the result it finished while cut off or frozen.
 */
export function expectJobsAnswered(events: readonly HistoryEvent[], jobs: readonly string[], worker: string): void {
  expectJobsRunAndAnswered(events, jobs, worker, false);
}

/**
 * The jobs a kill really took from `worker`: those it held and had not finished. A kill is not
 * instant: on a loaded machine the worker may finish the job it held (and report it) before the
 * signal lands. Such a job was not hit, and nobody owes running it elsewhere. None left: Inconclusive.
 */
function jobsTheKillTook(events: readonly HistoryEvent[], faultJobs: readonly string[], worker: string): readonly string[] {
  if (faultJobs.length === 0) throw new Inconclusive(`the fault hit no job on ${worker}, so this scenario tested nothing`);
  const finishedThere = faultJobs.filter((job) => events.some((e) => e.type === 'exec-end' && e.job === job && e.worker === worker));
  const jobs = faultJobs.filter((job) => !finishedThere.includes(job));
  if (jobs.length === 0) throw new Inconclusive(`${worker} finished ${sample(finishedThere)} before the fault landed: it hit no job in flight, so this scenario tested nothing`);
  return jobs;
}

/**
 * Each job the kill took from `worker` started again on another worker. Used where the clients make
 * one attempt only, so no retry of theirs can have brought it back: only the broker's re-queue.
 */
export function expectJobsResentElsewhere(events: readonly HistoryEvent[], faultJobs: readonly string[], worker: string, boundMs: number): void {
  const jobs = jobsTheKillTook(events, faultJobs, worker);
  const missing = jobs.filter((job) => !events.some((e) => e.type === 'exec-start' && e.job === job && e.worker !== worker));
  if (missing.length > 0) {
    throw new Error(
      `${sample(missing)}, held by ${worker} when it died, did not start on another worker within ${boundMs} ms; ` +
        'the clients make one attempt per call, so only the broker could have re-sent it: it dropped the dead worker\'s request instead of re-queueing it',
    );
  }
}

function expectJobsRunAndAnswered(events: readonly HistoryEvent[], faultJobs: readonly string[], worker: string, elsewhere: boolean): void {
  if (faultJobs.length === 0) throw new Inconclusive(`the fault hit no job on ${worker}, so this scenario tested nothing`);
  const jobs = elsewhere ? jobsTheKillTook(events, faultJobs, worker) : faultJobs;
  const problems: string[] = [];
  for (const job of jobs) {
    if (!events.some((e) => e.type === 'exec-end' && e.job === job && (!elsewhere || e.worker !== worker))) {
      problems.push(`${job} never ran to the end${elsewhere ? ' on another worker' : ''}`);
    }
    if (!events.some((e) => e.type === 'ok' && e.job === job)) problems.push(`${job} got no reply`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** `worker` started at least one job after history time `since`. */
export function expectWorkerRanJobsSince(events: readonly HistoryEvent[], worker: string, since: number): void {
  if (!events.some((e) => e.type === 'exec-start' && e.worker === worker && e.t > since)) {
    throw new Error(`${worker} ran no job after t=${Math.round(since)} ms: it did not come back into service`);
  }
}

/** The workers that started `job`, with the history time each did. */
export function startsOf(events: readonly HistoryEvent[], job: string): { worker: string; t: number }[] {
  return events.flatMap((e) => (e.type === 'exec-start' && e.job === job ? [{ worker: e.worker, t: e.t }] : []));
}

/**
 * Workers other than `except` finished jobs between history times `from` and `to`: connections
 * already open kept working while a fault acted on new ones.
 */
export function expectOthersRanJobsBetween(events: readonly HistoryEvent[], except: string, from: number, to: number): void {
  if (!events.some((e) => e.type === 'exec-end' && e.worker !== except && e.t > from && e.t < to)) {
    throw new Error(`no worker but ${except} finished a job between t=${Math.round(from)} and t=${Math.round(to)} ms: open connections did not keep working`);
  }
}
