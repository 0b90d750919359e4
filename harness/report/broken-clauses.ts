import { formatClause } from '../spec/clause-summary';
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
