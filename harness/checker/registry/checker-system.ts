import type { HistoryEvent } from '../../history/event';
import type { AnomalyCheck, CheckedSystem } from './anomaly-check';
import type { Finding } from './finding';

/**
 * One system's checker registry: its profile ladder, how it reads a history, and its anomaly checks.
 * This is the one place an anomaly is registered; Jepsen's `compose` (a map of named checkers run
 * together) is the model, with the judgement moved out of the checks and into the entries' data.
 */
export interface CheckerSystem<N extends string, P extends string, H, O, F extends Finding<N>> {
  system: CheckedSystem;
  /** The system's profiles, weakest first: claiming one claims those before it. */
  profiles: readonly P[];
  /** The system's view of a history, built once per check and shared by every entry. */
  index(events: readonly HistoryEvent[]): H;
  /** The entries in report order: the order of name lists, counts, summaries and docs tables. */
  checks: readonly AnomalyCheck<N, P, H, O, F>[];
  /** The anomaly names, in report order. */
  names: readonly N[];
}

/** Any entry, for constraints: `never` parameters accept every entry's history and options. */
type SomeCheck = AnomalyCheck<string, string, never, never, Finding<string>>;

// What a tuple of entries declares, read off their types, so a system's types follow from its entries.
type NameOf<C extends readonly SomeCheck[]> = C[number]['name'];
type ProfileOf<C extends readonly SomeCheck[]> = C[number]['forbiddenBy'][number];
type FindingOf<C extends readonly SomeCheck[]> = ReturnType<C[number]['check']>[number];
type HistoryOf<C extends readonly SomeCheck[]> = C[number] extends AnomalyCheck<string, string, infer H, never, Finding<string>> ? H : never;
type OptionsOf<C extends readonly SomeCheck[]> = C[number] extends AnomalyCheck<string, string, never, infer O, Finding<string>> ? O : never;

export interface CheckerSystemDefinition<C extends readonly SomeCheck[]> {
  system: CheckedSystem;
  profiles: readonly ProfileOf<C>[];
  index(events: readonly HistoryEvent[]): HistoryOf<C>;
  checks: C;
}

/**
 * Builds a system's registry from its entries, its types from theirs, and refuses an inconsistent one
 * at load time (a duplicate name, an entry of another system, a profile off the ladder, a stronger
 * profile allowing what a weaker one forbids, a description that would break its docs table row).
 */
export function defineCheckerSystem<const C extends readonly SomeCheck[]>(
  definition: CheckerSystemDefinition<C>,
): CheckerSystem<NameOf<C>, ProfileOf<C>, HistoryOf<C>, OptionsOf<C>, FindingOf<C>> {
  // The entries' types were read off C above; TypeScript cannot relate a generic tuple's members to
  // the unions derived from it, so the one widening is stated here.
  const checks = definition.checks as unknown as readonly AnomalyCheck<NameOf<C>, ProfileOf<C>, HistoryOf<C>, OptionsOf<C>, FindingOf<C>>[];
  return assemble(definition.system, definition.profiles, definition.index, checks);
}

/**
 * A system's registry with more entries after its own: the extension point for an anomaly defined
 * outside this folder (a test's throwaway one, a user's own rule), judged, counted and formatted
 * exactly like the built-in ones.
 */
export function extendCheckerSystem<N extends string, P extends string, H, O, F extends Finding<N>, const C extends readonly AnomalyCheck<string, P, H, O, Finding<string>>[]>(
  base: CheckerSystem<N, P, H, O, F>,
  checks: C,
): CheckerSystem<N | NameOf<C>, P, H, O, F | FindingOf<C>> {
  // As in defineCheckerSystem: the added entries' names and findings are C's own.
  const added = checks as unknown as readonly AnomalyCheck<NameOf<C>, P, H, O, FindingOf<C>>[];
  return assemble<N | NameOf<C>, P, H, O, F | FindingOf<C>>(base.system, base.profiles, base.index, [...base.checks, ...added]);
}

/** Validates the entries and builds the registry (names in report order). */
function assemble<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckedSystem,
  profiles: readonly P[],
  index: (events: readonly HistoryEvent[]) => H,
  checks: readonly AnomalyCheck<N, P, H, O, F>[],
): CheckerSystem<N, P, H, O, F> {
  const problems = registryProblems(system, profiles, checks);
  if (problems.length > 0) throw new Error(`checker registry ${system}: ${problems.join('; ')}`);
  return { system, profiles: [...profiles], index, checks: [...checks], names: checks.map((entry) => entry.name) };
}

/** The entry of `name`, or undefined for a name the system does not register. */
export function entryOf<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckerSystem<N, P, H, O, F>,
  name: string,
): AnomalyCheck<N, P, H, O, F> | undefined {
  return system.checks.find((entry) => entry.name === name);
}

function registryProblems<P extends string>(system: CheckedSystem, profiles: readonly P[], checks: readonly AnomalyCheck<string, P, never, never, Finding<string>>[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of checks) {
    if (seen.has(entry.name)) problems.push(`${entry.name} is registered twice`);
    seen.add(entry.name);
    if (entry.system !== system) problems.push(`${entry.name} belongs to ${entry.system}`);
    for (const profile of entry.forbiddenBy) if (!profiles.includes(profile)) problems.push(`${entry.name} names ${profile}, which is not on the ladder (${profiles.join(', ')})`);
    // Claiming a stronger profile claims the weaker ones (claims()), so it must forbid at least as much.
    const weakest = Math.min(...entry.forbiddenBy.map((profile) => profiles.indexOf(profile)).filter((index) => index >= 0));
    const allowedAbove = profiles.filter((profile, index) => index > weakest && !entry.forbiddenBy.includes(profile));
    if (allowedAbove.length > 0) problems.push(`${entry.name} is forbidden by ${profiles[weakest]} but allowed by the stronger ${allowedAbove.join(', ')}`);
    if (entry.describe.trim() === '' || /\n/.test(entry.describe)) problems.push(`${entry.name} needs a one-line description`);
  }
  return problems;
}
