import { renderClauseList, renderSummary, renderUncovered } from '../spec/render';
import { repositoryCoverage } from '../spec/repository-coverage';

export interface CoverageOptions {
  json?: boolean;
  uncovered?: boolean;
  summary?: boolean;
}

/** What `keelhaul coverage` prints for these options, from the catalogue and the feature files. */
export function coverageOutput(options: CoverageOptions): string {
  const report = repositoryCoverage();
  const entries = options.uncovered ? report.clauses.filter((entry) => entry.evidence.length === 0) : report.clauses;
  if (options.json) {
    const clauses = entries.map(({ spec, clause, evidence }) => ({ spec, ...clause, covered: evidence.length > 0, evidence }));
    return JSON.stringify(options.uncovered ? { clauses } : { clauses, tallies: report.tallies }, null, 2);
  }
  if (options.summary) return renderSummary(report);
  if (options.uncovered) return renderUncovered(entries);
  return `${renderClauseList(entries)}\n\n${renderSummary(report)}`;
}

