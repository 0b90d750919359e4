import type { ExecStartEvent, HistoryEvent, InvokeEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { callSpan, clientCalls, type ClientCalls, type Span } from './client-calls';
import { idleStretches, type IdleStretch } from './idle-stretches';
import { groupByJob, invokesByJob, isExecStart } from './jobs';
import { requestReplyRule, type RequestReplyCheckOptions } from './request-reply-ladder';
import { ms } from '../util/format-ms';
import { summarizeHealth } from '../history/harness-health';

/** When each fault was in force, with its aftermath: from its start to its end plus `aftermathMs` (a fault never healed: to the end). */
function faultWindows(events: readonly HistoryEvent[], aftermathMs: number): { from: number; to: number }[] {
  const ends = new Map<string, number>();
  for (const event of events) if (event.type === 'nemesis' && event.phase === 'end') ends.set(event.id, event.t);
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start')
    .map((start) => ({ from: start.t, to: (ends.get(start.id) ?? Number.POSITIVE_INFINITY) + aftermathMs }));
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
  const stretches = idleStretches(events);
  if (stretches.length === 0) return [];
  const faults = faultWindows(events, recoveryBound);
  const calls = clientCalls(events);
  const starts = groupByJob(events, isExecStart);
  const worstStall = summarizeHealth(events)?.lagMaxMs ?? Number.POSITIVE_INFINITY;
  const anomalies: Anomaly<'idle-worker-bypassed'>[] = [];
  for (const [job, invoke] of invokes) {
    const start = starts.get(job)?.[0];
    if (start === undefined || start.t - invoke.t <= boundMs) continue;
    const wait = { from: invoke.t, to: start.t };
    if (faults.some((fault) => overlaps(fault, wait))) continue;
    const bypassed = stretches.find((stretch) => stretch.worker !== start.worker && stretch.service === invoke.service && bothIdleFor(stretch, wait) > boundMs && !clientBusy(calls, events, invoke, stretch, wait));
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
function clientBusy(calls: ClientCalls, events: readonly HistoryEvent[], invoke: InvokeEvent, stretch: IdleStretch, wait: { from: number; to: number }): boolean {
  const both = { from: Math.max(stretch.from.t, wait.from), to: Math.min(stretch.to.t, wait.to) };
  return calls.otherOverlaps(invoke.process, callSpan(events, invoke.job) as Span, both);
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
