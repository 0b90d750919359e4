import { countVerdicts, exitCodeFor, formatCounts, RUN_EXIT, type ScenarioVerdict, type Verdict } from './verdict';
import { escapeXml } from '../util/xml';

/**
 * Flake scoring (`--repeat N`): the same scenarios run N times, each repetition with its own seed and
 * run folder; this module folds the repetitions' verdicts into one line per scenario: how often it
 * passed, and the seed (and folder) of every repetition that did not, so each one can be replayed.
 * Pure functions of the verdicts: the CLI runs the repetitions and writes what these return.
 */

export const FLAKE_REPORT_FILES = { repeat: 'repeat.json', junit: 'junit.xml', summary: 'summary.md' } as const;

/** One run of the selected scenarios, as the repeat loop recorded it. */
export interface Repetition {
  /** 1-based. */
  index: number;
  /** The seed its fault schedules were drawn from. */
  seed: string;
  /** Its run folder, relative to the parent run folder (e.g. `rep-1`). */
  dir: string;
  /** Its verdicts, or undefined when the repetition did not finish (cucumber-js did not write verdicts.json). */
  verdicts?: readonly ScenarioVerdict[];
  /** The command that replays this repetition alone. */
  replay: string;
}

/** A repetition in which a scenario did not PASS. */
export interface ScenarioMiss {
  repetition: number;
  seed: string;
  verdict: Verdict;
  reason: string;
  /** Anomaly names, deduplicated, in the order found. */
  anomalies: string[];
  /** The scenario's folder, relative to the parent run folder (rep-2/<scenario dir>). */
  dir: string;
  replay: string;
}

export interface ScenarioFlake {
  feature: string;
  scenario: string;
  profile?: string;
  /** Repetitions that judged this scenario. */
  runs: number;
  passes: number;
  /** passes / runs, 0 when it never ran. */
  passRate: number;
  counts: Record<Verdict, number>;
  /** Every repetition whose verdict was not PASS, in order. */
  misses: ScenarioMiss[];
}

export interface FlakeReport {
  /** Repetitions asked for (--repeat N). */
  requested: number;
  /** The repetitions that were started, finished or not. */
  repetitions: { index: number; seed: string; dir: string; finished: boolean; counts?: Record<Verdict, number>; replay: string }[];
  scenarios: ScenarioFlake[];
  /** Every verdict of every finished repetition, counted together. */
  counts: Record<Verdict, number>;
  exit: number;
}

/** Scenario identity across repetitions: the same name may appear in two features. */
function scenarioKey(verdict: Pick<ScenarioVerdict, 'feature' | 'scenario'>): string {
  return `${verdict.feature}\u0000${verdict.scenario}`;
}

function joinDir(repDir: string, dir: string): string {
  return dir ? `${repDir}/${dir}` : repDir;
}

/**
 * Folds repetitions into per-scenario pass rates. Scenarios keep the order of their first appearance.
 * Exit code: the verdicts of all repetitions together decide it as for one run (exitCodeFor: 1 if any
 * repetition had a FAIL or ERROR, else 3 if any INCONCLUSIVE, else 0), except that a repetition that
 * did not finish (or was never started) makes a run without failures unusable (2): it did not show
 * what it was asked to.
 */
export function aggregateRepetitions(requested: number, repetitions: readonly Repetition[]): FlakeReport {
  const byScenario = new Map<string, ScenarioFlake>();
  const all: ScenarioVerdict[] = [];
  for (const rep of repetitions) {
    for (const verdict of rep.verdicts ?? []) {
      all.push(verdict);
      const key = scenarioKey(verdict);
      let flake = byScenario.get(key);
      if (!flake) {
        flake = { feature: verdict.feature, scenario: verdict.scenario, profile: verdict.profile, runs: 0, passes: 0, passRate: 0, counts: countVerdicts([]), misses: [] };
        byScenario.set(key, flake);
      }
      flake.runs++;
      flake.counts[verdict.verdict]++;
      if (verdict.verdict === 'PASS') flake.passes++;
      else
        flake.misses.push({
          repetition: rep.index,
          seed: rep.seed,
          verdict: verdict.verdict,
          reason: verdict.reason,
          anomalies: [...new Set(verdict.anomalies.map((a) => a.name))],
          dir: joinDir(rep.dir, verdict.dir),
          replay: rep.replay,
        });
      flake.passRate = flake.passes / flake.runs;
    }
  }
  // Fewer repetitions than asked for: one did not finish, or the run was interrupted between two.
  const unfinished = repetitions.length < requested || repetitions.some((rep) => rep.verdicts === undefined);
  let exit = exitCodeFor(all);
  if (unfinished && exit !== RUN_EXIT.failed) exit = RUN_EXIT.unusable;
  return {
    requested,
    repetitions: repetitions.map((rep) => ({
      index: rep.index,
      seed: rep.seed,
      dir: rep.dir,
      finished: rep.verdicts !== undefined,
      ...(rep.verdicts !== undefined ? { counts: countVerdicts(rep.verdicts) } : {}),
      replay: rep.replay,
    })),
    scenarios: [...byScenario.values()],
    counts: countVerdicts(all),
    exit,
  };
}

/** `2/3`: what the tables and the JUnit property show. */
export function formatPassRate(flake: Pick<ScenarioFlake, 'passes' | 'runs'>): string {
  return `${flake.passes}/${flake.runs}`;
}

/** The distinct seeds of the repetitions a scenario did not pass, in order. */
export function missedSeeds(flake: Pick<ScenarioFlake, 'misses'>): string[] {
  return [...new Set(flake.misses.map((m) => m.seed))];
}

/** Non-zero verdict counts other than PASS, e.g. `1 FAIL, 1 INCONCLUSIVE`; empty when every run passed. */
function otherVerdicts(counts: Record<Verdict, number>): string {
  return (Object.entries(counts) as [Verdict, number][])
    .filter(([verdict, n]) => verdict !== 'PASS' && n > 0)
    .map(([verdict, n]) => `${n} ${verdict}`)
    .join(', ');
}

/** A scenario that did not pass every time it ran: the table sorts these first. */
function isFlaky(flake: ScenarioFlake): boolean {
  return flake.passes < flake.runs;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export interface FlakeRunInfo {
  /** `keelhaul features` or `keelhaul verify`, and what it ran against. */
  title: string;
  implementation: string;
}

/** The parent run folder's summary.md: the flake table, then each miss with its seed and folder. */
export function renderFlakeSummary(info: FlakeRunInfo, report: FlakeReport): string {
  const finished = report.repetitions.filter((r) => r.finished).length;
  const flaky = report.scenarios.filter(isFlaky);
  const headline = report.exit === RUN_EXIT.passed ? 'Passed every time' : report.exit === RUN_EXIT.inconclusive ? 'Not judged every time' : 'Failed';
  const lines = [
    `# ${cell(info.title)}: ${cell(info.implementation)}, ${report.requested} repetitions`,
    '',
    `**${headline}**: ${report.scenarios.length - flaky.length} of ${report.scenarios.length} scenarios passed every run; ${finished} of ${report.requested} repetitions finished; verdicts over all runs: ${formatCounts(report.counts)}; exit ${report.exit}`,
    '',
    '| pass rate | scenario | feature | other verdicts | seeds that did not pass |',
    '| --- | --- | --- | --- | --- |',
    ...[...flaky, ...report.scenarios.filter((f) => !isFlaky(f))].map(
      (f) => `| ${formatPassRate(f)} | ${cell(f.scenario)} | ${cell(f.feature)} | ${otherVerdicts(f.counts)} | ${missedSeeds(f).join(' ')} |`,
    ),
  ];
  if (flaky.length > 0) {
    lines.push('', '## Runs that did not pass', '');
    for (const flake of flaky) {
      lines.push(`### ${cell(flake.scenario)} (${formatPassRate(flake)})`, '');
      for (const miss of flake.misses) {
        const anomalies = miss.anomalies.length > 0 ? ` (${miss.anomalies.join(', ')})` : '';
        lines.push(`- repetition ${miss.repetition}, seed ${miss.seed}: ${miss.verdict}, ${cell(miss.reason)}${anomalies} · files: \`${miss.dir}\` · replay: \`${miss.replay}\``);
      }
      lines.push('');
    }
  }
  lines.push('', '## Repetitions', '', '| repetition | seed | verdicts | folder |', '| --- | --- | --- | --- |');
  for (const rep of report.repetitions) lines.push(`| ${rep.index} | ${rep.seed} | ${rep.counts ? formatCounts(rep.counts) : 'did not finish'} | \`${rep.dir}\` |`);
  lines.push('');
  return lines.join('\n');
}

/**
 * JUnit for a repeated run: one testcase per scenario (not per run, so a CI's test history tracks the
 * scenario), with properties `pass-rate` (passes/runs), `runs` and `failed-seeds` (space-separated).
 * Any FAIL is a failure and otherwise any ERROR an error, naming each seed; a scenario that never
 * passed and never failed (only INFO or INCONCLUSIVE) is skipped, as in the single-run report.
 */
export function renderFlakeJUnit(runName: string, report: FlakeReport): string {
  const byFeature = new Map<string, ScenarioFlake[]>();
  for (const flake of report.scenarios) byFeature.set(flake.feature, [...(byFeature.get(flake.feature) ?? []), flake]);
  const failed = (f: ScenarioFlake) => f.counts.FAIL > 0;
  const errored = (f: ScenarioFlake) => !failed(f) && f.counts.ERROR > 0;
  const skipped = (f: ScenarioFlake) => !failed(f) && !errored(f) && f.passes === 0;
  const totals = (list: readonly ScenarioFlake[]) =>
    `tests="${list.length}" failures="${list.filter(failed).length}" errors="${list.filter(errored).length}" skipped="${list.filter(skipped).length}"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${escapeXml(runName)}" ${totals(report.scenarios)}>`];
  for (const [feature, list] of byFeature) {
    out.push(`  <testsuite name="${escapeXml(feature)}" ${totals(list)}>`);
    for (const flake of list) {
      const misses = flake.misses.map((m) => `repetition ${m.repetition}, seed ${m.seed}: ${m.verdict}, ${m.reason}${m.anomalies.length > 0 ? ` (${m.anomalies.join(', ')})` : ''}; files ${m.dir}`).join('\n');
      const message = `passed ${formatPassRate(flake)} runs; ${otherVerdicts(flake.counts)}; seeds ${missedSeeds(flake).join(' ')}`;
      out.push(`    <testcase classname="${escapeXml(feature)}" name="${escapeXml(flake.scenario)}">`);
      out.push('      <properties>');
      out.push(`        <property name="pass-rate" value="${formatPassRate(flake)}"/>`);
      out.push(`        <property name="runs" value="${flake.runs}"/>`);
      out.push(`        <property name="failed-seeds" value="${escapeXml(missedSeeds(flake).join(' '))}"/>`);
      if (flake.profile) out.push(`        <property name="profile" value="${escapeXml(flake.profile)}"/>`);
      out.push('      </properties>');
      if (failed(flake)) out.push(`      <failure message="${escapeXml(message)}" type="FAIL">${escapeXml(misses)}</failure>`);
      if (errored(flake)) out.push(`      <error message="${escapeXml(message)}" type="ERROR">${escapeXml(misses)}</error>`);
      if (skipped(flake)) out.push(`      <skipped message="${escapeXml(`never passed: ${otherVerdicts(flake.counts)}`)}"/>`);
      out.push(`      <system-out>${escapeXml(`passed ${formatPassRate(flake)} runs${misses ? `\n${misses}` : ''}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** The console's flake table: pass rate, scenario, and the seeds to replay for those that missed. */
export function renderFlakeTable(report: FlakeReport): string {
  const width = Math.max(9, ...report.scenarios.map((f) => formatPassRate(f).length));
  const lines = [`${'pass rate'.padEnd(width)}  scenario`];
  for (const flake of report.scenarios) {
    const others = otherVerdicts(flake.counts);
    const seeds = missedSeeds(flake);
    lines.push(`${formatPassRate(flake).padEnd(width)}  ${flake.scenario}${others ? ` (${others}; seeds ${seeds.join(' ')})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
