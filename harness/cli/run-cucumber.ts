import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cucumberBin } from './cucumber-bin';
import { RUN_REPORT_FILES, readVerdicts, type VerdictsFile } from '../report/run-reports';
import type { ScenarioVerdict } from '../report/verdict';
import { TIME_SCALE_ENV, timeScale } from '../util/time-scale';

/** How many times a scenario that came out INCONCLUSIVE is tried again before that is its verdict. */
export const DEFAULT_RETRIES = 2;
export const RETRIES_ENV = 'KEELHAUL_RETRIES';

/** `--retries <n>`: 0 to 10. */
export function parseRetries(text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value > 10) throw new Error(`--retries is a whole number from 0 to 10, not "${text}"`);
  return value;
}

/** A fresh run id: the time, plus the pid so two runs started in the same millisecond never share a folder. */
export function newRunId(suffix?: string): string {
  return [new Date().toISOString().replace(/[:.]/g, '-'), String(process.pid), suffix].filter(Boolean).join('-');
}

export interface CucumberRun {
  /** Arguments for cucumber-js (tags, names, paths). */
  args: readonly string[];
  /** The run's report folder (created by the run). */
  runDir: string;
  runId: string;
  /** Extra environment for the run (implementation, seed, replay line, runtime). */
  env?: NodeJS.ProcessEnv;
  /** Inherit stdin (interactive `features`) or not (`verify`). */
  stdin?: 'inherit' | 'ignore';
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
 * Runs cucumber-js as a child with the run's folder, id, time scale and retries fixed in its
 * environment, forwarding Ctrl-C and SIGTERM to it, and reads back the verdicts it wrote. The time
 * scale is resolved here (once, `auto` measured before the run) so every scenario shares it.
 */
export async function runCucumber(run: CucumberRun): Promise<CucumberOutcome> {
  const root = path.resolve(__dirname, '../../..');
  const scale = timeScale();
  const child = spawn(process.execPath, [cucumberBin(root), ...run.args], {
    cwd: root,
    stdio: [run.stdin ?? 'ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      ...run.env,
      [TIME_SCALE_ENV]: String(scale),
      KEELHAUL_RUN_ID: run.runId,
      KEELHAUL_REPORT_DIR: run.runDir,
    },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  process.off('SIGINT', forward).off('SIGTERM', forward);
  const file = path.join(run.runDir, RUN_REPORT_FILES.verdicts);
  const report = fs.existsSync(file) ? readVerdicts(run.runDir) : undefined;
  return { code, verdicts: report?.verdicts, report };
}
