import { clauseTags, LEVELS, SPECS, type Clause, type Level, type Spec, type SpecCatalogue } from './clause';
import { knownClauseIds } from './catalogue';
import type { ScenarioTags } from './feature-scan';

/** Something that exercises a clause. */
export type Evidence =
  | { readonly kind: 'scenario'; readonly file: string; readonly name: string }
  /** A malformed-message probe carrying the clause, sent by `scenario`. */
  | { readonly kind: 'probe'; readonly name: string; readonly scenario: string }
  /** A unit test of the reference implementation. */
  | { readonly kind: 'test'; readonly file: string; readonly name: string };

export interface ClauseCoverage {
  readonly spec: Spec;
  readonly clause: Clause;
  readonly evidence: readonly Evidence[];
}

export interface Tally {
  readonly total: number;
  /** Clauses with any evidence. */
  readonly covered: number;
  /** Clauses a scenario or probe exercises: what `keelhaul verify` checks on any implementation (unit tests check only the reference). */
  readonly byVerify: number;
}

export type SpecOrAll = Spec | 'all';
export type LevelOrAll = Level | 'all';

export interface CoverageReport {
  readonly clauses: readonly ClauseCoverage[];
  /** Per spec (and `all`), per level (and `all`). */
  readonly tallies: Readonly<Record<SpecOrAll, Readonly<Record<LevelOrAll, Tally>>>>;
}

/** A probe of harness/probe/malformed-messages.ts, as far as coverage needs it. */
export interface ProbeClause {
  readonly name: string;
  readonly clause: string;
}

export interface CoverageInput {
  readonly catalogue: readonly SpecCatalogue[];
  readonly scenarios: readonly ScenarioTags[];
  readonly probes: readonly ProbeClause[];
}

/**
 * Which scenarios, probes and unit tests exercise each clause. A scenario counts for the clauses it is
 * tagged with (a group tag counts for none of its members); a probe counts only when some scenario
 * sends it (its name is a cell of that scenario's data table).
 */
export function computeCoverage(input: CoverageInput): CoverageReport {
  const clauses = input.catalogue.flatMap((spec) =>
    spec.clauses.map((clause): ClauseCoverage => {
      const scenarios = input.scenarios
        .filter((scenario) => clauseTags(scenario.tags).includes(clause.id))
        .map((scenario): Evidence => ({ kind: 'scenario', file: scenario.file, name: scenario.name }));
      const probes = input.probes
        .filter((probe) => probe.clause === clause.id)
        .flatMap((probe) => input.scenarios.filter((scenario) => scenario.tableCells.includes(probe.name)).map((scenario): Evidence => ({ kind: 'probe', name: probe.name, scenario: scenario.name })));
      const tests = (clause.tests ?? []).map((test): Evidence => ({ kind: 'test', file: test.file, name: test.name }));
      return { spec: spec.spec, clause, evidence: [...scenarios, ...probes, ...tests] };
    }),
  );
  const tallies = Object.fromEntries(
    [...SPECS, 'all' as const].map((spec) => [
      spec,
      Object.fromEntries([...LEVELS, 'all' as const].map((level) => [level, tally(clauses.filter((entry) => (spec === 'all' || entry.spec === spec) && (level === 'all' || entry.clause.level === level)))])),
    ]),
  ) as Record<SpecOrAll, Record<LevelOrAll, Tally>>;
  return { clauses, tallies };
}

function tally(entries: readonly ClauseCoverage[]): Tally {
  return {
    total: entries.length,
    covered: entries.filter((entry) => entry.evidence.length > 0).length,
    byVerify: entries.filter((entry) => entry.evidence.some((evidence) => evidence.kind !== 'test')).length,
  };
}

/** Whole percent, rounded down, so 100% means every clause. */
export function percent(part: number, total: number): number {
  return total === 0 ? 0 : Math.floor((100 * part) / total);
}

/** Clause tags on scenarios that the catalogue does not know, each with where it is. */
export function unknownClauseTags(scenarios: readonly ScenarioTags[], catalogue: readonly SpecCatalogue[]): string[] {
  const known = knownClauseIds(catalogue);
  return scenarios.flatMap((scenario) => clauseTags(scenario.tags).filter((tag) => !known.has(tag)).map((tag) => `${scenario.file}: "${scenario.name}": @${tag}`));
}

/** Probes whose clause the catalogue does not know. */
export function unknownProbeClauses(probes: readonly ProbeClause[], catalogue: readonly SpecCatalogue[]): string[] {
  const known = new Set(catalogue.flatMap((spec) => spec.clauses.map((clause) => clause.id)));
  return probes.filter((probe) => !known.has(probe.clause)).map((probe) => `probe "${probe.name}": ${probe.clause}`);
}
