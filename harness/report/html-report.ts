import { escapeXml } from '../util/xml';
import { failureDetails } from './junit';
import { runHeadline, type RunInfo, type RunPart } from './markdown-summary';
import { inRunOrder } from './run-order';
import { scenarioReplay } from './scenario-replay';
import { countVerdicts, VERDICTS, type ScenarioVerdict, type Verdict } from './verdict';

/**
 * report.html: a run's per-case verdicts in one self-contained page, as Autobahn's test suite reports
 * them: the counts and the run's settings, then one row per scenario (in one run's order, inRunOrder,
 * whichever order a parallel run finished them in) with its verdict, what it found, the command that
 * replays it and links to its files; a FAIL or ERROR row is followed by its evidence, shown open. No script, no stylesheet, font or image from elsewhere: the page reads offline and from
 * a CI artifact. Every text in it comes from feature files, manifests and implementations (names,
 * anomaly details, error messages), so every one is escaped.
 */

/** The files to link for a scenario, relative to its folder (scenario-files.ts lists them from disk). */
export type ScenarioFilesOf = (verdict: ScenarioVerdict) => readonly string[];

const text = escapeXml;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f23; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: 1.5em 0 .5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
dl.run { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.run dt { font-weight: 600; }
dl.run dd { margin: 0; }
code, pre { font: 12px/1.35 ui-monospace, monospace; }
pre { white-space: pre-wrap; margin: .3em 0; }
.verdict { font-weight: 700; white-space: nowrap; }
.PASS .verdict, .count.PASS { background: #dafbe1; }
.FAIL .verdict, .count.FAIL { background: #ffd8d3; }
.ERROR .verdict, .count.ERROR { background: #ffd8d3; }
.INFO .verdict, .count.INFO { background: #ddf4ff; }
.INCONCLUSIVE .verdict, .count.INCONCLUSIVE { background: #fff1c5; }
tr.evidence td { background: #fff8f7; }
.headline { font-size: 1.1em; font-weight: 700; }
.files a { display: block; white-space: nowrap; }
.replay code { word-break: break-all; }
`;

/** A link target relative to the report: each segment URL-encoded, so a folder named after a scenario links right. */
export function relativeHref(...segments: string[]): string {
  return segments
    .flatMap((segment) => segment.split(/[\\/]+/))
    .filter((segment) => segment !== '' && segment !== '.')
    .map(encodeURIComponent)
    .join('/');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The part of a merged report that ran `verdict`: the one whose folder holds the scenario's. */
function partOf(parts: readonly RunPart[] | undefined, verdict: ScenarioVerdict): RunPart | undefined {
  const dir = relativeHref(verdict.dir);
  return parts?.find((part) => dir.startsWith(`${relativeHref(part.dir)}/`));
}

function countsTable(counts: Record<Verdict, number>): string {
  return `<table class="counts"><tr>${VERDICTS.map((v) => `<th>${v}</th>`).join('')}</tr><tr>${VERDICTS.map((v) => `<td class="count ${v}">${counts[v]}</td>`).join('')}</tr></table>`;
}

function runSettings(info: RunInfo): string {
  const rows: [string, string][] = [
    ['implementation', text(info.implementation)],
    ['claims', text(info.claimed.join(', '))],
    ['seed', text(info.seed)],
    ['manifest', info.manifest !== undefined ? `<code>${text(info.manifest)}</code>` : 'none (the reference implementation)'],
    ['runtime', text(info.runtime ?? 'process')],
  ];
  if (info.timeScale !== undefined) rows.push(['time scale', text(String(info.timeScale))]);
  if (info.shard !== undefined) rows.push(['shard', text(info.shard)]);
  if (info.parts === undefined) rows.push(['replay', `<code>${text(info.replay)}</code>`]);
  return `<dl class="run">${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

/** What a row names of its findings: each anomaly once (with how often), and the clauses the scenario tests. */
function findings(verdict: ScenarioVerdict): string {
  const times = new Map<string, number>();
  for (const anomaly of verdict.anomalies) times.set(anomaly.name, (times.get(anomaly.name) ?? 0) + 1);
  const anomalies = [...times].map(([name, n]) => `<span class="anomaly">${text(name)}${n > 1 ? ` ×${n}` : ''}</span>`).join(', ');
  const clauses = verdict.clauses.map((clause) => `<code class="clause">${text(clause)}</code>`).join(' ');
  return [anomalies, clauses].filter((part) => part !== '').join('<br>');
}

function fileLinks(verdict: ScenarioVerdict, files: readonly string[]): string {
  if (verdict.dir === '' || files.length === 0) return '<span class="none">none</span>';
  return files.map((file) => `<a href="${text(relativeHref(verdict.dir, file))}">${text(file)}</a>`).join('');
}

function scenarioRows(info: RunInfo, verdict: ScenarioVerdict, index: number, filesOf: ScenarioFilesOf): string {
  const seed = partOf(info.parts, verdict)?.seed ?? info.seed;
  const location = verdict.line !== undefined ? `${verdict.feature}:${verdict.line}` : verdict.feature;
  const attempts = verdict.attempts !== undefined && verdict.attempts > 1 ? ` <span class="attempts">(attempt ${verdict.attempts})</span>` : '';
  const row = [
    `<tr class="scenario ${verdict.verdict}" id="s${index + 1}">`,
    `<td class="verdict">${verdict.verdict}${attempts}</td>`,
    `<td class="feature"><code>${text(location)}</code></td>`,
    `<td class="name">${text(verdict.scenario)}</td>`,
    `<td class="profile">${text(verdict.profile ?? '')}</td>`,
    `<td class="duration">${seconds(verdict.durationMs)}</td>`,
    `<td class="findings">${[text(verdict.reason), findings(verdict)].filter((part) => part !== '').join('<br>')}</td>`,
    `<td class="replay">seed ${text(seed)}<br><code>${text(scenarioReplay(info, verdict, seed))}</code></td>`,
    `<td class="files">${fileLinks(verdict, filesOf(verdict))}</td>`,
    '</tr>',
  ].join('');
  const failed = verdict.verdict === 'FAIL' || verdict.verdict === 'ERROR';
  if (!failed && verdict.verdict !== 'INCONCLUSIVE') return row;
  // A FAIL's evidence is what a reader came for: open. An INCONCLUSIVE's reasons accuse nobody: one click away.
  const retried = (verdict.retried ?? []).length > 0 ? `\nearlier attempts: ${verdict.retried!.join('; ')}` : '';
  return `${row}<tr class="evidence ${verdict.verdict}"><td colspan="8"><details${failed ? ' open' : ''}><summary>${failed ? 'Evidence' : 'Why not judged'}</summary><pre>${text(`${failureDetails(verdict)}${retried}`)}</pre></details></td></tr>`;
}

function partsTable(parts: readonly RunPart[]): string {
  const rows = parts.map((part) => `<tr><td>${text(part.shard ?? 'whole')}</td><td>${part.scenarios}</td><td>${text(part.seed)}</td><td><a href="${text(`${relativeHref(part.dir)}/`)}">${text(part.dir)}</a></td><td><code>${text(part.replay)}</code></td></tr>`);
  return `<h2>Merged from ${parts.length} ${parts.length === 1 ? 'run' : 'runs'}</h2><table class="parts"><tr><th>shard</th><th>scenarios</th><th>seed</th><th>folder</th><th>replay</th></tr>${rows.join('')}</table>`;
}

/** Scenarios Cucumber selected and skipped without running a step (--dry-run, --fail-fast): no verdict, so no row. */
function notRunList(notRun: readonly string[]): string {
  if (notRun.length === 0) return '';
  return `<h2>Not run (${notRun.length})</h2><p>Cucumber skipped every step of these (--dry-run, or --fail-fast after a failure): nothing was judged.</p><ul class="not-run">${notRun.map((name) => `<li>${text(name)}</li>`).join('')}</ul>`;
}

/**
 * The whole page; `filesOf` gives each scenario's files to link (none: an empty list), `notRun` the
 * selected scenarios that never ran.
 */
export function renderHtmlReport(info: RunInfo, verdicts: readonly ScenarioVerdict[], filesOf: ScenarioFilesOf, notRun: readonly string[] = []): string {
  const title = `keelhaul: ${info.implementation}: ${runHeadline(verdicts)}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${text(title)}</title><style>${STYLE}</style></head>`,
    '<body>',
    `<h1>keelhaul verify: ${text(info.implementation)}</h1>`,
    `<p class="headline">${runHeadline(verdicts)}</p>`,
    countsTable(countVerdicts(verdicts)),
    runSettings(info),
    `<h2>Scenarios (${verdicts.length})</h2>`,
    '<table class="scenarios">',
    '<tr><th>verdict</th><th>feature</th><th>scenario</th><th>profile</th><th>duration</th><th>why: anomalies, clauses</th><th>replay</th><th>files</th></tr>',
    ...inRunOrder(verdicts).map((verdict, index) => scenarioRows(info, verdict, index, filesOf)),
    '</table>',
    notRunList(notRun),
    info.parts !== undefined ? partsTable(info.parts) : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
