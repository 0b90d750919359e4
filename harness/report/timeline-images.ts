import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { checkHistory } from '../checker/check-history';
import { checkPubSub } from '../checker/pubsub';
import { readHistoryFile } from '../history/history-file';
import type { HistoryEvent } from '../history/event';
import { recoveryBound, requestReplyCheckBounds, scaleTiming, SCENARIO_TIMING } from '../timing/timing';
import { renderTimeline, type TimelineAnomaly } from './timeline';

/**
 * Regenerates the timeline pictures in docs/images/ from real runs (`npm run docs:timelines`): a FAIL
 * of the deliberately broken examples/broken/no-dedup.yaml, and the pub/sub storm on the reference
 * implementation. Each run's history is checked again with the run's own time scale (the verdict
 * keeps only the first anomalies, without their explanations), drawn as SVG and rendered to PNG
 * with resvg. resvg is a devDependency: this is documentation tooling, not part of the library.
 *
 *   node dist/harness/report/timeline-images.js                 run both scenarios, write both PNGs
 *   node dist/harness/report/timeline-images.js <history.jsonl> <out.png>   render one stored history
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'keelhaul.js');
const IMAGES = path.join(ROOT, 'docs', 'images');
/** Bounded: a scenario that hangs must not hang the docs build. */
const RUN_TIMEOUT_MS = 10 * 60_000;
const WIDTH = 1400;

interface Picture {
  readonly file: string;
  readonly args: readonly string[];
}

const PICTURES: readonly Picture[] = [
  {
    file: 'timeline-fail-request-reply.png',
    args: ['verify', '--impl', path.join(ROOT, 'examples', 'broken', 'no-dedup.yaml'), '--tags', '@links and @khx1:retries-from-table'],
  },
  { file: 'timeline-pubsub-storm.png', args: ['features', '--name', '2 publishers, 3 subscribers on overlapping topics'] },
];

/** The checker's anomalies for a stored history, with the bounds of the run's time scale. */
function anomaliesOf(events: readonly HistoryEvent[], timeScale: number): TimelineAnomaly[] {
  const timing = scaleTiming(SCENARIO_TIMING, timeScale);
  if (events.some((event) => event.type === 'put')) return checkPubSub(events, { deliveryBound: recoveryBound(timing) }).anomalies;
  return checkHistory(events, requestReplyCheckBounds(timing)).anomalies;
}

/** What the run folder says about the scenario: its verdict line as the title, and the time scale it ran at. */
function runFacts(historyFile: string): { title: string; timeScale: number } {
  const scenarioDir = path.dirname(historyFile);
  const readJson = (file: string): Record<string, unknown> | undefined => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined);
  const verdict = readJson(path.join(scenarioDir, 'verdict.json'));
  const config = readJson(path.join(path.dirname(scenarioDir), 'run-config.json'));
  const title = verdict === undefined ? path.basename(scenarioDir) : `${String(verdict.verdict)}: ${String(verdict.scenario)}`;
  return { title, timeScale: typeof config?.timeScale === 'number' ? config.timeScale : 1 };
}

export function renderHistoryPng(historyFile: string, outFile: string): void {
  const events = readHistoryFile(historyFile);
  const { title, timeScale } = runFacts(historyFile);
  const svg = renderTimeline(events, { title, width: WIDTH, anomalies: anomaliesOf(events, timeScale) });
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: WIDTH }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, png);
  console.log(`${outFile}: ${events.length} events, svg ${svg.length} bytes, png ${png.length} bytes`);
}

function historiesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === 'history.jsonl').map((file) => path.join(dir, file));
}

function runAndRender(picture: Picture): void {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-timeline-'));
  try {
    const run = spawnSync(process.execPath, [CLI, ...picture.args, '--reports', reports], { cwd: ROOT, stdio: 'inherit', timeout: RUN_TIMEOUT_MS });
    // verify exits 1 on the FAIL this picture is about; only a run that wrote no history is an error.
    const histories = historiesUnder(reports);
    if (histories.length !== 1) throw new Error(`keelhaul ${picture.args.join(' ')} (exit ${run.status ?? run.signal}) left ${histories.length} histories in ${reports}, expected 1`);
    renderHistoryPng(histories[0], path.join(IMAGES, picture.file));
  } finally {
    fs.rmSync(reports, { recursive: true, force: true });
  }
}

function main(args: readonly string[]): void {
  if (args.length === 2) return renderHistoryPng(args[0], args[1]);
  if (args.length !== 0) throw new Error('usage: timeline-images [<history.jsonl> <out.png>]');
  for (const picture of PICTURES) runAndRender(picture);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
