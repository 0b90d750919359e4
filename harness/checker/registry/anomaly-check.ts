import type { Finding } from './finding';

/** The systems under test whose histories have checkers. */
export type CheckedSystem = 'request-reply' | 'pubsub' | 'secure' | 'control' | 'retry-policy' | 'replicated';

/**
 * One entry of a checker registry: one anomaly, what it means, who forbids it, and the check that
 * finds it. Like a Jepsen `Checker`, a check is a pure function of the history (`H`, the system's
 * index of it) and the run's options (`O`); unlike one, it only names what it finds, and the registry
 * decides what that means for each profile (`P`). Everything else about an anomaly (the name lists,
 * the counts, the formatting, the docs tables, the judgement) is derived from these fields.
 */
export interface AnomalyCheck<N extends string, P extends string, H, O, F extends Finding<N> = Finding<N>> {
  name: N;
  system: CheckedSystem;
  /**
   * The profiles of the system's ladder that forbid this anomaly; the others allow it. A stronger
   * profile must forbid at least what a weaker one does (checked when the system is defined).
   */
  forbiddenBy: readonly P[];
  /**
   * A finding that stops a history from passing but accuses nobody: the harness could not create or
   * see out its own condition. Where forbidden, it makes the verdict INCONCLUSIVE, never FAIL.
   */
  undecided?: boolean;
  /**
   * Set when a fault can excuse a finding of this anomaly: a finding that carries `explainedBy` (the
   * fault that caused it) and a `cause` listed in `excusingCauses` is allowed by every profile and
   * not counted; `label` names such findings in a summary ("re-runs"). A finding whose cause is not
   * listed still names its fault, and counts like an unexplained one: the report says what caused it
   * without letting that cause excuse it.
   */
  explained?: { label: string; excusingCauses: readonly string[] };
  /**
   * A liveness finding: made only of a missed time bound, which a starved harness can cause. Every
   * other anomaly is about content (what was or was not delivered) and stands whatever the load.
   */
  liveness?: boolean;
  /**
   * Whether this check runs first and is listed last: a guard against a vacuous pass (nothing ran,
   * nothing was hit). Its finding leads the evidence, since it makes every other count moot, while
   * summaries and tables list the accusations first.
   */
  guard?: boolean;
  /** The exact rule, one line of Markdown: the anomaly's row in docs/checkers.md. */
  describe: string;
  check(history: H, options: O): readonly F[];
}

/** An entry without its check: what tables and name lists read, the same for every system. */
export type AnomalyRules = Omit<AnomalyCheck<string, string, never, never, Finding<string>>, 'check'>;

/** What a registry says without running anything: its ladder and its entries' rules. */
export interface RegistryRules {
  profiles: readonly string[];
  checks: readonly AnomalyRules[];
}

/** An entry without the fields a rule-maker fills in: its system and the profiles forbidding it. */
export type RuleFields<N extends string, P extends string, H, O, F extends Finding<N>> = Omit<AnomalyCheck<N, P, H, O, F>, 'system' | 'forbiddenBy'>;

/**
 * Makes the entries of one system that every profile of its ladder forbids (most anomalies: a lost
 * job or a duplicate delivery is wrong under any guarantee), so an entry states only what is its own.
 */
export function everyProfileForbids<P extends string, H, O>(system: CheckedSystem, ladder: readonly P[]) {
  return <N extends string, F extends Finding<N> = Finding<N>>(entry: RuleFields<N, P, H, O, F>): AnomalyCheck<N, P, H, O, F> => ({ system, forbiddenBy: ladder, ...entry });
}
