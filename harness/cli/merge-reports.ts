import type { Command, CommanderError } from 'commander';

export function registerMergeReportsCommand(program: Command, usageExit: (error: CommanderError) => never): void {
  program
    .command('merge-reports')
    .description('join the reports of several runs (the shards of a run split with --shard i/n) into one verdicts.json, junit.xml, summary.md and report.html (not the Cucumber HTML report, which cannot be joined); exit codes as a single run: 0 pass, 1 a FAIL or ERROR, 2 the folders cannot be merged, 3 something INCONCLUSIVE, 4 no scenario ran')
    .argument('<run-folders...>', 'the run folders to join (each holds a verdicts.json), e.g. reports/<run id> of every shard')
    .requiredOption('--out <folder>', 'where the merged reports are written (created if missing)')
    .exitOverride(usageExit)
    .action(async (inputs: string[], opts: { out: string }) => {
      // The reports' readers and writers are loaded here: the node commands need none of them.
      const { runMergeReports } = await import('./merge-run');
      process.exit(runMergeReports(inputs, opts.out));
    });
}
