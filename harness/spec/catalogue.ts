import type { Clause, ClauseGroup, SpecCatalogue } from './clause';
import { KHA1 } from './kha1-clauses';
import { KHC1 } from './khc1-clauses';
import { KHP1 } from './khp1-clauses';
import { KHR1 } from './khr1-clauses';
import { KHX1 } from './khx1-clauses';
import { RFC7 } from './rfc7-clauses';
import { RFC8 } from './rfc8-clauses';

/** Every spec the suite checks, in the order the docs show them. */
export const CATALOGUE: readonly SpecCatalogue[] = [RFC7, RFC8, KHX1, KHC1, KHP1, KHA1, KHR1];

export function allClauses(catalogue: readonly SpecCatalogue[] = CATALOGUE): Clause[] {
  return catalogue.flatMap((spec) => spec.clauses);
}

export function allGroups(catalogue: readonly SpecCatalogue[] = CATALOGUE): ClauseGroup[] {
  return catalogue.flatMap((spec) => spec.groups);
}

/** Every id a scenario may carry as a clause tag: clauses and group tags. */
export function knownClauseIds(catalogue: readonly SpecCatalogue[] = CATALOGUE): Set<string> {
  return new Set([...allClauses(catalogue).map((clause) => clause.id), ...allGroups(catalogue).map((group) => group.id)]);
}

const ID = /^(rfc\d+|kh[a-z]\d+):[a-z0-9-]+$/;

/**
 * What is wrong with a catalogue, one line per problem (empty when sound): ids that are malformed,
 * repeated, or of another spec; groups whose members are not clauses of their spec; empty text.
 */
export function catalogueProblems(catalogue: readonly SpecCatalogue[] = CATALOGUE): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const spec of catalogue) {
    const own = new Set(spec.clauses.map((clause) => clause.id));
    for (const entry of [...spec.clauses, ...spec.groups]) {
      if (!ID.test(entry.id)) problems.push(`${entry.id}: not of the form <spec>:<rule> (lower-case letters, digits, dashes)`);
      if (!entry.id.startsWith(`${spec.spec}:`)) problems.push(`${entry.id}: listed under ${spec.spec}`);
      if (seen.has(entry.id)) problems.push(`${entry.id}: listed twice`);
      seen.add(entry.id);
      if (entry.text.trim() === '' || entry.section.trim() === '') problems.push(`${entry.id}: empty text or section`);
    }
    for (const group of spec.groups) {
      if (group.members.length === 0) problems.push(`${group.id}: a group without members`);
      for (const member of group.members) if (!own.has(member)) problems.push(`${group.id}: member ${member} is not a clause of ${spec.spec}`);
    }
  }
  return problems;
}
