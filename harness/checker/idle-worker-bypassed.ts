import type { ExecEndEvent, ExecStartEvent, HistoryEvent, InvokeEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, invokesByJob, isCompletion, isExecStart } from './jobs';
import { requestReplyRule, type RequestReplyCheckOptions } from './request-reply-ladder';
import { ms } from '../util/format-ms';
import { summarizeHealth } from '../history/harness-health';

/**
 * A stretch in which a worker is known to be registered for `service` and has nothing to do: it
 * committed a job of the service (`from`, its last run open) and its next run, of the same service,
 * starts at `to`. Seen in its own executions, so it was registered on both sides of the stretch.
 */
interface IdleStretch {
  worker: string;
  service: string;
  from: ExecEndEvent;
  to: ExecStartEvent;
}

/**
 * Each worker's idle stretches. A run that never ended (killed, failed, given back, lost) keeps its
 * worker busy from then on: whether the broker still counted it as busy cannot be told.
 */
function idleStretches(events: readonly HistoryEvent[], serviceOf: (job: string) => string | undefined): IdleStretch[] {
  const open = new Map<string, Set<string>>();
  const lastEnd = new Map<string, ExecEndEvent>();
  const stretches: IdleStretch[] = [];
  for (const event of events) {
    if (event.type !== 'exec-start' && event.type !== 'exec-end') continue;
    const running = open.get(event.worker) ?? new Set<string>();
    open.set(event.worker, running);
    if (event.type === 'exec-end') {
      running.delete(event.job);
      if (running.size === 0) lastEnd.set(event.worker, event);
      continue;
    }
    const idleSince = running.size === 0 ? lastEnd.get(event.worker) : undefined;
    lastEnd.delete(event.worker);
    running.add(event.job);
    const service = serviceOf(event.job);
    if (idleSince !== undefined && service !== undefined && serviceOf(idleSince.job) === service) stretches.push({ worker: event.worker, service, from: idleSince, to: event });
  }
  return stretches;
}

/** When each fault was in force, with its aftermath: from its start to its end plus `aftermathMs` (a fault never healed: to the end). */
function faultWindows(events: readonly HistoryEvent[], aftermathMs: number): { from: number; to: number }[] {
  const ends = new Map<string, number>();
  for (const event of events) if (event.type === 'nemesis' && event.phase === 'end') ends.set(event.id, event.t);
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start')
    .map((start) => ({ from: start.t, to: (ends.get(start.id) ?? Number.POSITIVE_INFINITY) + aftermathMs }));
}

/** When each client had a call open (from its invoke to its first completion, or the end). */
function openCalls(events: readonly HistoryEvent[]): Map<string, { job: string; from: number; to: number }[]> {
  const completions = groupByJob(events, isCompletion);
  const byClient = new Map<string, { job: string; from: number; to: number }[]>();
  for (const [job, invoke] of invokesByJob(events)) {
    const calls = byClient.get(invoke.process) ?? [];
    byClient.set(invoke.process, calls);
    calls.push({ job, from: invoke.t, to: completions.get(job)?.[0]?.t ?? Number.POSITIVE_INFINITY });
  }
  return byClient;
}

const overlaps = (a: { from: number; to: number }, b: { from: number; to: number }): boolean => a.from < b.to && b.from < a.to;

/**
 * A job whose first run started more than `livenessPeriod` plus the harness-lag slack (half of it)
 * after its invoke, while another worker of its service sat idle, known registered (it had finished
 * a job of the service before and started one after), for that long of the wait. A broker may pick
 * its worker on any basis (7/MDP), but one that leaves a request queued beside an idle worker of its
 * service is not work-conserving. The slack covers what is in flight: a REPLY the broker has not yet
 * read, a request still on its way. Never judged where it could be someone else's doing: in or after a
 * fault (for the recovery bound: a re-queued job waits out a result grace), or while the job's client
 * had another call open (a client that sends one request at a time holds the next itself). A missed
 * bound, INCONCLUSIVE when the harness itself starved, unless the idle time passed the bound by more
 * than twice the harness's worst stall (or the history has no health samples to tell).
 */
export function checkIdleWorkerBypassed(events: readonly HistoryEvent[], { livenessPeriod, recoveryBound }: RequestReplyCheckOptions): Anomaly<'idle-worker-bypassed'>[] {
  if (livenessPeriod === undefined) return [];
  const boundMs = livenessPeriod * 1.5;
  const invokes = invokesByJob(events);
  const serviceOf = (job: string): string | undefined => invokes.get(job)?.service;
  const stretches = idleStretches(events, serviceOf);
  if (stretches.length === 0) return [];
  const faults = faultWindows(events, recoveryBound);
  const calls = openCalls(events);
  const starts = groupByJob(events, isExecStart);
  const worstStall = summarizeHealth(events)?.lagMaxMs ?? Number.POSITIVE_INFINITY;
  const anomalies: Anomaly<'idle-worker-bypassed'>[] = [];
  for (const [job, invoke] of invokes) {
    const start = starts.get(job)?.[0];
    if (start === undefined || start.t - invoke.t <= boundMs) continue;
    const wait = { from: invoke.t, to: start.t };
    if (faults.some((fault) => overlaps(fault, wait))) continue;
    const bypassed = stretches.find((stretch) => stretch.worker !== start.worker && stretch.service === invoke.service && bothIdleFor(stretch, wait) > boundMs && !clientBusy(calls, invoke, stretch, wait));
    if (bypassed === undefined) continue;
    // Past the bound by more than twice the harness's worst stall (a node may stall twice as long as
    // the harness that watches it), no stall explains the wait: then it accuses whatever the load.
    const unexplained = bothIdleFor(bypassed, wait) - boundMs > 2 * worstStall;
    anomalies.push({
      name: 'idle-worker-bypassed',
      job,
      detail: describe(job, invoke, start, bypassed, boundMs),
      events: [invoke, bypassed.from, start, bypassed.to],
      ...(unexplained ? {} : { boundMissed: true as const }),
    });
  }
  return anomalies;
}

/** How long the worker was idle while the job waited. */
function bothIdleFor(stretch: IdleStretch, wait: { from: number; to: number }): number {
  return Math.min(stretch.to.t, wait.to) - Math.max(stretch.from.t, wait.from);
}

/** The job's client had another call open while it and the idle worker overlapped. */
function clientBusy(calls: ReadonlyMap<string, readonly { job: string; from: number; to: number }[]>, invoke: InvokeEvent, stretch: IdleStretch, wait: { from: number; to: number }): boolean {
  const both = { from: Math.max(stretch.from.t, wait.from), to: Math.min(stretch.to.t, wait.to) };
  return (calls.get(invoke.process) ?? []).some((call) => call.job !== invoke.job && overlaps(call, both));
}

function describe(job: string, invoke: InvokeEvent, start: ExecStartEvent, stretch: IdleStretch, boundMs: number): string {
  const idle = Math.round(bothIdleFor(stretch, { from: invoke.t, to: start.t }));
  return (
    `job ${job} (${invoke.process}, service ${invoke.service}) waited ${ms(start.t - invoke.t)} for its first run (${start.worker} at ${ms(start.t)}) ` +
    `while ${stretch.worker}, registered for ${invoke.service}, sat idle for ${idle} ms of it (from its commit of ${stretch.from.job} at ${ms(stretch.from.t)} to its start of ${stretch.to.job} at ${ms(stretch.to.t)}), ` +
    `more than a liveness period and the slack (${ms(boundMs)}): the broker left the request queued beside an idle worker`
  );
}

export const IDLE_WORKER_BYPASSED = requestReplyRule({
  name: 'idle-worker-bypassed',
  liveness: true,
  describe:
    'A job whose first `exec-start` came more than 1.5 liveness periods (`livenessPeriod` plus half of it, the harness-lag slack) after its `invoke`, while another worker sat idle for more than that long of the wait: a worker whose last run (an `exec-end` closing every run it had open) and next `exec-start` are both of the job\'s service and bracket the idle time, so it was registered throughout. Not judged during any fault or within `recoveryBound` after it, nor while the job\'s client had another call open (it may hold the request itself), nor without `livenessPeriod`. A quality rule, not a 7/MDP MUST (a broker MAY dispatch on any basis): a broker that queues beside idle workers is not work-conserving. A missed bound, INCONCLUSIVE when the harness itself starved, unless the idle time passed the bound by more than twice the worst stall of the harness\'s `harness` samples (none recorded: always a missed bound).',
  check: checkIdleWorkerBypassed,
});
