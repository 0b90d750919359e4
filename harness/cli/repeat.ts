import path from 'node:path';
import { runCucumber, type CucumberRun, type RunSettings } from './run-cucumber';
import { drawSeed } from '../util/run-seed';
import { aggregateRepetitions, FLAKE_REPORT_FILES, renderFlakeTable, type Repetition } from '../report/flake-report';
import { writeFlakeReports } from '../report/run-reports';
import { formatCounts, RUN_EXIT } from '../report/verdict';
import { runEnd } from './run-end';

export { MAX_REPEAT, parseRepeat } from './repeat-option';

/** The folder of repetition `index` inside the parent run folder. */
export function repetitionDir(index: number): string {
  return `rep-${index}`;
}

export interface RepeatPlan {
  /** `keelhaul features` / `keelhaul verify`: prefixes every line printed and titles the summary. */
  title: string;
  times: number;
  /** The parent run folder; repetition i writes its own run folder rep-i inside it. */
  parentDir: string;
  runId: string;
  /** A seed every repetition replays (--seed, KEELHAUL_SEED); otherwise each draws a fresh one. */
  fixedSeed?: string;
  /** The scenarios selected (tags, names), for the message when none matched. */
  selection: string;
  /** What the implementation is called when no repetition finished to say so. */
  implementation: string;
  /** The command that replays one repetition with `seed`. */
  replay: (seed: string) => string;
  /** cucumber-js arguments, settings and stdin for one repetition (its seed, replay line, folder and run id are added). */
  cucumber: Omit<CucumberRun, 'config'> & { settings: RunSettings };
}

/**
 * Runs the selected scenarios `times` times in sequence, each repetition in its own run folder with
 * its own seed (fresh unless one was fixed, so every failure names a seed that replays it), then
 * writes the flake reports into the parent folder and prints the table. Stops early at a repetition
 * that did not finish (a usage error would repeat; an interrupted run should end) or after Ctrl-C.
 * Resolves to the exit code (aggregateRepetitions).
 */
export async function runRepeated(plan: RepeatPlan): Promise<number> {
  let interrupted = false;
  // runCucumber forwards the signal to the running repetition; this only keeps the next one from starting.
  const stop = () => (interrupted = true);
  process.on('SIGINT', stop).on('SIGTERM', stop);
  const repetitions: Repetition[] = [];
  let implementation = plan.implementation;
  try {
    for (let index = 1; index <= plan.times && !interrupted; index++) {
      const seed = plan.fixedSeed ?? drawSeed();
      const dir = repetitionDir(index);
      const runDir = path.join(plan.parentDir, dir);
      const replay = plan.replay(seed);
      process.stdout.write(`${plan.title}: repetition ${index}/${plan.times}, seed ${seed}, folder ${runDir}\n`);
      const { settings, ...cucumber } = plan.cucumber;
      const outcome = await runCucumber({
        ...cucumber,
        config: { ...settings, runId: `${plan.runId}-${dir}`, reportDir: runDir, seed, replay },
      });
      repetitions.push({ index, seed, dir, verdicts: outcome.verdicts, replay });
      if (outcome.report) implementation = outcome.report.implementation;
      const end = runEnd(outcome, runDir, plan.selection);
      if (!end.judged && end.exit === RUN_EXIT.nothingRan) {
        process.stderr.write(`${plan.title}: ${end.problem}; exit ${end.exit}\n`);
        return end.exit;
      }
      if (!end.judged) {
        process.stderr.write(`${plan.title}: repetition ${index}: ${end.problem}; no further repetitions\n`);
        break;
      }
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
  if (repetitions.every((rep) => rep.verdicts === undefined)) return RUN_EXIT.unusable;
  const report = aggregateRepetitions(plan.times, repetitions);
  writeFlakeReports(plan.parentDir, { title: plan.title, implementation }, report);
  process.stdout.write(
    `\n${plan.title}: ${repetitions.length} of ${plan.times} repetitions run; over all runs ${formatCounts(report.counts)}; exit ${report.exit}\n` +
      renderFlakeTable(report) +
      `  summary ${path.join(plan.parentDir, FLAKE_REPORT_FILES.summary)}\n  junit   ${path.join(plan.parentDir, FLAKE_REPORT_FILES.junit)}\n  repeat  ${path.join(plan.parentDir, FLAKE_REPORT_FILES.repeat)}\n`,
  );
  return report.exit;
}

