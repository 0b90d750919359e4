import path from 'node:path';
import { mergeReports, MergeError } from '../report/merge-reports';
import { RUN_REPORT_FILES } from '../report/run-reports';
import { countVerdicts, formatCounts, RUN_EXIT } from '../report/verdict';
import { runEnd } from './run-end';

/**
 * `keelhaul merge-reports <run folder>... --out <folder>`: the shards' reports joined into one run's
 * (docs/runs.md). Exit codes as the run's own would be (RUN_EXIT): from the merged verdicts, 4 when
 * none of the parts ran a scenario, 2 when the folders cannot be merged.
 */
export function runMergeReports(inputs: readonly string[], outDir: string): number {
  let merged;
  try {
    merged = mergeReports(inputs, outDir);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    process.stderr.write(`keelhaul merge-reports: ${error.message}\n`);
    return RUN_EXIT.unusable;
  }
  const out = path.resolve(outDir);
  const { report, extra } = merged;
  for (const skipped of extra.skipped) process.stderr.write(`keelhaul merge-reports: not merged: ${skipped}\n`);
  const end = runEnd({ code: 0, verdicts: report.verdicts, report }, out, `the ${inputs.length} merged runs`);
  if (!end.judged) {
    process.stderr.write(`keelhaul merge-reports: ${end.problem}; exit ${end.exit}\n`);
    return end.exit;
  }
  const files = [RUN_REPORT_FILES.html, RUN_REPORT_FILES.summary, RUN_REPORT_FILES.junit, RUN_REPORT_FILES.verdicts, ...extra.written].map((file) => path.join(out, file));
  process.stdout.write(`keelhaul merge-reports: ${inputs.length} runs, ${report.verdicts.length} scenarios: ${formatCounts(countVerdicts(end.verdicts))}; exit ${end.exit}\n${files.map((file) => `  ${file}\n`).join('')}`);
  return end.exit;
}
