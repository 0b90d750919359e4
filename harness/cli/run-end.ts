import fs from 'node:fs';
import { RUN_CONFIG_FILE } from '../run/run-config';
import { exitCodeFor, RUN_EXIT, type ScenarioVerdict } from '../report/verdict';
import type { CucumberOutcome } from './run-cucumber';

/** How a Cucumber run ended, as a front end reports it: judged (its verdicts decide the exit code), or not. */
export type RunEnd =
  | { judged: true; exit: number; verdicts: ScenarioVerdict[] }
  | { judged: false; exit: number; /** One plain sentence for the console. */ problem: string };

/**
 * Reads a finished Cucumber run: its verdicts, or why there are none. A run that did not finish
 * (Cucumber could not start, an unknown option) is RUN_EXIT.unusable; a run in which no scenario
 * ran (none matched `selection`, or every selected one was skipped: --dry-run) is RUN_EXIT.nothingRan,
 * never a pass.
 */
export function runEnd(outcome: CucumberOutcome, runDir: string, selection: string): RunEnd {
  const { verdicts, report } = outcome;
  if (verdicts === undefined) {
    return { judged: false, exit: RUN_EXIT.unusable, problem: `the run did not finish (cucumber-js exited with ${outcome.code ?? 'a signal'}); ${whatWasWritten(runDir)}` };
  }
  if (verdicts.length === 0) {
    const selected = report?.selected ?? 0;
    const problem =
      selected === 0
        ? `no scenario matched ${selection}: nothing ran, nothing was judged`
        : `${selected} ${selected === 1 ? 'scenario was' : 'scenarios were'} selected but none ran (Cucumber skipped every step: --dry-run, or --fail-fast): nothing was judged`;
    return { judged: false, exit: RUN_EXIT.nothingRan, problem };
  }
  return { judged: true, exit: exitCodeFor(verdicts), verdicts };
}

/** What an unfinished run left in its folder, so the message never points at a folder that is not there. */
function whatWasWritten(runDir: string): string {
  let files: string[];
  try {
    files = fs.readdirSync(runDir);
  } catch {
    return 'no report folder was written';
  }
  if (files.length === 0) return `its folder ${runDir} is empty`;
  if (files.every((file) => file === RUN_CONFIG_FILE)) return `no report was written (${runDir} holds only the run's settings, ${RUN_CONFIG_FILE}); cucumber-js's output above says why`;
  return `see ${runDir}`;
}
