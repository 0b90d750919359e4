import type { HistoryEvent } from '../history/event';
import { checkHistory, type CheckOptions, type CheckResult } from './check-history';
import { formatCheckResult } from './format';
import {
  isControlProfile,
  isPubSubProfile,
  isReplicatedProfile,
  isRetryPolicyProfile,
  isSecureProfile,
  judge,
  judgeControl,
  judgePubSub,
  judgeReplicated,
  judgeRetryPolicy,
  judgeSecure,
  type ControlProfile,
  type Judgement,
  type Profile,
  type PubSubProfile,
  type ReplicatedProfile,
  type RequestReplyProfile,
  type RetryPolicyProfile,
  type SecureProfile,
} from './profile';
import type { CheckedSystem } from './registry';
import { checkPubSub, formatPubSubResult, type PubSubCheckOptions, type PubSubCheckResult } from './pubsub';
import { checkSecure, formatSecureResult, type SecureCheckResult } from './secure';
import { checkControl, formatControlResult, type ControlCheckResult } from './control';
import { checkRetryPolicy, formatRetryPolicyResult, type RetryPolicyCheckResult } from './retry-policy';
import { checkReplicated, formatReplicatedResult, type ReplicatedCheckOptions, type ReplicatedCheckResult } from './check-replicated';

/** A history checked and judged against one profile, with the summary a person reads. */
export interface JudgedHistory<R> {
  result: R;
  judgement: Judgement;
  summary: string;
}

/** The request-reply checks over a history, judged against `profile`: what a scenario's check step and `keelhaul check` both report. */
export function judgeRequestReplyHistory(events: readonly HistoryEvent[], profile: RequestReplyProfile, options: CheckOptions, format: { allCounts?: boolean } = {}): JudgedHistory<CheckResult> {
  const result = checkHistory(events, options);
  const judgement = judge(result, profile);
  return { result, judgement, summary: formatCheckResult(result, profile, format) };
}

/** The pub/sub checks over a history (puts, subscriptions, deliveries), judged against `profile`. */
export function judgePubSubHistory(events: readonly HistoryEvent[], profile: PubSubProfile, options: PubSubCheckOptions = {}): JudgedHistory<PubSubCheckResult> {
  const result = checkPubSub(events, options);
  const judgement = judgePubSub(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatPubSubResult(result)}` };
}

/** The security checks over a history (policy, revocations, attacks, what each principal received), judged against `profile`. */
export function judgeSecureHistory(events: readonly HistoryEvent[], profile: SecureProfile): JudgedHistory<SecureCheckResult> {
  const result = checkSecure(events);
  const judgement = judgeSecure(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatSecureResult(result)}` };
}

/** The control checks over a history (kills, their answers, what the jobs and their clients did), judged against `profile`. */
export function judgeControlHistory(events: readonly HistoryEvent[], profile: ControlProfile): JudgedHistory<ControlCheckResult> {
  const result = checkControl(events);
  const judgement = judgeControl(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatControlResult(result)}` };
}

/** The retry-policy checks over a history (declared service policies, attempts, sends, outcomes, executions), judged against `profile`. */
export function judgeRetryPolicyHistory(events: readonly HistoryEvent[], profile: RetryPolicyProfile): JudgedHistory<RetryPolicyCheckResult> {
  const result = checkRetryPolicy(events);
  const judgement = judgeRetryPolicy(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatRetryPolicyResult(result)}` };
}

/** The replicated checks over a history (answers and dispatches with their terms, faults on the leader, and the exactly-once rules), judged against `profile`. */
export function judgeReplicatedHistory(events: readonly HistoryEvent[], profile: ReplicatedProfile, options: ReplicatedCheckOptions): JudgedHistory<ReplicatedCheckResult> {
  const result = checkReplicated(events, options);
  const judgement = judgeReplicated(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatReplicatedResult(result)}` };
}

/** What any system's check gives. */
export type AnyCheckResult = CheckResult | PubSubCheckResult | SecureCheckResult | ControlCheckResult | RetryPolicyCheckResult | ReplicatedCheckResult;

/**
 * The bounds of a whole-history check, whatever the system: the request-reply checks' options (the
 * liveness bounds, the clients' timeout and attempts), and for pub/sub when the run's drain ended
 * (`checkedAt`). With it, a subscriber still receiving then is late, not lost
 * (`undelivered-at-bound`); without it, what was accepted within `recoveryBound` of the history's
 * end is not called lost.
 */
export type HistoryBounds = CheckOptions & { checkedAt?: number; failoverBoundMs?: number };

/** The pub/sub checks' options for a whole-history check's bounds. */
export function pubSubOptionsOf(bounds: HistoryBounds): PubSubCheckOptions {
  return bounds.checkedAt === undefined ? { deliveryBound: bounds.recoveryBound } : { catchingUp: { checkedAt: bounds.checkedAt, windowMs: bounds.recoveryBound } };
}

/** Per system: the events that show the history has its operations (any one of them), and its judge. */
interface SystemJudge<P extends Profile> {
  operations: readonly HistoryEvent['type'][];
  judge(events: readonly HistoryEvent[], profile: P, bounds: HistoryBounds, format: { allCounts?: boolean }): JudgedHistory<AnyCheckResult>;
}

type ProfileOfSystem<S extends CheckedSystem> = S extends 'pubsub'
  ? PubSubProfile
  : S extends 'secure'
    ? SecureProfile
    : S extends 'control'
      ? ControlProfile
      : S extends 'retry-policy'
        ? RetryPolicyProfile
        : S extends 'replicated'
          ? ReplicatedProfile
          : RequestReplyProfile;

const JUDGES: { readonly [S in CheckedSystem]: SystemJudge<ProfileOfSystem<S>> } = {
  'request-reply': { operations: ['invoke'], judge: (events, profile, bounds, format) => judgeRequestReplyHistory(events, profile, bounds, format) },
  pubsub: {
    operations: ['put'],
    judge: (events, profile, bounds) => judgePubSubHistory(events, profile, pubSubOptionsOf(bounds)),
  },
  // A secure run's first event of its own is the policy the harness wrote before starting nodes.
  secure: { operations: ['policy'], judge: (events, profile) => judgeSecureHistory(events, profile) },
  // A control run invokes the jobs it kills, or kills an id nobody invoked; with neither it ran nothing.
  control: { operations: ['invoke', 'kill'], judge: (events, profile) => judgeControlHistory(events, profile) },
  // A retry-policy run's operations are its calls; the declared policies alone tested nothing.
  'retry-policy': { operations: ['invoke'], judge: (events, profile) => judgeRetryPolicyHistory(events, profile) },
  replicated: { operations: ['invoke'], judge: (events, profile, bounds) => judgeReplicatedHistory(events, profile, bounds) },
};

function judgeOf(profile: Profile): SystemJudge<Profile> {
  // Each branch hands back the judge whose profile type the guard proved; the one widening is here.
  if (isPubSubProfile(profile)) return JUDGES.pubsub as SystemJudge<Profile>;
  if (isSecureProfile(profile)) return JUDGES.secure as SystemJudge<Profile>;
  if (isControlProfile(profile)) return JUDGES.control as SystemJudge<Profile>;
  if (isRetryPolicyProfile(profile)) return JUDGES['retry-policy'] as SystemJudge<Profile>;
  if (isReplicatedProfile(profile)) return JUDGES.replicated as SystemJudge<Profile>;
  return JUDGES['request-reply'] as SystemJudge<Profile>;
}

/** Whether the history has any operation of the system whose ladder holds `profile` (a put, an invoke, a policy, a kill). */
export function hasOperationsFor(events: readonly HistoryEvent[], profile: Profile): boolean {
  const operations: readonly string[] = judgeOf(profile).operations;
  return events.some((event) => operations.includes(event.type));
}

/**
 * Any history judged against any profile, by the checks of the system whose ladder holds the
 * profile: the one place that maps a profile to its system's checks, for the report of a scenario
 * no step checked and for `keelhaul check`. A history without the system's operations is judged too
 * (its `empty-history`, `no-policy` or `no-kill-performed` finding says so); ask `hasOperationsFor` first where that is no verdict.
 */
export function judgeHistory(events: readonly HistoryEvent[], profile: Profile, bounds: HistoryBounds, format: { allCounts?: boolean } = {}): JudgedHistory<AnyCheckResult> {
  return judgeOf(profile).judge(events, profile, bounds, format);
}
