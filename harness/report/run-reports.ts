import fs from 'node:fs';
import path from 'node:path';
import { renderJUnit } from './junit';
import { renderMarkdownSummary, type RunInfo } from './markdown-summary';
import type { ScenarioVerdict } from './verdict';

export const RUN_REPORT_FILES = { verdicts: 'verdicts.json', junit: 'junit.xml', summary: 'summary.md' } as const;

/** The run's own reports, next to the scenario folders: verdicts.json, junit.xml and summary.md. */
export function writeRunReports(runDir: string, info: RunInfo, verdicts: readonly ScenarioVerdict[]): void {
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.verdicts), `${JSON.stringify({ ...info, verdicts }, null, 2)}\n`);
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.junit), renderJUnit(info.implementation, verdicts));
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.summary), renderMarkdownSummary(info, verdicts));
}

export interface VerdictsFile extends RunInfo {
  verdicts: ScenarioVerdict[];
}

export function readVerdicts(runDir: string): VerdictsFile {
  return JSON.parse(fs.readFileSync(path.join(runDir, RUN_REPORT_FILES.verdicts), 'utf8')) as VerdictsFile;
}
