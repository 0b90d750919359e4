import { Command } from 'commander';
import { renderClauseList, renderSummary, renderUncovered } from '../spec/render';
import { repositoryCoverage } from '../spec/repository-coverage';

interface CoverageOptions {
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

/** `keelhaul coverage`: which clause of 7/MDP, 8/MMI, KHX/1 and KHP/1 is tested by what (docs/spec-clauses.md). */
export function registerCoverageCommand(program: Command): void {
  program
    .command('coverage')
    .description('list every clause of 7/MDP, 8/MMI, KHX/1 and KHP/1 with the scenarios, probes and unit tests that test it, and the share covered per spec and level (docs/spec-clauses.md)')
    .option('--json', 'print the clauses, their evidence and the tallies as JSON')
    .option('--uncovered', 'list only the clauses nothing tests')
    .option('--summary', 'print only the percentages per spec and level')
    .action((options: CoverageOptions) => {
      process.stdout.write(`${coverageOutput(options)}\n`);
    });
}
