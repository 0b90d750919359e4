import path from 'node:path';
import { newRunId, runCucumber, RETRIES_ENV } from './run-cucumber';
import { runRepeated, shellWord } from './repeat';
import { parseSeed } from '../util/run-seed';
import { countVerdicts, exitCodeFor, formatCounts, RUN_EXIT } from '../report/verdict';
import { RUN_REPORT_FILES } from '../report/run-reports';
import { TIME_SCALE_ENV, timeScale } from '../util/time-scale';

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
}

/**
 * `keelhaul features` (and `npm run features`): the features against the reference implementation
 * (or KEELHAUL_IMPL), with the run's exit code taken from its verdicts, not from Cucumber's status:
 * a retried INCONCLUSIVE that then passed is a pass, a FAIL whose retry was skipped is a failure.
 */
export async function runFeatures(options: FeaturesOptions): Promise<number> {
  // The time scale is settled once for the run, here, so `auto` measures before any node starts.
  process.env[TIME_SCALE_ENV] = options.timeScale ?? process.env[TIME_SCALE_ENV] ?? 'auto';
  const runId = process.env.KEELHAUL_RUN_ID ?? newRunId();
  const runDir = path.resolve(process.env.KEELHAUL_REPORT_DIR ?? path.join(options.reports, runId));
  const env: NodeJS.ProcessEnv = {};
  if (options.runtime) env.HARNESS_RUNTIME = options.runtime;
  if (options.retries !== undefined) env[RETRIES_ENV] = String(options.retries);
  if (options.repeat !== undefined && options.repeat > 1) {
    const given = process.env.KEELHAUL_SEED;
    let fixedSeed: string | undefined;
    try {
      fixedSeed = given !== undefined && given.trim() !== '' ? parseSeed(given) : undefined;
    } catch (error) {
      process.stderr.write(`keelhaul features: KEELHAUL_SEED: ${(error as Error).message}\n`);
      return RUN_EXIT.unusable;
    }
    // Resolved before the first repetition (auto measures here), so every replay line repeats the same scale.
    const scale = timeScale();
    const command = ['keelhaul features', ...(options.runtime ? ['--runtime', options.runtime] : []), '--time-scale', String(scale), ...options.args.map(shellWord)].join(' ');
    return runRepeated({
      title: 'keelhaul features',
      times: options.repeat,
      parentDir: runDir,
      runId,
      fixedSeed,
      implementation: process.env.KEELHAUL_IMPL ?? 'reference',
      replay: (seed) => `KEELHAUL_SEED=${seed} ${command}`,
      cucumber: { args: options.args, env, stdin: 'inherit' },
    });
  }
  const { code, verdicts } = await runCucumber({ args: options.args, runDir, runId, env, stdin: 'inherit' });
  if (verdicts === undefined) {
    // Cucumber's own usage errors (a bad tag expression, an unknown option) end here, before any scenario ran.
    process.stderr.write(`keelhaul features: the run did not finish (cucumber-js exited with ${code}); nothing was judged\n`);
    return RUN_EXIT.unusable;
  }
  if (verdicts.length === 0) {
    process.stderr.write('keelhaul features: no scenario matched\n');
    return RUN_EXIT.unusable;
  }
  const exit = exitCodeFor(verdicts);
  process.stdout.write(`keelhaul features: ${formatCounts(countVerdicts(verdicts))}; exit ${exit}; ${path.join(runDir, RUN_REPORT_FILES.summary)}\n`);
  return exit;
}
