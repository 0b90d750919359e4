import type { Command } from 'commander';
import type { CoverageOptions } from './coverage-output';

/** `keelhaul coverage`: which clause of 7/MDP, 8/MMI, KHX/1 and KHP/1 is tested by what (docs/spec-clauses.md). */
export function registerCoverageCommand(program: Command): void {
  program
    .command('coverage')
    .description('list every clause of 7/MDP, 8/MMI, KHX/1 and KHP/1 with the scenarios, probes and unit tests that test it, and the share covered per spec and level (docs/spec-clauses.md)')
    .option('--json', 'print the clauses, their evidence and the tallies as JSON')
    .option('--uncovered', 'list only the clauses nothing tests')
    .option('--summary', 'print only the percentages per spec and level')
    .action(async (options: CoverageOptions) => {
      // The catalogue and the feature files' reader are loaded here: the node commands need neither.
      const { coverageOutput } = await import('./coverage-output');
      process.stdout.write(`${coverageOutput(options)}\n`);
    });
}
