import fs from 'node:fs';
import path from 'node:path';
import { FLAKE_REPORT_FILES } from './flake-report';
import { LATEST_RUN, latestRun } from './latest-run';
import { CUCUMBER_REPORT_FILES, RUN_REPORT_FILES, readVerdicts, writeRunReports, type VerdictsFile } from './run-reports';
import type { RunPart } from './markdown-summary';
import { inRunOrder } from './run-order';
import type { ScenarioVerdict } from './verdict';

/**
 * `keelhaul merge-reports`: the reports of several runs of one selection (the shards of a run split
 * across CI machines with --shard i/n) joined into the reports one run would have written.
 */

/** Inputs that cannot be merged; the message names the folders and what is wrong with them. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

/** One input: a run folder and the verdicts.json its run wrote. */
export interface InputRun {
  dir: string;
  report: VerdictsFile;
}

export interface MergedRun {
  report: VerdictsFile;
  /** Reports written besides verdicts.json, junit.xml and summary.md (Cucumber's JSON report), and those left out with why. */
  extra: { written: string[]; skipped: string[] };
}

/** Reads one input folder's verdicts.json, or says precisely why the folder is not a finished run folder. */
export function readInputRun(dir: string): InputRun {
  const absolute = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    throw new MergeError(`${dir}: no such folder`);
  }
  if (!stat.isDirectory()) throw new MergeError(`${dir}: not a folder (give the run folders, e.g. reports/<run id>)`);
  const file = path.join(absolute, RUN_REPORT_FILES.verdicts);
  const latest = fs.existsSync(file) ? undefined : newestRunIn(absolute);
  if (latest !== undefined) return readInputRun(latest);
  if (!fs.existsSync(file)) {
    if (fs.existsSync(path.join(absolute, FLAKE_REPORT_FILES.repeat))) throw new MergeError(`${dir}: a repeated run's folder (${FLAKE_REPORT_FILES.repeat}); its repetitions are separate runs of the same scenarios, not parts of one`);
    throw new MergeError(`${dir}: not a keelhaul run folder (no ${RUN_REPORT_FILES.verdicts}; a run that did not finish writes none) nor a reports folder (no ${LATEST_RUN})`);
  }
  let report: VerdictsFile;
  try {
    report = readVerdicts(absolute);
  } catch (error) {
    throw new MergeError(`${dir}: ${RUN_REPORT_FILES.verdicts} cannot be read: ${(error as Error).message}`);
  }
  if (typeof report !== 'object' || report === null || !Array.isArray(report.verdicts) || typeof report.implementation !== 'string' || !Array.isArray(report.claimed)) {
    throw new MergeError(`${dir}: ${RUN_REPORT_FILES.verdicts} is not a run's verdicts (expected implementation, claimed and verdicts)`);
  }
  return { dir: absolute, report };
}

/**
 * A reports folder's newest run (`latest`), so a folder given whole (as a CI artifact keeps
 * `--reports <folder>`) reads as its run. `latest` is a symlink, or the file naming the run where
 * none could be made, or a plain copy of the run folder where an upload followed the symlink.
 */
function newestRunIn(reports: string): string | undefined {
  const link = path.join(reports, LATEST_RUN);
  try {
    if (fs.lstatSync(link).isDirectory()) return link;
  } catch {
    return undefined;
  }
  return latestRun(reports);
}

/** How a scenario is known across runs: its feature file and line, else (an older report) its name. */
function scenarioKey(verdict: ScenarioVerdict): string {
  return verdict.line !== undefined ? `${verdict.feature}:${verdict.line}` : `${verdict.feature}: ${verdict.scenario}`;
}

/** The inputs must be of one implementation, with the same claims, and (when sharded) every part of one split once. */
function checkInputsBelongTogether(inputs: readonly InputRun[], shown: (run: InputRun) => string): void {
  const [first] = inputs;
  for (const run of inputs.slice(1)) {
    if (run.report.implementation !== first.report.implementation) {
      throw new MergeError(`${shown(run)} is a run of "${run.report.implementation}", ${shown(first)} of "${first.report.implementation}": only runs of one implementation merge`);
    }
    if ([...run.report.claimed].sort().join(',') !== [...first.report.claimed].sort().join(',')) {
      throw new MergeError(`${shown(run)} claims ${run.report.claimed.join(', ')}, ${shown(first)} claims ${first.report.claimed.join(', ')}: the same scenario would be judged differently`);
    }
  }
  const sharded = inputs.filter((run) => run.report.shard !== undefined);
  if (sharded.length === 0) return;
  const whole = inputs.find((run) => run.report.shard === undefined);
  if (whole) throw new MergeError(`${shown(whole)} is a whole run, ${shown(sharded[0])} is shard ${sharded[0].report.shard}: merge the shards of one split only`);
  const total = Number(sharded[0].report.shard!.split('/')[1]);
  const byIndex = new Map<number, InputRun>();
  for (const run of sharded) {
    const [index, n] = run.report.shard!.split('/').map(Number);
    if (n !== total) throw new MergeError(`${shown(run)} is shard ${run.report.shard}, ${shown(sharded[0])} is shard ${sharded[0].report.shard}: shards of different splits`);
    const same = byIndex.get(index);
    if (same) throw new MergeError(`${shown(same)} and ${shown(run)} are both shard ${run.report.shard}`);
    byIndex.set(index, run);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    throw new MergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((index) => `${index}/${total}`).join(', ')} missing: the merged report would leave out ${missing.length > 1 ? 'their' : 'its'} scenarios (given: ${[...byIndex.keys()].sort((a, b) => a - b).map((index) => `${index}/${total}`).join(', ')})`);
  }
}

/**
 * Joins the inputs' verdicts into one run's: each scenario from the one input that ran it (a scenario
 * in two inputs is an error: the merged counts would hold it twice), its folder made relative to
 * `outDir`, so the merged summary's links lead to the histories where they are.
 */
export function mergeInputRuns(inputs: readonly InputRun[], outDir: string): MergedRun['report'] {
  if (inputs.length === 0) throw new MergeError('no run folders given');
  const out = path.resolve(outDir);
  const shown = (run: InputRun) => path.relative(process.cwd(), run.dir) || '.';
  const seen = new Map<string, InputRun>();
  for (const run of inputs) {
    if (seen.has(run.dir)) throw new MergeError(`${shown(run)} is given twice`);
    if (run.dir === out) throw new MergeError(`--out ${outDir} is one of the inputs: its reports would be overwritten`);
    seen.set(run.dir, run);
  }
  checkInputsBelongTogether(inputs, shown);
  const owner = new Map<string, InputRun>();
  const verdicts: ScenarioVerdict[] = [];
  for (const run of inputs) {
    const own = new Set<string>();
    for (const verdict of run.report.verdicts) {
      const key = scenarioKey(verdict);
      const other = owner.get(key);
      if (other && other !== run) throw new MergeError(`"${verdict.scenario}" (${key}) is in ${shown(other)} and in ${shown(run)}: a scenario must come from one input only`);
      own.add(key);
      verdicts.push({ ...verdict, dir: verdict.dir === '' ? '' : path.relative(out, path.join(run.dir, verdict.dir)) });
    }
    for (const key of own) owner.set(key, run);
  }
  const [first] = inputs;
  const parts: RunPart[] = inputs.map((run) => ({ dir: path.relative(out, run.dir), ...(run.report.shard ? { shard: run.report.shard } : {}), seed: run.report.seed, replay: run.report.replay, scenarios: run.report.verdicts.length }));
  const seeds = [...new Set(inputs.map((run) => run.report.seed))];
  const runtimes = [...new Set(inputs.map((run) => run.report.runtime).filter((runtime) => runtime !== undefined))];
  const scales = [...new Set(inputs.map((run) => run.report.timeScale))];
  return {
    implementation: first.report.implementation,
    claimed: first.report.claimed,
    // The same implementation's manifest: each machine's own path to it; the first's stands for all.
    ...(first.report.manifest !== undefined ? { manifest: first.report.manifest } : {}),
    ...(runtimes.length > 0 ? { runtime: runtimes.join(', ') } : {}),
    // One scale when the parts shared it; else none, and each part's replay line has its own.
    ...(scales.length === 1 && scales[0] !== undefined ? { timeScale: scales[0] } : {}),
    // One seed when the parts shared it (as a CI matrix given KEELHAUL_SEED does); else each part's, in order.
    seed: seeds.join(', '),
    // No one command replays the whole: each part replays with its own line (parts).
    replay: parts.map((part) => part.replay).join('\n'),
    parts,
    selected: inputs.reduce((sum, run) => sum + (run.report.selected ?? run.report.verdicts.length), 0),
    notRun: inputs.flatMap((run) => run.report.notRun ?? []),
    verdicts: inRunOrder(verdicts),
  };
}

/**
 * Cucumber's JSON report (an array of features) of every input, concatenated; skipped, saying so,
 * when an input lacks it (a run made by plain cucumber-js with another profile).
 */
function mergeCucumberJson(inputs: readonly InputRun[], outDir: string): { written: string[]; skipped: string[] } {
  const name = CUCUMBER_REPORT_FILES.json;
  const lacking = inputs.filter((run) => !fs.existsSync(path.join(run.dir, name)));
  if (lacking.length > 0) return { written: [], skipped: [`${name}: not in ${lacking.map((run) => run.dir).join(', ')}`] };
  const features: unknown[] = [];
  for (const run of inputs) {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(run.dir, name), 'utf8'));
    if (!Array.isArray(parsed)) return { written: [], skipped: [`${name}: ${path.join(run.dir, name)} is not an array of features`] };
    features.push(...parsed);
  }
  fs.writeFileSync(path.join(outDir, name), `${JSON.stringify(features, null, 2)}\n`);
  return { written: [name], skipped: [] };
}

/**
 * Cucumber's HTML report is one page with the run's messages built in: it cannot be joined, and the
 * merged report.html stands for it (its rows link into each part's folder, where each part's is).
 */
const CUCUMBER_HTML_SKIPPED = `${CUCUMBER_REPORT_FILES.html}: Cucumber's HTML report cannot be joined; each part's stays in its folder, and ${RUN_REPORT_FILES.html} is the merged report`;

/** Reads the input folders, merges them and writes verdicts.json, junit.xml, summary.md, report.html (and Cucumber's JSON report) into `outDir`. */
export function mergeReports(inputDirs: readonly string[], outDir: string): MergedRun {
  const inputs = inputDirs.map(readInputRun);
  const report = mergeInputRuns(inputs, outDir);
  const out = path.resolve(outDir);
  const { verdicts, selected, notRun, ...info } = report;
  writeRunReports(out, info, verdicts, { selected: selected ?? verdicts.length, notRun: notRun ?? [] });
  const json = mergeCucumberJson(inputs, out);
  return { report, extra: { written: json.written, skipped: [...json.skipped, CUCUMBER_HTML_SKIPPED] } };
}
