import type { Anomaly, AnomalyName } from './anomaly';
import { isUnexplained, type CheckResult } from './check-history';
import { PUBSUB_ANOMALY_NAMES, type PubSubAnomalyName } from './pubsub/anomaly';
import type { PubSubCheckResult } from './pubsub';

/** The guarantees of request-reply (7/MDP, KHX/1), weakest first. */
export type RequestReplyProfile = 'mdp' | 'at-least-once' | 'exactly-once';
/** The guarantee of reliable pub/sub (KHP/1). */
export type PubSubProfile = 'pubsub-exactly-once';
/** The delivery guarantee a system under test claims. */
export type Profile = RequestReplyProfile | PubSubProfile;

export const REQUEST_REPLY_PROFILES: readonly RequestReplyProfile[] = ['mdp', 'at-least-once', 'exactly-once'];
export const PUBSUB_PROFILES: readonly PubSubProfile[] = ['pubsub-exactly-once'];
export const PROFILES: readonly Profile[] = [...REQUEST_REPLY_PROFILES, ...PUBSUB_PROFILES];

/**
 * Each system's profiles, weakest first: claiming one claims those before it on the same ladder,
 * and nothing on another (an exactly-once broker says nothing about pub/sub).
 */
export const PROFILE_LADDERS: readonly (readonly Profile[])[] = [REQUEST_REPLY_PROFILES, PUBSUB_PROFILES];

export function isPubSubProfile(profile: Profile): profile is PubSubProfile {
  return (PUBSUB_PROFILES as readonly Profile[]).includes(profile);
}

/** Whether a claim of `claimed` implies `profile`. */
export function claims(claimed: readonly Profile[], profile: Profile): boolean {
  const ladder = PROFILE_LADDERS.find((l) => l.includes(profile)) ?? [profile];
  return claimed.some((c) => ladder.includes(c) && ladder.indexOf(c) >= ladder.indexOf(profile));
}

const ALWAYS_FORBIDDEN: readonly AnomalyName[] = ['lost', 'duplicate-reply', 'stale-reply', 'stuck', 'unexpected', 'empty-history', 'ineffective-fault'];

/** Anomalies the profile forbids; for duplicate-execution only unexplained re-runs are forbidden. */
export function forbiddenAnomalies(profile: RequestReplyProfile): AnomalyName[] {
  // Re-running a job is how mdp and at-least-once recover from a lost worker; only exactly-once promises not to.
  return profile === 'exactly-once' ? [...ALWAYS_FORBIDDEN, 'duplicate-execution'] : [...ALWAYS_FORBIDDEN];
}

/** pubsub-exactly-once forbids every pub/sub anomaly: each owed message once, in order, nothing else. */
export function forbiddenPubSubAnomalies(_profile: PubSubProfile): PubSubAnomalyName[] {
  return [...PUBSUB_ANOMALY_NAMES];
}

/**
 * Findings that stop a history from passing but accuse nobody: the harness could not create or see
 * out its own condition. `ineffective-fault`: the fault touched nothing, so nothing was tested;
 * `undelivered-at-bound`: a subscriber was still receiving, in order, when the run's bound ran out,
 * so what it had not got yet was late, not lost. Either makes a scenario INCONCLUSIVE, never FAIL.
 */
export const UNDECIDED_ANOMALIES: readonly AnomalyName[] = ['ineffective-fault', 'undelivered-at-bound'];

export function isUndecided(anomaly: Anomaly): boolean {
  return UNDECIDED_ANOMALIES.includes(anomaly.name);
}

export interface Judgement {
  /** FAIL: a forbidden anomaly; INCONCLUSIVE: none, but an undecided finding; PASS: neither. */
  verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  /** Forbidden anomalies that accuse the implementation. */
  violations: Anomaly[];
  /** Forbidden findings the harness could not rule on (UNDECIDED_ANOMALIES). */
  undecided: Anomaly[];
}

function judgementOf(forbiddenFound: Anomaly[]): Judgement {
  const violations = forbiddenFound.filter((anomaly) => !isUndecided(anomaly));
  const undecided = forbiddenFound.filter(isUndecided);
  return { verdict: violations.length > 0 ? 'FAIL' : undecided.length > 0 ? 'INCONCLUSIVE' : 'PASS', violations, undecided };
}

export function judge(result: CheckResult, profile: RequestReplyProfile): Judgement {
  const forbidden = new Set(forbiddenAnomalies(profile));
  return judgementOf(result.anomalies.filter((anomaly) => forbidden.has(anomaly.name) && isUnexplained(anomaly)));
}

export function judgePubSub(result: PubSubCheckResult, profile: PubSubProfile): Judgement {
  const forbidden = new Set<string>(forbiddenPubSubAnomalies(profile));
  return judgementOf(result.anomalies.filter((anomaly) => forbidden.has(anomaly.name)));
}

/** One line on why a judgement is INCONCLUSIVE: each undecided finding's kind, with the first's detail. */
export function undecidedReason(judgement: Judgement): string {
  const first = judgement.undecided[0];
  if (first === undefined) return '';
  const more = judgement.undecided.length > 1 ? ` (and ${judgement.undecided.length - 1} more)` : '';
  return `${first.name}: ${first.detail}${more}`;
}
