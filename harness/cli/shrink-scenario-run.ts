import fs from 'node:fs';
import path from 'node:path';
import { runCucumber } from './run-cucumber';
import type { RunRuntime } from '../run/run-config';
import type { ScenarioVerdict } from '../report/verdict';
import type { RunOutcome } from '../shrink/reproduction';

/** The cucumber.js profile that runs only the feature files given on the command line. */
export const CUCUMBER_FILES_PROFILE = 'files';

/** What every run of a shrink shares: the implementation, the seed the load draws from, where and how fast nodes run. */
export interface ShrinkRunSettings {
  /** The manifest, absolute. */
  impl: string;
  seed: string;
  runtime: RunRuntime;
  timeScale: number;
  /** Ends the run in progress (Ctrl-C, the time bound). */
  signal: AbortSignal;
}

export interface ScenarioRun {
  outcome: RunOutcome;
  /** The scenario's verdict, when the run judged one. */
  verdict?: ScenarioVerdict;
  /** The run's folder (its verdicts.json; the scenario's history, logs and fault-schedule.json under verdict.dir). */
  reportDir: string;
}

/**
 * One scenario run through the machinery `keelhaul verify` uses (cucumber-js as a child on a run
 * config), with no retries: an INCONCLUSIVE run is an answer here, not something to hide. `source`
 * is either Cucumber arguments selecting a scenario of features/, or a feature file's text, written
 * to `<reportDir>/scenario.feature` and run alone.
 */
export async function runScenario(source: { args: string[] } | { feature: string }, reportDir: string, settings: ShrinkRunSettings): Promise<ScenarioRun> {
  let args: string[];
  if ('feature' in source) {
    fs.mkdirSync(reportDir, { recursive: true });
    const file = path.join(reportDir, 'scenario.feature');
    fs.writeFileSync(file, source.feature);
    // The `files` profile (cucumber.js): this file alone, not features/ besides.
    args = ['--profile', CUCUMBER_FILES_PROFILE, file];
  } else {
    args = source.args;
  }
  const { verdicts } = await runCucumber({
    args,
    signal: settings.signal,
    config: { runId: path.basename(reportDir), reportDir, impl: settings.impl, seed: settings.seed, runtime: settings.runtime, timeScale: settings.timeScale, retries: 0 },
  });
  if (settings.signal.aborted) return { outcome: 'NOT-RUN', reportDir };
  if (verdicts === undefined) return { outcome: 'ERROR', reportDir };
  if (verdicts.length === 0) return { outcome: 'NOT-RUN', reportDir };
  return { outcome: verdicts[0].verdict, verdict: verdicts[0], reportDir };
}

/** The storm run once from its seed, as `keelhaul verify --seed` would; its verdict, if it gave one. */
export function runStormFromSeed(stormFile: string, stormName: string, reportDir: string, settings: ShrinkRunSettings): Promise<ScenarioRun> {
  const escaped = stormName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return runScenario({ args: [stormFile, '--name', `^${escaped}$`] }, reportDir, settings);
}
