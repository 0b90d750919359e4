import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cucumberBin } from './cucumber-bin';
import { RUN_REPORT_FILES, readVerdicts, type VerdictsFile } from '../report/run-reports';
import type { ScenarioVerdict } from '../report/verdict';
import { RUN_CONFIG_ENV, writeRunConfig, type RunConfig } from '../run/run-config';
import { PACKAGE_ROOT } from '../run/package-root';

/** A run's settings before its repetition fixes the folder, id, seed and replay line. */
export type RunSettings = Omit<RunConfig, 'runId' | 'reportDir' | 'seed' | 'replay'>;

export interface CucumberRun {
  /** Arguments for cucumber-js (tags, names, paths). */
  args: readonly string[];
  /** Everything the run obeys, its folder (`reportDir`, created by the run) included. */
  config: RunConfig;
  /** Inherit stdin (interactive `features`) or not (`verify`). */
  stdin?: 'inherit' | 'ignore';
  /** Ends the run early (SIGTERM to cucumber-js, whose hooks stop the nodes): a caller's time bound. */
  signal?: AbortSignal;
}

export interface CucumberOutcome {
  /** cucumber-js's own exit code (null when a signal ended it). */
  code: number | null;
  /** The run's verdicts, or undefined when it never wrote verdicts.json (it did not finish). */
  verdicts?: ScenarioVerdict[];
  /** The whole verdicts.json (implementation, claims, seed, replay line) when it was written. */
  report?: VerdictsFile;
}

/**
 * Runs cucumber-js as a child on `run.config`, written to the run folder as run-config.json and named
 * by KEELHAUL_RUN_CONFIG, its one variable (harness/run/run-config.ts). Forwards Ctrl-C and SIGTERM to
 * it, and reads back the verdicts it wrote.
 */
export async function runCucumber(run: CucumberRun): Promise<CucumberOutcome> {
  const configFile = writeRunConfig(run.config);
  // In the package's folder, so Cucumber finds its cucumber.js, the features and the compiled steps
  // there (also when keelhaul is installed in node_modules); the run folder is absolute already.
  const child = spawn(process.execPath, [cucumberBin(PACKAGE_ROOT), ...run.args], {
    cwd: PACKAGE_ROOT,
    stdio: [run.stdin ?? 'ignore', 'inherit', 'inherit'],
    env: { ...process.env, [RUN_CONFIG_ENV]: configFile },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const abort = () => child.kill('SIGTERM');
  run.signal?.addEventListener('abort', abort);
  if (run.signal?.aborted) abort();
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  process.off('SIGINT', forward).off('SIGTERM', forward);
  run.signal?.removeEventListener('abort', abort);
  const file = path.join(run.config.reportDir, RUN_REPORT_FILES.verdicts);
  const report = fs.existsSync(file) ? readVerdicts(run.config.reportDir) : undefined;
  return { code, verdicts: report?.verdicts, report };
}
