import path from 'node:path';
import { runCucumber, type RunSettings } from './run-cucumber';
import { runRepeated } from './repeat';
import { shellWord } from '../util/shell-word';
import { newRunId, parseRuntime, parseSeed, retriesFromEnv, RUN_CONFIG_ENV } from '../run/run-config';
import { drawSeed } from '../util/run-seed';
import { countVerdicts, formatCounts, RUN_EXIT } from '../report/verdict';
import { RUN_REPORT_FILES } from '../report/run-reports';
import { markLatestRun } from '../report/latest-run';
import { runEnd } from './run-end';
import { TIME_SCALE_ENV, timeScale } from '../util/time-scale';
import { runSplit, splitArgs } from './run-split';
import type { Shard } from '../run/shard';

export interface FeaturesOptions {
  /** cucumber-js arguments (tags, names, feature paths). */
  args: readonly string[];
  runtime?: string;
  /** A number or `auto`; default KEELHAUL_TIME_SCALE, else auto. */
  timeScale?: string;
  retries?: number;
  reports: string;
  /** Run the selected scenarios this many times and score their pass rates (1, the default, is a plain run). */
  repeat?: number;
  /** Only this part of the selected scenarios (default KEELHAUL_SHARD, else all). */
  shard?: Shard;
  /** Scenarios at once (default KEELHAUL_PARALLEL, else 1). */
  parallel?: number;
}

/** `read()`, with a failure's message prefixed by the variable it came from. */
function named<T>(variable: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new Error(`${variable}: ${(error as Error).message}`);
  }
}

/**
 * `keelhaul features` (and `npm run features`): the features against the reference implementation
 * (or KEELHAUL_IMPL), with the run's exit code taken from its verdicts, not from Cucumber's status:
 * a retried INCONCLUSIVE that then passed is a pass, a FAIL whose retry was skipped is a failure.
 */
export async function runFeatures(options: FeaturesOptions): Promise<number> {
  // This run's settings come from its options and the environment, never from a config an outer run left behind.
  delete process.env[RUN_CONFIG_ENV];
  // The time scale is settled once for the run, here, so `auto` measures before any node starts.
  process.env[TIME_SCALE_ENV] = options.timeScale ?? process.env[TIME_SCALE_ENV] ?? 'auto';
  const runId = process.env.KEELHAUL_RUN_ID?.trim() || newRunId();
  const givenDir = process.env.KEELHAUL_REPORT_DIR?.trim();
  const runDir = path.resolve(givenDir || path.join(options.reports, runId));
  const impl = process.env.KEELHAUL_IMPL;
  let settings: RunSettings;
  let givenSeed: string | undefined;
  try {
    const seed = process.env.KEELHAUL_SEED;
    givenSeed = seed !== undefined && seed.trim() !== '' ? named('KEELHAUL_SEED', () => parseSeed(seed)) : undefined;
    settings = {
      // The manifest path is resolved here, against the caller's folder (cucumber-js runs in the package's).
      ...(impl ? { impl: path.resolve(impl) } : {}),
      // Its message names HARNESS_RUNTIME and --runtime itself.
      runtime: parseRuntime(options.runtime ?? process.env.HARNESS_RUNTIME),
      // Resolved before the run (auto measures here), so every scenario and every replay line shares the same scale.
      timeScale: timeScale(),
      retries: options.retries ?? named('KEELHAUL_RETRIES', () => retriesFromEnv()),
      ...runSplit(options),
    };
  } catch (error) {
    process.stderr.write(`keelhaul features: ${(error as Error).message}\n`);
    return RUN_EXIT.unusable;
  }
  // A folder KEELHAUL_REPORT_DIR names may be anywhere: only a run folder made inside --reports is marked its latest.
  if (!givenDir) warnIf(markLatestRun(runDir));
  const selection = options.args.length > 0 ? options.args.join(' ') : 'the features';
  const command = ['keelhaul features', ...(options.runtime ? ['--runtime', options.runtime] : []), '--time-scale', String(settings.timeScale), ...splitArgs(settings), ...options.args.map(shellWord)].join(' ');
  const replay = (seed: string) => `KEELHAUL_SEED=${seed} ${command}`;
  if (options.repeat !== undefined && options.repeat > 1) {
    return runRepeated({
      title: 'keelhaul features',
      times: options.repeat,
      selection,
      parentDir: runDir,
      runId,
      fixedSeed: givenSeed,
      implementation: impl ?? 'reference',
      replay,
      cucumber: { args: options.args, settings, stdin: 'inherit' },
    });
  }
  // A seed is settled here too (KEELHAUL_SEED, else a fresh one), so the run config holds everything the run obeys.
  const seed = givenSeed ?? drawSeed();
  // The replay line repeats the selection and the shard: the seed alone would replay other scenarios.
  const config = { ...settings, runId, reportDir: runDir, seed, replay: replay(seed) };
  // Cucumber's own usage errors (a bad tag expression, an unknown option) end as a run that did not finish.
  const end = runEnd(await runCucumber({ args: options.args, config, stdin: 'inherit' }), runDir, selection);
  if (!end.judged) {
    process.stderr.write(`keelhaul features: ${end.problem}; exit ${end.exit}\n`);
    return end.exit;
  }
  process.stdout.write(`keelhaul features: ${formatCounts(countVerdicts(end.verdicts))}; exit ${end.exit}; ${path.join(runDir, RUN_REPORT_FILES.summary)}\n`);
  return end.exit;
}

function warnIf(problem: string | undefined): void {
  if (problem) process.stderr.write(`keelhaul: ${problem}\n`);
}
