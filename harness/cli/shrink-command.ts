import { Option, type Command, type CommanderError } from 'commander';
import { parseTimeScale } from '../util/time-scale';
import { DEFAULT_REPRODUCTION } from '../shrink/reproduction';
import { cliParser, positiveInt, regexOption } from './node-options';
import type { ShrinkOptions } from './shrink';

export const DEFAULT_MAX_TRIALS = 40;
export const DEFAULT_MAX_MINUTES = 60;

/** `keelhaul shrink` on the command line (docs/shrink.md); the work is in ./shrink.ts. */
export function registerShrinkCommand(program: Command, usageExit: (error: CommanderError) => never): void {
  program
    .command('shrink')
    .description('reduce a failing seeded storm to a minimal fault schedule (delta debugging over its faults, then less load and shorter faults) and print it as a Gherkin scenario (docs/shrink.md); exit 0 shrunk, 1 the storm did not fail, 2 the shrink could not be made, 130 Ctrl-C')
    .requiredOption('--impl <manifest>', 'the implementation manifest the storm failed against')
    .addOption(new Option('--name <regex>', 'the storm scenario: a regular expression matching exactly one scenario name').argParser(cliParser(regexOption)).makeOptionMandatory())
    .option('--seed <n>', 'run the storm from this seed first; it must FAIL')
    .option('--from <run folder>', 'start from a run where the storm FAILed (its fault-schedule.json; a reports folder means its latest run)')
    .addOption(new Option('--runs <m>', `runs per candidate (default ${DEFAULT_REPRODUCTION.runs})`).argParser(positiveInt))
    .addOption(new Option('--needs <k>', `FAILs of those runs for a candidate to count as reproducing (default ${DEFAULT_REPRODUCTION.needs}, or m when m is smaller)`).argParser(positiveInt))
    .addOption(new Option('--max-trials <n>', `candidates tried at most (default ${DEFAULT_MAX_TRIALS})`).argParser(positiveInt))
    .addOption(new Option('--max-minutes <n>', `the whole shrink's time bound; the trial in progress is stopped then (default ${DEFAULT_MAX_MINUTES})`).argParser(positiveInt))
    .option('--reports <dir>', "where the shrink's folder is written", 'reports')
    .option('--runtime <runtime>', 'where nodes run: process or docker; default HARNESS_RUNTIME or process')
    .addOption(
      new Option('--time-scale <x>', "multiply every interval and bound by x (0.5-20) or auto; default: the failing run's scale with --from, else KEELHAUL_TIME_SCALE or auto").argParser(
        cliParser((value: string) => {
          parseTimeScale(value);
          return value;
        }),
      ),
    )
    .exitOverride(usageExit)
    .action(async (opts: ShrinkOptions) => {
      // Loaded here, not at the top: the node commands start often and need none of this.
      const { runShrink } = await import('./shrink');
      process.exit(await runShrink(opts));
    });
}
