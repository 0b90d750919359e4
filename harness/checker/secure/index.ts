import type { HistoryEvent } from '../../history/event';
import { formatFindings, runIndexedChecks, type Finding } from '../registry';
import { SECURE, type SecureAnomalyName } from './system';

/**
 * The security checker (issue #17): pure functions over a recorded history, judging who received
 * what against the recorded policy (`policy`, `revoked`), and the hostile peers' `attack` and
 * `receive` events. The exact rules are in docs/checkers.md, section "Security".
 */

export interface SecureStats {
  principals: number;
  attacks: number;
  /** Attacks the harness could not carry out. */
  notPerformed: number;
  revocations: number;
}

export interface SecureCheckResult {
  anomalies: Finding<SecureAnomalyName>[];
  counts: Record<SecureAnomalyName, number>;
  stats: SecureStats;
}

export function checkSecure(events: readonly HistoryEvent[]): SecureCheckResult {
  const history = SECURE.index(events);
  const { anomalies, counts } = runIndexedChecks(SECURE, history, {});
  const principals = new Set(history.policies.flatMap((policy) => Object.keys(policy.principals)));
  const attacks = events.filter((event) => event.type === 'attack');
  return {
    anomalies,
    counts,
    stats: { principals: principals.size, attacks: attacks.length, notPerformed: attacks.filter((event) => event.type === 'attack' && !event.performed).length, revocations: history.revocations.size },
  };
}

/** A short summary of a security check: stats, every anomaly name with its count, and the first few details. */
export function formatSecureResult(result: SecureCheckResult, { maxExamples = 10 }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const header = `security history: ${stats.principals} principal(s) in the policy, ${stats.attacks} attack(s) (${stats.notPerformed} not performed), ${stats.revocations} revocation(s)`;
  return [header, ...formatFindings(SECURE, result, { allCounts: true, maxExamples })].join('\n');
}

export { SECURE, type SecureAnomalyName, type SecureCheck, type SecureCheckOptions, type SecureProfile } from './system';
export { checkCrossClientResult } from './cross-client-result';
export { checkForgedReply } from './forged-reply';
export { checkAttacksPerformed, checkPolicyRecorded } from './guards';
export { entitled, indexSecure, type SecureHistory } from './history';
export { anyCovers } from './entitlement';
export { checkUnauthorizedDelivery } from './unauthorized-delivery';
export { checkUnservedAfterAttack } from './unserved';
