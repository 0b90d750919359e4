import type { HistoryEvent, InvokeEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { attemptEvents, attemptsByJob, type JobAttempt } from './job-attempts';
import { groupByJob, invokesByJob, isOk } from './jobs';
import { ms } from '../util/format-ms';
import { requestReplyRule } from './request-reply-ladder';
import { isBroker } from './common/node-roles';
import { isLinkFault, rerunScene, whatHappened, type RerunCause, type RerunScene } from './rerun-cause';

/**
 * What the check knows of the clients' retries: each attempt of a call waits `clientTimeout` for its
 * reply before the next is sent, and a call makes at most `clientAttempts`. Without them (a history
 * checked with no timing) a job may have one attempt more than its faults explain, at any time.
 */
export interface ClientRetryBounds {
  clientTimeout?: number;
  clientAttempts?: number;
  /**
   * A worker frozen or cut off is still sent jobs; it starts them when it resumes or the link heals, and
   * within one liveness period it may give them back (its lease lapsed across the fault). An attempt on
   * the faulted worker that starts within this long after the fault ended was hit by it too. 0 without it.
   */
  livenessPeriod?: number;
}

/**
 * Something that can make a job run once more. Each one explains at most one attempt, and only one
 * that starts at or after `from` (a retry cannot be sent before its client's timeout ran out, a fault
 * cannot cause what began before it).
 */
interface RerunSource {
  from: number;
  /** Absent for a client's retry. */
  fault?: NemesisEvent;
  cause: RerunCause | 'client-retry';
  /** The node the fault hit, or the client that retried. */
  node: string;
  /** For a fault on a worker: the index of the attempt it hit, which only a later attempt may re-run. */
  hitAttempt?: number;
  /** The attempt it was charged with, once charged. */
  chargedWith?: number;
}

/** When each fault ended, by id; a fault that never ended lasts to the end of the history. */
function faultEnds(events: readonly HistoryEvent[]): Map<string, number> {
  const ends = new Map<string, number>();
  for (const event of events) if (event.type === 'nemesis' && event.phase === 'end') ends.set(event.id, event.t);
  return ends;
}

interface JobFacts {
  submitted: InvokeEvent | undefined;
  attempts: readonly JobAttempt[];
  /** When the client got its answer: no retry is sent, and no broker fault matters, after it. */
  answeredAt: number;
}

/**
 * What each fault can explain for one job: a fault on a worker, one re-run of each attempt it hit
 * (it hit the worker while or after the attempt ran: the broker gives that worker's job to another);
 * a broker fault while the job was unanswered, one re-run (a broker without a journal forgets every
 * job in flight, and the client's retry runs it again); a fault on the submitting client, one re-run.
 */
function faultSources(scene: RerunScene, ends: ReadonlyMap<string, number>, job: JobFacts, aftermathMs: number): RerunSource[] {
  const sources: RerunSource[] = [];
  const submittedAt = job.submitted?.t ?? job.attempts[0]?.startedAt ?? 0;
  const client = job.submitted?.process;
  for (const fault of scene.faults) {
    const link = isLinkFault(fault);
    const endedAt = ends.get(fault.id) ?? Number.POSITIVE_INFINITY;
    job.attempts.forEach((attempt, index) => {
      if (!fault.targets.includes(attempt.worker) || attempt.startedAt > endedAt + aftermathMs) return;
      sources.push({ from: Math.max(fault.t, attempt.startedAt), fault, cause: link ? 'worker-link-fault' : 'worker-fault', node: attempt.worker, hitAttempt: index });
    });
    if (fault.t < submittedAt || fault.t > job.answeredAt) continue;
    if (client !== undefined && fault.targets.includes(client)) sources.push({ from: fault.t, fault, cause: link ? 'client-link-fault' : 'client-fault', node: client });
    const broker = link ? undefined : fault.targets.find((node) => isBroker(scene, node));
    if (broker !== undefined) sources.push({ from: fault.t, fault, cause: 'broker-fault', node: broker });
  }
  return sources;
}

/** The client's retries: its k-th attempt is sent no sooner than k-1 timeouts after the invoke, and only while unanswered. */
function retrySources(job: JobFacts, bounds: ClientRetryBounds): RerunSource[] {
  const client = job.submitted?.process ?? 'the client';
  const submittedAt = job.submitted?.t ?? job.attempts[0]?.startedAt ?? 0;
  if (bounds.clientTimeout === undefined) return [{ from: submittedAt, cause: 'client-retry', node: client }];
  const sources: RerunSource[] = [];
  const attempts = bounds.clientAttempts ?? Number.POSITIVE_INFINITY;
  for (let retry = 2; retry <= attempts; retry++) {
    const from = submittedAt + (retry - 1) * bounds.clientTimeout;
    // A job can only start on a worker after the retry that carried it was sent, and none is sent once answered.
    if (from > job.answeredAt || from > (job.attempts.at(-1)?.startedAt ?? 0)) break;
    sources.push({ from, cause: 'client-retry', node: client });
  }
  return sources;
}

function usable(source: RerunSource, attempt: JobAttempt, index: number): boolean {
  return source.chargedWith === undefined && source.from <= attempt.startedAt && (source.hitAttempt === undefined || source.hitAttempt < index);
}

/** Faults first (the nearest, so a report names what most likely caused the re-run), then retries, earliest first. */
function preference(a: RerunSource, b: RerunSource): number {
  if ((a.fault === undefined) !== (b.fault === undefined)) return a.fault === undefined ? 1 : -1;
  return a.fault === undefined ? a.from - b.from : b.from - a.from;
}

function attemptLabel(attempt: JobAttempt, index: number): string {
  return `attempt ${index + 1} on ${attempt.worker} at ${ms(attempt.startedAt)}${attempt.end === undefined ? ' (never committed)' : ''}`;
}

/** Why nothing was left to explain the attempt: what each source that could have was already charged with. */
function accountText(sources: readonly RerunSource[], attempts: readonly JobAttempt[], attempt: JobAttempt, bounds: ClientRetryBounds): string {
  const faults = sources.filter((source) => source.fault !== undefined && source.from <= attempt.startedAt).sort(preference);
  const charged = (source: RerunSource): string => (source.chargedWith === undefined ? '' : `, already charged with attempt ${source.chargedWith + 1} on ${attempts[source.chargedWith].worker}`);
  const faultText =
    faults.length === 0
      ? 'no fault hit the job before it'
      : faults.map((source) => `${whatHappened({ fault: source.fault as NemesisEvent, node: source.node })} (${source.cause}) explains one re-run${charged(source)}`).join('; ');
  const retries = sources.filter((source) => source.cause === 'client-retry' && source.from <= attempt.startedAt);
  const retryText =
    bounds.clientTimeout === undefined
      ? `a client retry explains one more${retries.length > 0 ? charged(retries[0]) : ''}`
      : `${retries.length} client retr${retries.length === 1 ? 'y' : 'ies'} could have been sent by then (a ${ms(bounds.clientTimeout)} timeout per attempt)${retries.length > 0 ? ', each already charged' : ''}`;
  return `${faultText}; ${retryText}`;
}

/**
 * Every attempt of a job beyond the first must be accounted for: by a fault that hit the job (each
 * fault at most once per attempt it hit, or once per job on a broker or the client) or by a retry the
 * client could have sent by then. Attempts are taken in start order and each is charged with a source
 * free by its start; since a source, once free, stays free for every later attempt, charging any of
 * them accounts for the most attempts possible. What is left is flagged, naming the faults it could
 * have been charged against.
 */
export function checkGratuitousDuplicate(events: readonly HistoryEvent[], bounds: ClientRetryBounds = {}): Anomaly<'gratuitous-duplicate'>[] {
  const scene = rerunScene(events);
  const ends = faultEnds(events);
  const invokes = invokesByJob(events);
  const oks = groupByJob(events, isOk);
  const anomalies: Anomaly<'gratuitous-duplicate'>[] = [];
  for (const [job, attempts] of attemptsByJob(events)) {
    if (attempts.length < 2) continue;
    const facts: JobFacts = { submitted: invokes.get(job), attempts, answeredAt: oks.get(job)?.[0].t ?? Number.POSITIVE_INFINITY };
    const sources = [...faultSources(scene, ends, facts, bounds.livenessPeriod ?? 0), ...retrySources(facts, bounds)];
    attempts.forEach((attempt, index) => {
      if (index === 0) return;
      const source = sources.filter((candidate) => usable(candidate, attempt, index)).sort(preference)[0];
      if (source !== undefined) {
        source.chargedWith = index;
        return;
      }
      const faults = sources.filter((candidate) => candidate.fault !== undefined && candidate.from <= attempt.startedAt).sort(preference);
      const chargedAgainst = faults[0]?.fault;
      const earlier = attempts.slice(0, index);
      // No earlier attempt committed: each was given back or taken back (a worker past its liveness, or its
      // lease lapsed). That is a missed bound, which a starved machine causes with no fault at all, so the
      // finding accuses only where the harness was not starved; a re-run after a commit is content and always does.
      const uncommittedBefore = earlier.every((previous) => previous.end === undefined);
      anomalies.push({
        name: 'gratuitous-duplicate',
        job,
        detail: `job ${job} ${attemptLabel(attempt, index)} is one more than its faults and retries explain (earlier: ${earlier.map(attemptLabel).join(', ')}): ${accountText(sources, attempts, attempt, bounds)}${uncommittedBefore ? '; no earlier attempt committed, so the job was given or taken back from a worker that missed its liveness' : ''}`,
        events: [...(facts.submitted === undefined ? [] : [facts.submitted]), ...earlier.flatMap(attemptEvents), ...attemptEvents(attempt), ...(chargedAgainst === undefined ? [] : [chargedAgainst])],
        ...(uncommittedBefore ? { boundMissed: true as const } : {}),
      });
    });
  }
  return anomalies;
}

export const GRATUITOUS_DUPLICATE = requestReplyRule({
  name: 'gratuitous-duplicate',
  describe:
    'An attempt of a job (an `exec-start`, or an `exec-end` with none) that nothing accounts for. Attempts are taken in start order; every one after the first is charged with one free source that began no later than its start: a nemesis `start` whose `targets` include the worker of an earlier attempt, if the fault had not ended before that attempt started (one re-run per attempt it hit); a node fault on a broker or any fault on the submitting client between the `invoke` and the first `ok` (one re-run of the job); or a client retry: the k-th attempt of a call is sent no sooner than `invoke.t + (k-1) × clientTimeout`, before the first `ok`, for k up to `clientAttempts` (with no timing given, one retry at any time). An attempt with no free source is one anomaly, under every profile; its detail names the faults it could have been charged against and what they were already charged with (*a broker that re-queues a dead worker\'s job twice*). When no earlier attempt committed (each has no `exec-end`: given or taken back from a worker past its liveness), the finding is a missed bound: INCONCLUSIVE when the harness itself starved.',
  check: checkGratuitousDuplicate,
});
