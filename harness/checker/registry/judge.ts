import { entryOf, type CheckerSystem } from './checker-system';
import { isExcused } from './excused';
import type { Finding } from './finding';

export interface Judgement<F extends Finding = Finding> {
  /** FAIL: a forbidden anomaly; INCONCLUSIVE: none, but an undecided finding; PASS: neither. */
  verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  /** Forbidden anomalies that accuse the implementation. */
  violations: F[];
  /** Forbidden findings the harness could not rule on (entries marked `undecided`). */
  undecided: F[];
}

/** The names `profile` forbids, in report order. */
export function forbiddenNames<N extends string, P extends string, H, O, F extends Finding<N>>(system: CheckerSystem<N, P, H, O, F>, profile: P): N[] {
  return system.checks.filter((entry) => entry.forbiddenBy.includes(profile)).map((entry) => entry.name);
}

/**
 * Judges findings against a profile. Each forbidden, unexcused finding is a FAIL, or INCONCLUSIVE
 * when its entry is undecided; the verdict is the most severe of them (Jepsen's `merge-valid`, with
 * INCONCLUSIVE for `:unknown`), PASS when there is none.
 */
export function judgeFindings<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckerSystem<N, P, H, O, F>,
  findings: readonly F[],
  profile: P,
): Judgement<F> {
  const forbidden = new Set<string>(forbiddenNames(system, profile));
  const counted = findings.filter((finding) => forbidden.has(finding.name) && !isExcused(system, finding));
  const isUndecided = (finding: F): boolean => entryOf(system, finding.name)?.undecided === true;
  const undecided = counted.filter(isUndecided);
  const violations = counted.filter((finding) => !isUndecided(finding));
  return { verdict: violations.length > 0 ? 'FAIL' : undecided.length > 0 ? 'INCONCLUSIVE' : 'PASS', violations, undecided };
}
