import type { Anomaly, AnomalyName } from './anomaly';
import { isUnexplained, type CheckResult } from './check-history';

/** The delivery guarantee a system under test claims. */
export type Profile = 'mdp' | 'at-least-once' | 'exactly-once';

export const PROFILES: readonly Profile[] = ['mdp', 'at-least-once', 'exactly-once'];

const ALWAYS_FORBIDDEN: readonly AnomalyName[] = ['lost', 'duplicate-reply', 'stale-reply', 'stuck', 'unexpected', 'empty-history', 'ineffective-fault'];

/** Anomalies the profile forbids; for duplicate-execution only unexplained re-runs are forbidden. */
export function forbiddenAnomalies(profile: Profile): AnomalyName[] {
  // Re-running a job is how mdp and at-least-once recover from a lost worker; only exactly-once promises not to.
  return profile === 'exactly-once' ? [...ALWAYS_FORBIDDEN, 'duplicate-execution'] : [...ALWAYS_FORBIDDEN];
}

export interface Judgement {
  verdict: 'PASS' | 'FAIL';
  violations: Anomaly[];
}

export function judge(result: CheckResult, profile: Profile): Judgement {
  const forbidden = new Set(forbiddenAnomalies(profile));
  const violations = result.anomalies.filter((anomaly) => forbidden.has(anomaly.name) && isUnexplained(anomaly));
  return { verdict: violations.length === 0 ? 'PASS' : 'FAIL', violations };
}
