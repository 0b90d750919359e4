import fs from 'node:fs';
import path from 'node:path';
import { FLAKE_REPORT_FILES, renderFlakeJUnit, renderFlakeSummary, type FlakeReport, type FlakeRunInfo } from './flake-report';
import { renderHtmlReport } from './html-report';
import { renderJUnit } from './junit';
import { listScenarioFiles } from './scenario-files';
import { renderMarkdownSummary, type RunInfo } from './markdown-summary';
import type { ScenarioVerdict } from './verdict';

export const RUN_REPORT_FILES = { verdicts: 'verdicts.json', junit: 'junit.xml', summary: 'summary.md', html: 'report.html' } as const;

/** Cucumber's own reports of a run (cucumber.js's default profile writes them into the run folder). */
export const CUCUMBER_REPORT_FILES = { html: 'cucumber-report.html', json: 'cucumber-report.json' } as const;

/** How many scenarios Cucumber selected, and which of them it never ran (no verdict: --dry-run, --fail-fast). */
export interface RunSelection {
  selected: number;
  notRun: string[];
}

/**
 * The run's own reports, next to the scenario folders: verdicts.json, junit.xml, summary.md and
 * report.html, whose links to each scenario's files are found on disk now (a merged report's lead
 * into its parts' folders, where `runDir`-relative scenario folders resolve).
 */
export function writeRunReports(runDir: string, info: RunInfo, verdicts: readonly ScenarioVerdict[], selection?: RunSelection): void {
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.verdicts), `${JSON.stringify({ ...info, ...selection, verdicts }, null, 2)}\n`);
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.junit), renderJUnit(info.implementation, verdicts));
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.summary), renderMarkdownSummary(info, verdicts));
  const filesOf = (verdict: ScenarioVerdict) => (verdict.dir === '' ? [] : listScenarioFiles(path.resolve(runDir, verdict.dir)));
  fs.writeFileSync(path.join(runDir, RUN_REPORT_FILES.html), renderHtmlReport(info, verdicts, filesOf, selection?.notRun));
}

export interface VerdictsFile extends RunInfo, Partial<RunSelection> {
  verdicts: ScenarioVerdict[];
}

export function readVerdicts(runDir: string): VerdictsFile {
  return JSON.parse(fs.readFileSync(path.join(runDir, RUN_REPORT_FILES.verdicts), 'utf8')) as VerdictsFile;
}

/** A repeated run's parent folder: repeat.json (the aggregate), junit.xml and summary.md of the flake table. */
export function writeFlakeReports(parentDir: string, info: FlakeRunInfo, report: FlakeReport): void {
  fs.mkdirSync(parentDir, { recursive: true });
  fs.writeFileSync(path.join(parentDir, FLAKE_REPORT_FILES.repeat), `${JSON.stringify({ ...info, ...report }, null, 2)}\n`);
  fs.writeFileSync(path.join(parentDir, FLAKE_REPORT_FILES.junit), renderFlakeJUnit(`${info.title}: ${info.implementation}`, report));
  fs.writeFileSync(path.join(parentDir, FLAKE_REPORT_FILES.summary), renderFlakeSummary(info, report));
}
