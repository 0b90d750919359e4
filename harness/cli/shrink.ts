import fs from 'node:fs';
import path from 'node:path';
import { loadManifest } from '../manifest/manifest';
import { ManifestError } from '../manifest/manifest-error';
import { newRunId, parseRuntime, parseSeed, type RunRuntime } from '../run/run-config';
import { PACKAGE_ROOT } from '../run/package-root';
import { TIME_SCALE_ENV, timeScale } from '../util/time-scale';
import { checkReproductionRule, DEFAULT_REPRODUCTION, type ReproductionRule } from '../shrink/reproduction';
import { findStormScenario, renderFeature, renderScenario, StormScenarioError, type StormCandidate } from '../shrink/storm-scenario';
import { baselineFromRun, baselineOf, NoBaseline, type Baseline } from '../shrink/baseline';
import { describeFaults, shrinkStorm } from '../shrink/shrink-storm';
import { CUCUMBER_FILES_PROFILE, runScenario, runStormFromSeed, type ShrinkRunSettings } from './shrink-scenario-run';
import { DEFAULT_MAX_MINUTES, DEFAULT_MAX_TRIALS } from './shrink-command';

/**
 * Exit codes: 0 a reproducing schedule was shrunk and printed; 1 the storm did not FAIL (nothing to
 * shrink); 2 the shrink could not be made (bad options, a manifest or run folder that cannot be
 * used); 130 stopped by Ctrl-C (the smallest reproducing schedule found by then is still printed).
 */
export const SHRINK_EXIT = { shrunk: 0, nothingToShrink: 1, unusable: 2, interrupted: 130 } as const;

/** Files a shrink leaves in its folder besides the trials. */
export const SHRINK_FILES = { feature: 'shrunk.feature', summary: 'shrink.json' } as const;

export interface ShrinkOptions {
  impl: string;
  name: string;
  seed?: string;
  from?: string;
  runs?: number;
  needs?: number;
  maxTrials?: number;
  maxMinutes?: number;
  reports: string;
  runtime?: string;
  timeScale?: string;
}

function fail(message: string): number {
  process.stderr.write(`keelhaul shrink: ${message}\n`);
  return SHRINK_EXIT.unusable;
}

/** A check of the options that needs no run: the first problem, or the settled values. */
function checkOptions(options: ShrinkOptions): { problem: string } | { rule: ReproductionRule; runtime: RunRuntime; seed?: string } {
  if (options.seed === undefined && options.from === undefined) return { problem: 'give the failing storm: --seed <n> (run it from its seed) or --from <run folder> (a run where it failed)' };
  if (options.seed !== undefined && options.from !== undefined) return { problem: '--seed and --from both given: --from takes the seed the run recorded; give one of them' };
  let seed: string | undefined;
  let rule: ReproductionRule;
  let runtime: RunRuntime;
  try {
    seed = options.seed === undefined ? undefined : parseSeed(options.seed);
  } catch (error) {
    return { problem: `--seed: ${(error as Error).message}` };
  }
  try {
    rule = checkReproductionRule({ runs: options.runs ?? DEFAULT_REPRODUCTION.runs, needs: options.needs ?? Math.min(DEFAULT_REPRODUCTION.needs, options.runs ?? DEFAULT_REPRODUCTION.runs) });
  } catch (error) {
    return { problem: (error as Error).message };
  }
  try {
    runtime = parseRuntime(options.runtime ?? process.env.HARNESS_RUNTIME);
  } catch (error) {
    return { problem: `--runtime: ${(error as Error).message}` };
  }
  return { rule, runtime, seed };
}

/** `keelhaul shrink`: the failing storm's schedule reduced, printed as Gherkin and written to the shrink's folder. */
export async function runShrink(options: ShrinkOptions): Promise<number> {
  const checked = checkOptions(options);
  if ('problem' in checked) return fail(checked.problem);
  const { rule, runtime } = checked;
  let implementation: string;
  try {
    implementation = loadManifest(options.impl).manifest.name;
  } catch (error) {
    if (error instanceof ManifestError) return fail(`the manifest cannot be used.\n${error.message}`);
    throw error;
  }
  let storm;
  try {
    storm = findStormScenario(PACKAGE_ROOT, options.name);
  } catch (error) {
    if (error instanceof StormScenarioError) return fail(error.message);
    throw error;
  }

  const runDir = path.resolve(options.reports, newRunId('shrink'));
  fs.mkdirSync(runDir, { recursive: true });
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.on('SIGINT', interrupt);
  const maxMinutes = options.maxMinutes ?? DEFAULT_MAX_MINUTES;
  let timedOut = false;
  const timeBound = setTimeout(() => {
    timedOut = true;
    process.stdout.write(`keelhaul shrink: the time bound (${maxMinutes} min) is reached: the trial in progress is stopped\n`);
    controller.abort();
  }, maxMinutes * 60_000);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    let baseline: Baseline;
    let scale: number;
    const settingsAt = (seed: string, timeScaleValue: number): ShrinkRunSettings => ({ impl: path.resolve(options.impl), seed, runtime, timeScale: timeScaleValue, signal: controller.signal });
    if (options.from !== undefined) {
      try {
        baseline = baselineFromRun(options.from, storm);
      } catch (error) {
        if (error instanceof NoBaseline) return error.unusable ? fail(error.message) : (say(`keelhaul shrink: ${error.message}`), SHRINK_EXIT.nothingToShrink);
        throw error;
      }
      scale = options.timeScale === undefined ? baseline.timeScale : resolveScale(options.timeScale);
      say(`keelhaul shrink: ${implementation}; "${storm.name}" (${storm.file}) as it FAILed in ${path.dirname(baseline.scenarioDir)}; seed ${baseline.seed}; time scale ${scale}`);
    } else {
      scale = resolveScale(options.timeScale);
      const seed = checked.seed as string;
      say(`keelhaul shrink: ${implementation}; "${storm.name}" (${storm.file}); seed ${seed}; time scale ${scale}: running the storm from its seed first`);
      try {
        const baselineDir = path.join(runDir, 'baseline');
        const run = await runStormFromSeed(storm.file, storm.name, baselineDir, settingsAt(seed, scale));
        if (run.verdict === undefined) throw new NoBaseline(`the storm with seed ${seed} gave no verdict (${run.outcome}); see ${baselineDir}`, false);
        baseline = baselineOf(run.verdict, baselineDir, `the run with seed ${seed}`);
      } catch (error) {
        if (!(error instanceof NoBaseline)) throw error;
        if (controller.signal.aborted) return (say('keelhaul shrink: stopped before the storm had failed: nothing shrunk'), SHRINK_EXIT.interrupted);
        if (error.unusable) return fail(error.message);
        say(`keelhaul shrink: ${error.message}`);
        return SHRINK_EXIT.nothingToShrink;
      }
    }
    say(`baseline: FAIL (${baseline.verdict.reason}) with ${baseline.faults.length} faults: ${describeFaults(baseline.faults)}`);
    say(`a candidate reproduces when it FAILs in ${rule.needs} of ${rule.runs} runs; at most ${options.maxTrials ?? DEFAULT_MAX_TRIALS} trials and ${maxMinutes} minutes; trials in ${path.join(runDir, 'trials')}`);

    const start: StormCandidate = { faults: baseline.faults, load: storm.load };
    const settings = settingsAt(baseline.seed, scale);
    const outcome = await shrinkStorm({
      storm,
      start,
      rule,
      maxTrials: options.maxTrials ?? DEFAULT_MAX_TRIALS,
      runFeature: async (feature, dir) => (await runScenario({ feature }, dir, settings)).outcome,
      stopped: () => controller.signal.aborted,
      trialsDir: path.join(runDir, 'trials'),
      progress: say,
    });
    const { smallest } = outcome;
    const title = `${storm.name}, shrunk: ${smallest.faults.length} of ${baseline.faults.length} faults (seed ${baseline.seed})`;
    const scenario = renderScenario(storm, smallest, title);
    const featureFile = path.join(runDir, SHRINK_FILES.feature);
    fs.writeFileSync(featureFile, renderFeature(storm, smallest, title));
    fs.writeFileSync(
      path.join(runDir, SHRINK_FILES.summary),
      `${JSON.stringify({ implementation, impl: path.resolve(options.impl), scenario: storm.name, feature: storm.file, seed: baseline.seed, timeScale: scale, rule, ended: outcome.ended, trials: outcome.trials, start, smallest, log: outcome.log }, null, 2)}\n`,
    );
    const why = { minimal: 'removing any one fault, less load or a shorter fault no longer reproduces', 'max-trials': 'the trial cap was reached: a smaller schedule may exist', stopped: 'stopped early: a smaller schedule may exist' }[outcome.ended];
    say(`\nkeelhaul shrink: ${baseline.faults.length} -> ${smallest.faults.length} faults, load ${storm.load} -> ${smallest.load}, in ${outcome.trials} trials (${why}).`);
    if (smallest.faults.length === 0) say('It FAILs with no fault at all: the storm\'s faults are not what makes it fail (a bug under load alone; or a flaky oracle: try more --runs).');
    say(`Paste into a feature file, or run ${SHRINK_FILES.feature} on its own: KEELHAUL_IMPL=${path.resolve(options.impl)} npx cucumber-js --profile ${CUCUMBER_FILES_PROFILE} ${featureFile}\n`);
    process.stdout.write(scenario);
    say(`\n  feature  ${featureFile}\n  summary  ${path.join(runDir, SHRINK_FILES.summary)}`);
    // The time bound is a normal end (what was found is printed); Ctrl-C is the user's.
    return outcome.ended === 'stopped' && !timedOut ? SHRINK_EXIT.interrupted : SHRINK_EXIT.shrunk;
  } finally {
    clearTimeout(timeBound);
    process.off('SIGINT', interrupt);
    // A shrink that ended before running anything (a run folder that cannot be used) leaves no empty folder behind.
    if (fs.readdirSync(runDir).length === 0) fs.rmdirSync(runDir);
  }

  function resolveScale(text: string | undefined): number {
    process.env[TIME_SCALE_ENV] = text ?? process.env[TIME_SCALE_ENV] ?? 'auto';
    return timeScale();
  }
}
