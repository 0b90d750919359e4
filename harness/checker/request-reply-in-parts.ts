import type { HistoryEvent } from '../history/event';
import { mergePlaced, readPart, type PartitionedHistory, type PlacedEvent, type SharedEvents } from '../history/partitioned-history';
import { StringPool } from '../history/string-pool';
import type { Anomaly } from './anomaly';
import { countEvent, emptyStats, type CheckOptions, type CheckResult, type HistoryStats, type RequestReplyAnomalyName } from './check-history';
import { clientCalls, collectCalls, ClientCalls } from './client-calls';
import { NodeRolesTally, nodeRoles } from './common/node-roles';
import { callOutcomes, mergeCallOutcomes, type CallOutcomes } from './empty';
import { formatCheckResult } from './format';
import { seedDerived } from './frozen-history';
import { IdleStretchTracker, idleStretches, ofOneService, type IdleStretch } from './idle-stretches';
import { invokesByJob } from './jobs';
import { judge, type RequestReplyProfile } from './profile';
import { reportOrder, runIndexedChecks, tallyFindings } from './registry';
import { REQUEST_REPLY } from './request-reply';
import { mergeRecoveryProgress, recoveryProgress, type RecoveryProgress } from './stuck';
import type { JudgedHistory } from './judge-history';

/**
 * The request-reply checks over a history too large to hold, part by part: the history is split by
 * job into part files (history/partitioned-history.ts), every part is checked with the registry's
 * own checks as a history of its own (its jobs' events with the shared ones: faults, harness
 * samples, in history order), and the findings are merged. What a check needs of other jobs is
 * gathered over the whole and seeded into each part (frozen-history.ts's seedDerived), so each part
 * is judged as the whole would judge it:
 * - who is a worker, a client, a broker (duplicate-execution's and gratuitous-duplicate's causes):
 *   gathered while partitioning;
 * - each worker's idle stretches longer than idle-worker-bypassed's bound (shorter ones can never
 *   count), while partitioning; the services of their jobs, from the parts;
 * - every client's calls (whether it had another call open), from the parts: 16 bytes a call;
 * - the jobs whose ok carries another job's reply (stale-reply, unexpected): gathered while
 *   partitioning and checked together as one more part, so the two jobs are seen side by side;
 * - the findings about the whole history rather than a job (no job named: empty-history,
 *   no-success, a fault never healed or hitting nothing, no progress after the last heal) are made
 *   once, over the shared events with the additive summaries (recovery progress, call outcomes)
 *   gathered from every part; a part's own such findings are dropped.
 */

/** The key a request-reply event is grouped by: its job; undefined for what every part needs. */
export function requestReplyKey(event: HistoryEvent): string | undefined {
  switch (event.type) {
    case 'invoke':
    case 'ok':
    case 'fail':
    case 'info':
    case 'exec-start':
    case 'exec-end':
    case 'exec-killed':
    case 'orphan':
      return event.job;
    default:
      return undefined;
  }
}

/** Client events (`c`) are all the first reading of the parts needs; workers' (`w`) are skipped there unparsed. */
export function requestReplyTag(event: HistoryEvent): string {
  return event.type === 'invoke' || event.type === 'ok' || event.type === 'fail' || event.type === 'info' ? 'c' : 'w';
}

/** What is gathered over the whole history while it is partitioned, one event at a time. */
export class RequestReplyGathering {
  readonly roles = new NodeRolesTally();
  readonly idle: IdleStretchTracker;
  readonly stats: HistoryStats = emptyStats();
  /** Jobs of an ok carrying another job's reply, and the jobs those replies name. */
  readonly linked = new Set<string>();

  constructor(options: Pick<CheckOptions, 'livenessPeriod'>) {
    // idle-worker-bypassed counts only stretches idle for longer than 1.5 liveness periods; without one it judges nothing.
    this.idle = new IdleStretchTracker(options.livenessPeriod === undefined ? Number.POSITIVE_INFINITY : options.livenessPeriod * 1.5);
  }

  add(event: HistoryEvent): void {
    this.roles.add(event);
    this.idle.add(event);
    countEvent(this.stats, event);
    if (event.type === 'ok' && event.reply !== event.job) {
      this.linked.add(event.job);
      this.linked.add(event.reply);
    }
  }
}

/** A part's events as one frozen history: its own events and the shared ones, in history order. */
function partHistory(shared: SharedEvents, own: readonly PlacedEvent[]): readonly HistoryEvent[] {
  return Object.freeze(mergePlaced(shared, own));
}

/** The summaries gathered from every part before any is checked. */
interface AcrossParts {
  stretches: IdleStretch[];
  calls: ClientCalls;
  recovery: RecoveryProgress;
  outcomes: CallOutcomes;
}

/** Runs the request-reply checks over a partitioned history; the gathering is the one partitionHistory fed. */
export function checkRequestReplyInParts(history: PartitionedHistory, gathering: RequestReplyGathering, options: CheckOptions): CheckResult {
  const strings = new StringPool();
  const isLinked = (event: HistoryEvent): boolean => gathering.linked.has(requestReplyKey(event) ?? '');
  const linkedEvents: PlacedEvent[] = [];
  const linkedParts = new Set([...gathering.linked].map((job) => history.partOfKey(job)));
  /**
   * A part's events but the linked jobs'. The first reading (`first`) needs only client events,
   * except in a part holding a linked job: it sets the linked jobs' events aside whole, as a part of
   * their own. Events kept only for a summary's examples need no shared strings.
   */
  const ownEvents = (part: number, first: boolean): PlacedEvent[] => {
    const whole = !first || linkedParts.has(part);
    const placed = readPart(history.parts[part], whole ? { strings } : { tags: 'c' });
    if (gathering.linked.size === 0) return placed;
    const own: PlacedEvent[] = [];
    for (const each of placed) {
      if (!isLinked(each.event)) own.push(each);
      else if (first) linkedEvents.push(each);
    }
    return own;
  };

  // First reading: what every part must know of the others.
  const stretchJobs = new Set(gathering.idle.stretches.flatMap((stretch) => [stretch.from.job, stretch.to.job]));
  const services = new Map<string, string>();
  const across: Omit<AcrossParts, 'stretches'> = { calls: new ClientCalls(), recovery: { waiting: 0, nextOk: undefined }, outcomes: { invoked: 0, anyOk: false, groups: new Map(), invokes: [], firstEnds: [] } };
  const gather = (events: readonly HistoryEvent[]): void => {
    const invokes = invokesByJob(events);
    for (const job of stretchJobs) {
      const service = invokes.get(job)?.service;
      if (service !== undefined) services.set(job, service);
    }
    across.calls.addAll(collectCalls(events));
    across.recovery = mergeRecoveryProgress(across.recovery, recoveryProgress(events));
    across.outcomes = mergeCallOutcomes(across.outcomes, callOutcomes(events));
  };
  history.parts.forEach((_, part) => gather(partHistory(history.shared, ownEvents(part, true))));
  linkedEvents.sort((a, b) => a.seq - b.seq);
  if (linkedEvents.length > 0) gather(partHistory(history.shared, linkedEvents));
  const whole: AcrossParts = { ...across, stretches: ofOneService(gathering.idle.stretches, (job) => services.get(job)) };

  const seeded = (events: readonly HistoryEvent[]): readonly HistoryEvent[] => {
    seedDerived(events, nodeRoles, gathering.roles);
    seedDerived(events, idleStretches, whole.stretches);
    seedDerived(events, clientCalls, whole.calls);
    return events;
  };
  // Second reading: each part checked; of its findings, those about its own jobs.
  const aboutJobs: Anomaly<RequestReplyAnomalyName>[] = [];
  const checkPart = (events: readonly HistoryEvent[]): void => {
    for (const finding of runIndexedChecks(REQUEST_REPLY, seeded(events), options).anomalies) if (finding.job !== undefined) aboutJobs.push(finding);
  };
  history.parts.forEach((_, part) => checkPart(partHistory(history.shared, ownEvents(part, false))));
  if (linkedEvents.length > 0) checkPart(partHistory(history.shared, linkedEvents));

  // The findings about the whole: over the shared events, with the summaries of every part.
  const sharedOnly = seeded(Object.freeze([...history.shared.events]));
  seedDerived(sharedOnly, recoveryProgress, whole.recovery);
  seedDerived(sharedOnly, callOutcomes, whole.outcomes);
  const aboutWhole = runIndexedChecks(REQUEST_REPLY, sharedOnly, options).anomalies.filter((finding) => finding.job === undefined);

  // In report order, and within an anomaly by when its first event happened (the in-memory check lists them by invoke).
  const byTime = (a: Anomaly<RequestReplyAnomalyName>, b: Anomaly<RequestReplyAnomalyName>): number => (a.events[0]?.t ?? 0) - (b.events[0]?.t ?? 0);
  const anomalies = reportOrder(REQUEST_REPLY).flatMap((entry) => [...aboutWhole.filter((finding) => finding.name === entry.name), ...aboutJobs.filter((finding) => finding.name === entry.name).sort(byTime)]);
  const { counts, explained } = tallyFindings(REQUEST_REPLY, anomalies);
  return { anomalies, counts, explainedReruns: explained, stats: gathering.stats };
}

/** checkRequestReplyInParts judged against `profile`, as judgeRequestReplyHistory judges a history in memory. */
export function judgeRequestReplyInParts(history: PartitionedHistory, gathering: RequestReplyGathering, profile: RequestReplyProfile, options: CheckOptions, format: { allCounts?: boolean } = {}): JudgedHistory<CheckResult> {
  const result = checkRequestReplyInParts(history, gathering, options);
  return { result, judgement: judge(result, profile), summary: formatCheckResult(result, profile, format) };
}
