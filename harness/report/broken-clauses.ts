import { knownClauseIds } from '../spec/catalogue';
import { clauseSummary, formatClause } from '../spec/clause-summary';
import type { ScenarioVerdict } from './verdict';

/**
 * `breaks rfc7:requeue (MUST: ...)`: the clauses a FAIL broke, with their level and rule, for the
 * progress line, summary.md and junit.xml. A scenario that checks several clauses cannot always tell
 * which of them the evidence broke, and says so; empty when the verdict names none.
 */
export function brokenClausesLine(verdict: Pick<ScenarioVerdict, 'broken'>): string {
  const broken = verdict.broken ?? [];
  if (broken.length === 0) return '';
  return `${broken.length === 1 ? 'breaks' : 'breaks one or more of'} ${broken.map(formatClause).join('; ')}`;
}

/**
 * The clauses a FAIL broke: those its evidence names in brackets (`[khp1:adopt-welcome] ...`, as the
 * stand-in scripts say), when it names known ones; otherwise every clause the scenario is tagged with
 * but a MAY: a MAY permits, so nothing breaks it (a scenario tagged only with MAYs, such as a quality
 * check of how a broker dispatches, names its anomaly and no clause).
 */
export function brokenClauseIds(tagged: readonly string[], error: string | undefined): string[] {
  const known = knownClauseIds();
  const named = [...new Set([...(error ?? '').matchAll(/\[((?:rfc\d+|kh[a-z]\d+):[a-z0-9-]+)\]/g)].map((match) => match[1] ?? ''))].filter((id) => known.has(id));
  return named.length > 0 ? named : tagged.filter((id) => clauseSummary(id).level !== 'MAY');
}
