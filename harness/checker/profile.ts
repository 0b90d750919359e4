import type { Anomaly, AnomalyName } from './anomaly';
import type { CheckResult } from './check-history';
import type { PubSubAnomaly } from './pubsub/anomaly';
import { PUBSUB, type PubSubProfile } from './pubsub/system';
import { forbiddenNames, judgeFindings, type AnomalyRules, type Finding, type Judgement as FindingsJudgement } from './registry';
import { REQUEST_REPLY, type RequestReplyProfile } from './request-reply';
import { SECURE, type SecureAnomalyName, type SecureProfile } from './secure/system';
import { CONTROL, type ControlAnomalyName, type ControlProfile } from './control/system';
import { RETRY_POLICY, type RetryPolicyAnomalyName, type RetryPolicyProfile } from './retry-policy/system';
import { REPLICATED, type ReplicatedAnomalyName, type ReplicatedProfile } from './replicated';
import { CHECKER_SYSTEMS } from './systems';

/**
 * The profiles and how a history is judged against one, all derived from the checker registries
 * (systems.ts): each system's ladder, and each anomaly entry's `forbiddenBy`, `undecided`,
 * `explained` and `liveness`.
 */
export type { ControlProfile, PubSubProfile, ReplicatedProfile, RequestReplyProfile, RetryPolicyProfile, SecureProfile };
/** A guarantee a system under test claims: a delivery guarantee, `secure` (who may talk to whom), `control` (kill job N), `retry-policy` (declared classes of service and retry policy), or `replicated-exactly-once` (a cluster of brokers, exactly-once across leader loss). */
export type Profile = RequestReplyProfile | PubSubProfile | SecureProfile | ControlProfile | RetryPolicyProfile | ReplicatedProfile;

export const REQUEST_REPLY_PROFILES: readonly RequestReplyProfile[] = REQUEST_REPLY.profiles;
export const PUBSUB_PROFILES: readonly PubSubProfile[] = PUBSUB.profiles;
export const SECURE_PROFILES: readonly SecureProfile[] = SECURE.profiles;
export const CONTROL_PROFILES: readonly ControlProfile[] = CONTROL.profiles;
export const RETRY_POLICY_PROFILES: readonly RetryPolicyProfile[] = RETRY_POLICY.profiles;
export const REPLICATED_PROFILES: readonly ReplicatedProfile[] = REPLICATED.profiles;

/**
 * Each system's profiles, weakest first: claiming one claims those before it on the same ladder,
 * and nothing on another (an exactly-once broker says nothing about pub/sub).
 */
export const PROFILE_LADDERS: readonly (readonly Profile[])[] = CHECKER_SYSTEMS.map((system): readonly Profile[] => system.profiles);
export const PROFILES: readonly Profile[] = PROFILE_LADDERS.flat();

/** A request-reply profile named in a feature or on a command line, checked: a typo is an error naming the known ones. */
export function parseRequestReplyProfile(text: string): RequestReplyProfile {
  const found = REQUEST_REPLY_PROFILES.find((profile) => profile === text);
  if (found === undefined) throw new Error(`unknown request-reply profile "${text}"; known: ${REQUEST_REPLY_PROFILES.join(', ')}`);
  return found;
}

export function isPubSubProfile(profile: Profile): profile is PubSubProfile {
  return (PUBSUB_PROFILES as readonly Profile[]).includes(profile);
}

export function isSecureProfile(profile: Profile): profile is SecureProfile {
  return (SECURE_PROFILES as readonly Profile[]).includes(profile);
}

export function isControlProfile(profile: Profile): profile is ControlProfile {
  return (CONTROL_PROFILES as readonly Profile[]).includes(profile);
}

export function isRetryPolicyProfile(profile: Profile): profile is RetryPolicyProfile {
  return (RETRY_POLICY_PROFILES as readonly Profile[]).includes(profile);
}

export function isReplicatedProfile(profile: Profile): profile is ReplicatedProfile {
  return (REPLICATED_PROFILES as readonly Profile[]).includes(profile);
}

/** Whether a claim of `claimed` implies `profile`. */
export function claims(claimed: readonly Profile[], profile: Profile): boolean {
  const ladder = PROFILE_LADDERS.find((l) => l.includes(profile)) ?? [profile];
  return claimed.some((c) => ladder.includes(c) && ladder.indexOf(c) >= ladder.indexOf(profile));
}

/** Anomalies the profile forbids; for duplicate-execution only unexplained re-runs are forbidden. */
export function forbiddenAnomalies(profile: RequestReplyProfile): AnomalyName[] {
  return forbiddenNames(REQUEST_REPLY, profile);
}

/** pubsub-exactly-once forbids every pub/sub anomaly: each owed message once, in order, nothing else. */
export function forbiddenPubSubAnomalies(profile: PubSubProfile): AnomalyName[] {
  return forbiddenNames(PUBSUB, profile);
}

/**
 * Findings that stop a history from passing but accuse nobody: the harness could not create or see
 * out its own condition (entries marked `undecided`). `ineffective-fault`: the fault touched nothing,
 * so nothing was tested; `undelivered-at-bound`: a subscriber was still receiving, in order, when the
 * run's bound ran out, so what it had not got yet was late, not lost. Either makes a scenario
 * INCONCLUSIVE, never FAIL.
 */
export const UNDECIDED_ANOMALIES: readonly AnomalyName[] = namesWhere((entry) => entry.undecided === true);

export function isUndecided(anomaly: Anomaly): boolean {
  return UNDECIDED_ANOMALIES.includes(anomaly.name);
}

/**
 * Anomalies made only of a missed time bound (`stuck`), which a starved harness can cause; every
 * other anomaly is about content and accuses the implementation whatever the load.
 */
export const LIVENESS_ANOMALIES: readonly AnomalyName[] = namesWhere((entry) => entry.liveness === true);

export function isLiveness(anomaly: Pick<Anomaly, 'name'>): boolean {
  return (LIVENESS_ANOMALIES as readonly string[]).includes(anomaly.name);
}

export type Judgement = FindingsJudgement<Anomaly>;

export function judge(result: Pick<CheckResult, 'anomalies'>, profile: RequestReplyProfile): Judgement {
  return judgeFindings(REQUEST_REPLY, result.anomalies, profile);
}

export function judgePubSub(result: { anomalies: readonly PubSubAnomaly[] }, profile: PubSubProfile): Judgement {
  return judgeFindings(PUBSUB, result.anomalies, profile);
}

export function judgeSecure(result: { anomalies: readonly Finding<SecureAnomalyName>[] }, profile: SecureProfile): Judgement {
  return judgeFindings(SECURE, result.anomalies, profile);
}

export function judgeControl(result: { anomalies: readonly Finding<ControlAnomalyName>[] }, profile: ControlProfile): Judgement {
  return judgeFindings(CONTROL, result.anomalies, profile);
}

export function judgeRetryPolicy(result: { anomalies: readonly Finding<RetryPolicyAnomalyName>[] }, profile: RetryPolicyProfile): Judgement {
  return judgeFindings(RETRY_POLICY, result.anomalies, profile);
}

export function judgeReplicated(result: { anomalies: readonly Finding<ReplicatedAnomalyName>[] }, profile: ReplicatedProfile): Judgement {
  return judgeFindings(REPLICATED, result.anomalies, profile);
}

/** One line on why a judgement is INCONCLUSIVE: each undecided finding's kind, with the first's detail. */
export function undecidedReason(judgement: Judgement): string {
  const first = judgement.undecided[0];
  if (first === undefined) return '';
  const more = judgement.undecided.length > 1 ? ` (and ${judgement.undecided.length - 1} more)` : '';
  return `${first.name}: ${first.detail}${more}`;
}

/** The names, over every system, whose entry satisfies `accept`; each once. */
function namesWhere(accept: (entry: AnomalyRules) => boolean): AnomalyName[] {
  const names = CHECKER_SYSTEMS.flatMap((system): AnomalyName[] => system.checks.filter(accept).map((entry) => entry.name));
  return [...new Set(names)];
}
