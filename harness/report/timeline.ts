import { byTime } from '../checker/jobs';
import { ms } from '../util/format-ms';
import type { HistoryEvent } from '../history/event';
import { escapeXml } from './xml';

/**
 * Renders a recorded history as a standalone SVG timeline for people reading the report of a
 * failed scenario: one lane per node, each job's call (client lane) and execution (worker lane)
 * as bars coloured by the job's outcome, fault windows shaded over the nodes they hit.
 *
 * Size policy. Up to DETAIL_JOB_LIMIT jobs every bar is its own element with a tooltip. Beyond
 * that per-bar elements cost ~700 bytes per job (two bars, tooltips, connector) and the bars would overlap into an
 * unreadable smear anyway, so bars are rasterised: each lane row is cut into 1-px columns, every
 * column takes the most alarming outcome of the bars covering it, and runs of equal columns become
 * one path segment. All bars are still drawn, but the output is bounded by lanes x rows x width,
 * not by the job count. The jobs a reader is looking for (anything but a single clean execution
 * ending in ok) are drawn on top as individual elements with tooltips, the earliest
 * NOTABLE_JOB_LIMIT of them, because the first anomaly usually explains the later ones.
 */

export interface TimelineOptions {
  title?: string;
  /** Total picture width in px (clamped to a sane range). */
  width?: number;
}

const DETAIL_JOB_LIMIT = 400;
const NOTABLE_JOB_LIMIT = 300;

const DEFAULT_WIDTH = 1200;
const MIN_WIDTH = 480;
const MAX_WIDTH = 8000;
const MARGIN = 12;
const RIGHT_GUTTER = 14; // room for the open-end marker past the last instant
const CHAR_WIDTH = 6.6; // rough advance of an 11px sans-serif glyph; only used to avoid overlaps
// The legend is fixed text, so a tighter estimate than CHAR_WIDTH's worst case keeps it compact.
const LEGEND_CHAR_WIDTH = 5.9;
const FAULT_LABEL_ROW = 14;
const MAX_FAULT_LABEL_ROWS = 3;
const AXIS_HEIGHT = 30;
const LANE_PADDING = 5;
const MIN_LANE_HEIGHT = 22;
const EMPHASISED_BAR_HEIGHT = 7;

interface Density {
  readonly rowPitch: number;
  readonly barHeight: number;
  readonly maxRows: number;
  /** Bars closer than this many px share no row, so neighbours stay visually separate. */
  readonly packGapPx: number;
}
const DETAILED: Density = { rowPitch: 10, barHeight: 8, maxRows: 8, packGapPx: 2 };
// Dense rows pack by true overlap (no pixel gap) so the row count still reads as concurrency.
const DENSE: Density = { rowPitch: 4, barHeight: 3, maxRows: 6, packGapPx: 0 };

type Outcome = 'ok' | 'fail' | 'info' | 'none';
/** Fill classes; the numeric rank decides which wins a pixel column in dense mode. */
type BarClass = Outcome | 'open-exec';
const CLASS_RANK: Record<BarClass, number> = { ok: 1, 'open-exec': 2, info: 3, fail: 4, none: 5 };
const CLASS_BY_RANK: readonly BarClass[] = ['ok', 'ok', 'open-exec', 'info', 'fail', 'none'];

const COLOURS = {
  ok: '#2f9e44',
  fail: '#d62728',
  info: '#f0a202',
  none: '#c9c9c9',
  noneStroke: '#6b6b6b',
  hatch: '#8a8a8a',
  fault: '#7b3fa0',
  text: '#222222',
  muted: '#666666',
  grid: '#e4e4e4',
  laneEven: '#fafafa',
  laneOdd: '#f0f0f0',
} as const;

type LaneKind = 'client' | 'worker' | 'other';

interface Lane {
  readonly name: string;
  readonly kind: LaneKind;
  rows: number;
  top: number;
  height: number;
}

interface Job {
  readonly id: string;
  invoke?: { t: number; process: string; service: string };
  outcome?: { t: number; type: Exclude<Outcome, 'none'>; error?: string; accepted?: boolean; reply?: string };
  readonly execs: { worker: string; start: number; end?: number }[];
  readonly marks: Mark[];
}

/** A single instant that does not fit a bar: a repeated invoke or outcome, or an orphan event. */
interface Mark {
  readonly lane: string;
  readonly t: number;
  readonly cls: BarClass;
  readonly text: string;
}

interface Bar {
  readonly job: Job;
  readonly lane: string;
  readonly kind: 'call' | 'exec';
  readonly start: number;
  readonly end: number;
  readonly ended: boolean;
  readonly cls: BarClass;
  row: number;
}

interface Fault {
  readonly id: string;
  readonly fault: string;
  readonly targets: readonly string[];
  readonly start: number;
  readonly startKnown: boolean;
  end?: number;
  effect?: Record<string, unknown>;
}

export function renderTimeline(events: readonly HistoryEvent[], options: TimelineOptions = {}): string {
  const width = clampWidth(options.width);
  const title = options.title ?? 'Scenario timeline';
  const timed = byTime(events.filter((event) => Number.isFinite(event.t)));
  if (timed.length === 0) return renderEmpty(title, width);

  const { jobs, faults } = collect(timed);
  const t0 = timed[0].t;
  // A zero-length run still needs a non-zero scale.
  const t1 = Math.max(timed[timed.length - 1].t, t0 + 1);
  const lanes = buildLanes(timed);
  const laneByName = new Map(lanes.map((lane) => [lane.name, lane]));

  const dense = jobs.length > DETAIL_JOB_LIMIT;
  const density = dense ? DENSE : DETAILED;
  const labelWidth = labelColumnWidth(lanes);
  const plotLeft = MARGIN + labelWidth;
  const plotWidth = Math.max(100, Math.floor(width - plotLeft - MARGIN - RIGHT_GUTTER));
  const scale = (t: number): number => plotLeft + ((t - t0) / (t1 - t0)) * plotWidth;
  const msPerPx = (t1 - t0) / plotWidth;

  const bars = buildBars(jobs, t1);
  packLanes(lanes, bars, density, density.packGapPx * msPerPx);

  const stats = summarise(jobs, faults);
  const notes = dense
    ? `${count(jobs.length, 'job')}: bars merged per pixel column (worst outcome wins); ` +
      `${group(Math.min(stats.notable, NOTABLE_JOB_LIMIT))} of ${group(stats.notable)} jobs needing attention drawn individually with tooltips`
    : undefined;

  const header = renderHeader(title, stats, notes, width);
  const faultLabels = placeFaultLabels(faults, scale, plotLeft + plotWidth + RIGHT_GUTTER);
  const labelRows = faultLabels.reduce((rows, label) => Math.max(rows, label.row + 1), 0);
  const lanesTop = header.bottom + labelRows * FAULT_LABEL_ROW + (labelRows > 0 ? 4 : 0);
  let y = lanesTop;
  for (const lane of lanes) {
    lane.top = y;
    lane.height = Math.max(MIN_LANE_HEIGHT, 2 * LANE_PADDING + lane.rows * density.rowPitch);
    y += lane.height;
  }
  // Keep a plot area even when only untargeted faults were recorded (no lane at all).
  const lanesBottom = lanes.length === 0 ? lanesTop + MIN_LANE_HEIGHT : y;
  const height = Math.ceil(lanesBottom + AXIS_HEIGHT + MARGIN);

  const geometry: Geometry = { scale, t1, plotLeft, plotWidth, lanesTop, lanesBottom, density, laneByName };
  const out: string[] = [];
  out.push(svgOpen(width, height, title));
  out.push(header.svg);
  out.push(renderLanes(lanes, geometry, labelWidth));
  out.push(renderAxis(t0, t1, geometry));
  out.push(renderFaultBands(faults, geometry));
  if (dense) {
    out.push(renderRaster(lanes, bars, jobs, geometry));
    const notable = jobs.filter(isNotable).slice(0, NOTABLE_JOB_LIMIT);
    out.push(renderJobs(notable, bars, geometry, true));
  } else {
    out.push(renderJobs(jobs, bars, geometry, false));
  }
  out.push(renderFaultTargets(faults, faultLabels, labelRows, geometry));
  out.push('</svg>\n');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Model

function collect(timed: readonly HistoryEvent[]): { jobs: Job[]; faults: Fault[] } {
  const jobs = new Map<string, Job>();
  const job = (id: string): Job => {
    let found = jobs.get(id);
    if (found === undefined) {
      found = { id, execs: [], marks: [] };
      jobs.set(id, found);
    }
    return found;
  };
  const faults: Fault[] = [];
  const openFaults = new Map<string, Fault>();

  for (const event of timed) {
    switch (event.type) {
      case 'invoke': {
        const target = job(event.job);
        if (target.invoke === undefined) target.invoke = { t: event.t, process: event.process, service: event.service };
        else target.marks.push({ lane: event.process, t: event.t, cls: 'none', text: `invoked again at ${ms(event.t)}` });
        break;
      }
      case 'ok':
      case 'fail':
      case 'info': {
        const target = job(event.job);
        const outcome = {
          t: event.t,
          type: event.type,
          ...(event.type === 'ok' ? { reply: event.reply } : { error: event.error }),
          ...(event.type === 'info' && event.accepted !== undefined ? { accepted: event.accepted } : {}),
        };
        if (target.invoke !== undefined && target.outcome === undefined) {
          target.outcome = outcome;
        } else {
          const why = target.invoke === undefined ? 'without an invoke' : 'after an earlier outcome';
          target.marks.push({ lane: event.process, t: event.t, cls: event.type, text: `${describeOutcome(outcome)} ${why}` });
        }
        break;
      }
      case 'exec-start':
        job(event.job).execs.push({ worker: event.worker, start: event.t });
        break;
      case 'exec-end': {
        const target = job(event.job);
        const open = target.execs.find((exec) => exec.worker === event.worker && exec.end === undefined);
        if (open !== undefined) open.end = event.t;
        else target.marks.push({ lane: event.worker, t: event.t, cls: 'none', text: `exec-end at ${ms(event.t)} without exec-start` });
        break;
      }
      case 'nemesis': {
        const open = openFaults.get(event.id);
        if (event.phase === 'start') {
          const fault: Fault = { id: event.id, fault: event.fault, targets: [...event.targets], start: event.t, startKnown: true, effect: event.effect };
          faults.push(fault);
          openFaults.set(event.id, fault);
        } else if (open !== undefined) {
          open.end = event.t;
          if (event.effect !== undefined) open.effect = { ...open.effect, ...event.effect };
          openFaults.delete(event.id);
        } else {
          // An end whose start was not recorded: the fault was on from the beginning as far as we know.
          faults.push({ id: event.id, fault: event.fault, targets: [...event.targets], start: timed[0].t, startKnown: false, end: event.t, effect: event.effect });
        }
        break;
      }
    }
  }
  return { jobs: [...jobs.values()], faults };
}

function buildLanes(timed: readonly HistoryEvent[]): Lane[] {
  const clients = new Set<string>();
  const workers = new Set<string>();
  const others = new Set<string>();
  for (const event of timed) {
    if (event.type === 'exec-start' || event.type === 'exec-end') workers.add(event.worker);
    else if (event.type === 'nemesis') event.targets.forEach((target) => others.add(target));
    // Pub/sub events are not drawn (the timeline shows jobs), so they open no lane.
    else if (event.type === 'invoke' || event.type === 'ok' || event.type === 'fail' || event.type === 'info') clients.add(event.process);
  }
  const lane = (kind: LaneKind) => (name: string): Lane => ({ name, kind, rows: 1, top: 0, height: 0 });
  const clientNames = [...clients].sort(naturalCompare);
  const workerNames = [...workers].filter((name) => !clients.has(name)).sort(naturalCompare);
  const otherNames = [...others].filter((name) => !clients.has(name) && !workers.has(name)).sort(naturalCompare);
  return [...clientNames.map(lane('client')), ...workerNames.map(lane('worker')), ...otherNames.map(lane('other'))];
}

function outcomeOf(job: Job): Outcome {
  return job.outcome?.type ?? 'none';
}

function isNotable(job: Job): boolean {
  return (
    outcomeOf(job) !== 'ok' ||
    job.execs.length !== 1 ||
    job.execs.some((exec) => exec.end === undefined) ||
    job.marks.length > 0
  );
}

function buildBars(jobs: readonly Job[], t1: number): Bar[] {
  const bars: Bar[] = [];
  for (const job of jobs) {
    const outcome = outcomeOf(job);
    if (job.invoke !== undefined) {
      const { invoke } = job;
      const end = job.outcome === undefined ? t1 : Math.max(job.outcome.t, invoke.t);
      bars.push({ job, lane: invoke.process, kind: 'call', start: invoke.t, end, ended: job.outcome !== undefined, cls: outcome, row: 0 });
    }
    for (const exec of job.execs) {
      const ended = exec.end !== undefined;
      const end = exec.end === undefined ? t1 : Math.max(exec.end, exec.start);
      bars.push({ job, lane: exec.worker, kind: 'exec', start: exec.start, end, ended, cls: ended ? outcome : 'open-exec', row: 0 });
    }
  }
  return bars;
}

/** Tooltip text, built only for bars drawn individually: thousands of unused strings cost real time. */
function barTitle(bar: Bar, t1: number): string {
  const { job } = bar;
  if (bar.kind === 'call') {
    const invoke = job.invoke;
    const where = invoke === undefined ? '' : ` on ${invoke.process} (${invoke.service})`;
    const result = job.outcome === undefined ? `no outcome by the end of the history (${ms(t1)})` : `${describeOutcome(job.outcome)}, took ${ms(bar.end - bar.start)}`;
    return `job ${job.id}: invoke at ${ms(bar.start)}${where} → ${result}`;
  }
  const result = bar.ended ? `exec-end at ${ms(bar.end)}, took ${ms(bar.end - bar.start)}` : `no exec-end by the end of the history (${ms(t1)})`;
  return `job ${job.id}: exec-start at ${ms(bar.start)} on ${bar.lane} → ${result}; client outcome: ${outcomeOf(job)}`;
}

function describeOutcome(outcome: NonNullable<Job['outcome']>): string {
  const at = `${outcome.type} at ${ms(outcome.t)}`;
  if (outcome.type === 'ok') return outcome.reply !== undefined && outcome.reply !== '' ? `${at} (reply names ${outcome.reply})` : at;
  const accepted = outcome.accepted === undefined ? '' : `, accepted: ${outcome.accepted}`;
  return `${at} (${outcome.error ?? ''}${accepted})`;
}

/** First-fit rows per lane, so concurrent jobs get separate rows instead of hiding each other. */
function packLanes(lanes: readonly Lane[], bars: readonly Bar[], density: Density, gap: number): void {
  const byLane = new Map<string, Bar[]>();
  for (const bar of bars) {
    const list = byLane.get(bar.lane);
    if (list === undefined) byLane.set(bar.lane, [bar]);
    else list.push(bar);
  }
  for (const lane of lanes) {
    const list = (byLane.get(lane.name) ?? []).sort((a, b) => a.start - b.start || a.end - b.end);
    const rowEnds: number[] = [];
    for (const bar of list) {
      let row = rowEnds.findIndex((end) => end + gap <= bar.start);
      if (row === -1 && rowEnds.length < density.maxRows) {
        row = rowEnds.length;
        rowEnds.push(bar.end);
      } else if (row === -1) {
        // Rows exhausted: overlap in the row that frees up first rather than grow the lane.
        row = rowEnds.indexOf(Math.min(...rowEnds));
      }
      rowEnds[row] = Math.max(rowEnds[row], bar.end);
      bar.row = row;
    }
    lane.rows = Math.max(1, rowEnds.length);
  }
}

interface Stats {
  jobs: number;
  ok: number;
  fail: number;
  info: number;
  none: number;
  executions: number;
  faults: number;
  notable: number;
}

function summarise(jobs: readonly Job[], faults: readonly Fault[]): Stats {
  const stats: Stats = { jobs: 0, ok: 0, fail: 0, info: 0, none: 0, executions: 0, faults: faults.length, notable: 0 };
  for (const job of jobs) {
    if (job.invoke !== undefined) {
      stats.jobs += 1;
      stats[outcomeOf(job)] += 1;
    }
    stats.executions += job.execs.length;
    if (isNotable(job)) stats.notable += 1;
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Drawing

interface Geometry {
  readonly scale: (t: number) => number;
  readonly t1: number;
  readonly plotLeft: number;
  readonly plotWidth: number;
  readonly lanesTop: number;
  readonly lanesBottom: number;
  readonly density: Density;
  readonly laneByName: ReadonlyMap<string, Lane>;
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    'font-family="Helvetica, Arial, sans-serif" font-size="11">\n' +
    `<title>${escapeXml(title)}</title>\n` +
    '<style>\n' +
    `.ok{fill:${COLOURS.ok}}.fail{fill:${COLOURS.fail}}.info{fill:${COLOURS.info}}` +
    `.none{fill:${COLOURS.none};stroke:${COLOURS.noneStroke};stroke-width:0.6;stroke-dasharray:2 1.5}` +
    `.open-exec{fill:url(#hatch);stroke:${COLOURS.hatch};stroke-width:0.6}\n` +
    `.raster .none{stroke:none}.raster .open-exec{stroke:none}\n` +
    `.end-marker{fill:${COLOURS.noneStroke}}.link{stroke:#555;stroke-width:0.8;stroke-dasharray:2 2;fill:none}\n` +
    // Hover lights up every bar of a job, and its connectors, wherever they are.
    '.job .link.quiet{visibility:hidden}.job:hover .link{visibility:visible}.job:hover .bar{stroke:#000;stroke-width:1.2;stroke-dasharray:none}\n' +
    '.dense .bar{stroke:#000;stroke-width:0.4}\n' +
    `.lane-label{fill:${COLOURS.text}}.muted{fill:${COLOURS.muted}}.grid{stroke:${COLOURS.grid};stroke-width:1}\n` +
    `.fault-band{fill:${COLOURS.fault};fill-opacity:0.06}.fault-hit{fill:${COLOURS.fault};fill-opacity:0.2;pointer-events:none}` +
    `.fault-edge{stroke:${COLOURS.fault};stroke-opacity:0.55;stroke-width:1}.fault-label{fill:${COLOURS.fault}}\n` +
    '</style>\n' +
    '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    `<rect width="4" height="4" fill="#e6e6e6"/><line x1="0" y1="0" x2="0" y2="4" stroke="${COLOURS.hatch}" stroke-width="1.6"/></pattern></defs>\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n`
  );
}

function renderEmpty(title: string, width: number): string {
  const height = 80;
  return (
    svgOpen(width, height, title) +
    `<text x="${MARGIN}" y="24" font-size="15" font-weight="bold" fill="${COLOURS.text}">${escapeXml(title)}</text>\n` +
    `<text x="${MARGIN}" y="52" class="muted">no events</text>\n</svg>\n`
  );
}

/** The title, counts and legend; returns where the plot may start, as the legend wraps on narrow pictures. */
function renderHeader(title: string, stats: Stats, notes: string | undefined, width: number): { svg: string; bottom: number } {
  const summary =
    `${count(stats.jobs, 'job')}: ${group(stats.ok)} ok, ${group(stats.fail)} fail, ${group(stats.info)} info, ` +
    `${group(stats.none)} without outcome; ${count(stats.executions, 'execution')}; ${count(stats.faults, 'fault')}`;
  const textChars = (width - 2 * MARGIN) / LEGEND_CHAR_WIDTH;
  const parts = [
    `<text x="${MARGIN}" y="22" font-size="15" font-weight="bold" fill="${COLOURS.text}">${escapeXml(truncate(title, (width - 2 * MARGIN) / 8.5))}</text>\n`,
    `<text x="${MARGIN}" y="40" class="muted">${escapeXml(truncate(summary, textChars))}</text>\n`,
  ];
  const legend: [string, string][] = [
    ['ok', 'ok'],
    ['fail', 'fail'],
    ['info', 'info (indeterminate)'],
    ['none', 'no outcome (open to the end ▸)'],
    ['open-exec', 'execution without exec-end'],
    ['fault-hit', 'fault window (on its targets)'],
  ];
  let x = MARGIN;
  let baseline = 59.5;
  parts.push('<g class="legend">');
  for (const [cls, label] of legend) {
    const itemWidth = 19 + label.length * LEGEND_CHAR_WIDTH;
    if (x > MARGIN && x + itemWidth > width - MARGIN) {
      x = MARGIN;
      baseline += 16;
    }
    parts.push(`<rect class="${cls}" x="${num(x)}" y="${num(baseline - 8.5)}" width="14" height="9"/><text x="${num(x + 19)}" y="${num(baseline)}">${escapeXml(label)}</text>`);
    x += itemWidth + 14;
  }
  parts.push('</g>\n');
  let bottom = baseline + 12;
  if (notes !== undefined) {
    parts.push(`<text x="${MARGIN}" y="${num(baseline + 18.5)}" class="muted" font-style="italic">${escapeXml(truncate(notes, textChars))}</text>\n`);
    bottom += 14;
  }
  return { svg: parts.join(''), bottom };
}

function renderLanes(lanes: readonly Lane[], geometry: Geometry, labelWidth: number): string {
  const { plotLeft, plotWidth } = geometry;
  const parts: string[] = ['<g class="lanes">\n'];
  const maxChars = Math.floor((labelWidth - 12) / CHAR_WIDTH);
  lanes.forEach((lane, index) => {
    const fill = index % 2 === 0 ? COLOURS.laneEven : COLOURS.laneOdd;
    parts.push(
      `<g class="lane" data-node="${escapeXml(lane.name)}" data-kind="${lane.kind}">` +
        `<rect x="${MARGIN}" y="${num(lane.top)}" width="${num(plotLeft + plotWidth + RIGHT_GUTTER - MARGIN)}" height="${num(lane.height)}" fill="${fill}"/>` +
        `<text class="lane-label" x="${MARGIN + 4}" y="${num(lane.top + lane.height / 2 + 4)}">` +
        `<title>${escapeXml(`${lane.kind}: ${lane.name}`)}</title>${escapeXml(truncate(lane.name, maxChars))}</text></g>\n`,
    );
    const next = lanes[index + 1];
    if (next !== undefined && next.kind !== lane.kind) {
      parts.push(`<line x1="${MARGIN}" x2="${num(plotLeft + plotWidth + RIGHT_GUTTER)}" y1="${num(lane.top + lane.height)}" y2="${num(lane.top + lane.height)}" stroke="#9a9a9a" stroke-width="1"/>\n`);
    }
  });
  parts.push('</g>\n');
  return parts.join('');
}

function renderAxis(t0: number, t1: number, geometry: Geometry): string {
  const { scale, plotLeft, plotWidth, lanesTop, lanesBottom } = geometry;
  const step = niceStep((t1 - t0) / Math.max(2, Math.floor(plotWidth / 110)));
  const axisY = lanesBottom + 1;
  const parts: string[] = [
    '<g class="axis">\n',
    `<line x1="${plotLeft}" x2="${plotLeft + plotWidth}" y1="${num(axisY)}" y2="${num(axisY)}" stroke="#444"/>\n`,
  ];
  const first = Math.ceil(t0 / step);
  // Ticks from integer multiples rather than repeated addition, so float error never creeps into labels.
  for (let index = first; index * step <= t1 + step * 1e-9; index += 1) {
    const tick = index * step;
    const x = num(scale(tick));
    parts.push(
      `<line class="grid" x1="${x}" x2="${x}" y1="${num(lanesTop)}" y2="${num(lanesBottom)}"/>` +
        `<line x1="${x}" x2="${x}" y1="${num(axisY)}" y2="${num(axisY + 5)}" stroke="#444"/>` +
        `<text x="${x}" y="${num(axisY + 17)}" text-anchor="middle" fill="${COLOURS.text}">${tickLabel(tick, step)}</text>\n`,
    );
  }
  parts.push(`<text x="${plotLeft + plotWidth + RIGHT_GUTTER}" y="${num(axisY + 28)}" text-anchor="end" class="muted" font-size="10">time since run start</text>\n`);
  parts.push('</g>\n');
  return parts.join('');
}

/** A step of 1, 2 or 5 times a power of ten at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

function tickLabel(tick: number, step: number): string {
  // Seconds once ticks are coarse enough that milliseconds would just add zeros.
  if (step >= 200) {
    const decimals = Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9));
    return `${(tick / 1000).toFixed(decimals)} s`;
  }
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return `${tick.toFixed(decimals)} ms`;
}

function faultEnd(fault: Fault, t1: number): number {
  return fault.end ?? t1;
}

function faultTitle(fault: Fault, t1: number): string {
  const targets = fault.targets.length === 0 ? 'all nodes' : fault.targets.join(', ');
  const start = fault.startKnown ? ms(fault.start) : 'before the history (start not recorded)';
  const end = fault.end === undefined ? `not ended by the end of the history (${ms(t1)})` : `${ms(fault.end)}, lasted ${ms(fault.end - fault.start)}`;
  const effect = fault.effect === undefined ? '' : `; effect: ${truncate(safeJson(fault.effect), 400)}`;
  return `fault ${fault.fault} (${fault.id}) on ${targets}: start ${start} → end ${end}${effect}`;
}

function renderFaultBands(faults: readonly Fault[], geometry: Geometry): string {
  if (faults.length === 0) return '';
  const { scale, t1, lanesTop, lanesBottom } = geometry;
  const parts: string[] = ['<g class="fault-bands">\n'];
  for (const fault of faults) {
    const x0 = scale(fault.start);
    const w = Math.max(2, scale(faultEnd(fault, t1)) - x0);
    // The band sits under the bars, so hovering any free space in the window explains the fault.
    parts.push(
      `<rect class="fault-band" data-fault="${escapeXml(fault.id)}" x="${num(x0)}" y="${num(lanesTop)}" width="${num(w)}" height="${num(lanesBottom - lanesTop)}">` +
        `<title>${escapeXml(faultTitle(fault, t1))}</title></rect>\n`,
    );
  }
  parts.push('</g>\n');
  return parts.join('');
}

interface FaultLabel {
  readonly fault: Fault;
  readonly row: number;
  readonly x: number;
  readonly anchor: 'start' | 'end';
  readonly text: string;
}

/** Greedy rows so labels of faults close in time do not print over each other. */
function placeFaultLabels(faults: readonly Fault[], scale: (t: number) => number, right: number): FaultLabel[] {
  const rowEnds: number[] = [];
  const labels: FaultLabel[] = [];
  for (const fault of [...faults].sort((a, b) => a.start - b.start)) {
    const text = truncate(`${fault.fault}${fault.end === undefined ? ' (not ended)' : ''}`, 40);
    const textWidth = Array.from(text).length * CHAR_WIDTH;
    const start = scale(fault.start);
    const anchor: 'start' | 'end' = start + textWidth > right ? 'end' : 'start';
    const left = anchor === 'start' ? start : Math.max(0, right - textWidth);
    let row = rowEnds.findIndex((end) => end + 6 <= left);
    if (row === -1 && rowEnds.length < MAX_FAULT_LABEL_ROWS) row = rowEnds.push(0) - 1;
    // No room: the window is still shaded and its band carries the tooltip.
    if (row === -1) continue;
    rowEnds[row] = left + textWidth;
    labels.push({ fault, row, x: anchor === 'start' ? start : right, anchor, text });
  }
  return labels;
}

function renderFaultTargets(faults: readonly Fault[], labels: readonly FaultLabel[], labelRows: number, geometry: Geometry): string {
  if (faults.length === 0) return '';
  const { scale, t1, lanesTop, lanesBottom, laneByName } = geometry;
  const labelByFault = new Map(labels.map((label) => [label.fault, label]));
  const parts: string[] = ['<g class="faults">\n'];
  for (const fault of faults) {
    const x0 = scale(fault.start);
    const w = Math.max(2, scale(faultEnd(fault, t1)) - x0);
    const hit = fault.targets.map((target) => laneByName.get(target)).filter((lane): lane is Lane => lane !== undefined);
    // An untargeted fault may have touched anything, so it shades every lane.
    const spans = hit.length === 0 ? [{ top: lanesTop, height: lanesBottom - lanesTop }] : hit;
    parts.push(`<g class="fault" data-fault="${escapeXml(fault.id)}" data-kind="${escapeXml(fault.fault)}"><title>${escapeXml(faultTitle(fault, t1))}</title>`);
    for (const span of spans) {
      parts.push(`<rect class="fault-hit" x="${num(x0)}" y="${num(span.top)}" width="${num(w)}" height="${num(span.height)}"/>`);
    }
    parts.push(`<line class="fault-edge" x1="${num(x0)}" x2="${num(x0)}" y1="${num(lanesTop)}" y2="${num(lanesBottom)}"/>`);
    const label = labelByFault.get(fault);
    if (label !== undefined) {
      const y = lanesTop - 4 - (labelRows - 1 - label.row) * FAULT_LABEL_ROW;
      parts.push(
        `<line class="fault-edge" x1="${num(x0)}" x2="${num(x0)}" y1="${num(y - 9)}" y2="${num(lanesTop)}"/>` +
          `<text class="fault-label" x="${num(label.anchor === 'start' ? label.x + 3 : label.x)}" y="${num(y)}" text-anchor="${label.anchor}">${escapeXml(label.text)}</text>`,
      );
    }
    parts.push('</g>\n');
  }
  parts.push('</g>\n');
  return parts.join('');
}

function barBox(bar: Bar, geometry: Geometry, emphasise: boolean): { x: number; y: number; w: number; h: number } {
  const { scale, density, laneByName } = geometry;
  const lane = laneByName.get(bar.lane);
  const x = scale(bar.start);
  const w = Math.max(1.5, scale(bar.end) - x);
  const top = lane === undefined ? geometry.lanesTop : lane.top;
  const laneHeight = lane === undefined ? MIN_LANE_HEIGHT : lane.height;
  const rows = lane === undefined ? 1 : lane.rows;
  // Centre the block of rows so single-row lanes do not hug their top edge.
  const blockTop = top + (laneHeight - rows * density.rowPitch) / 2;
  const centre = blockTop + (bar.row + 0.5) * density.rowPitch;
  // Over a dense raster a 3-px bar would vanish, so the jobs picked out are drawn taller.
  const h = emphasise ? Math.min(EMPHASISED_BAR_HEIGHT, laneHeight - 4) : density.barHeight;
  const y = emphasise ? clamp(centre - h / 2, top + 2, top + laneHeight - 2 - h) : centre - h / 2;
  return { x, y, w, h };
}

function renderJobs(jobs: readonly Job[], bars: readonly Bar[], geometry: Geometry, dense: boolean): string {
  const barsByJob = new Map<Job, Bar[]>();
  for (const bar of bars) {
    const list = barsByJob.get(bar.job);
    if (list === undefined) barsByJob.set(bar.job, [bar]);
    else list.push(bar);
  }
  const parts: string[] = [`<g class="jobs${dense ? ' dense' : ''}">\n`];
  for (const job of jobs) {
    const jobBars = barsByJob.get(job) ?? [];
    const id = escapeXml(job.id);
    const notable = isNotable(job);
    parts.push(`<g class="job" data-job="${id}" data-outcome="${outcomeOf(job)}">`);
    const call = jobBars.find((bar) => bar.kind === 'call');
    for (const bar of jobBars) {
      const box = barBox(bar, geometry, dense);
      parts.push(
        `<rect class="bar ${bar.kind} ${bar.cls}" data-job="${id}" data-event="${bar.kind === 'call' ? 'invoke' : 'exec'}" ` +
          `x="${num(box.x)}" y="${num(box.y)}" width="${num(box.w)}" height="${num(box.h)}"><title>${escapeXml(barTitle(bar, geometry.t1))}</title></rect>`,
      );
      if (!bar.ended) {
        const tip = box.x + box.w;
        parts.push(
          `<path class="end-marker" data-job="${id}" d="M${num(tip)} ${num(box.y - 1)}l6 ${num(box.h / 2 + 1)}l-6 ${num(box.h / 2 + 1)}z">` +
            `<title>${escapeXml(`job ${job.id}: still open at the end of the history`)}</title></path>`,
        );
      }
      if (bar.kind === 'exec' && call !== undefined) {
        const from = barBox(call, geometry, dense);
        const x = num(box.x);
        // Connectors for clean jobs only appear on hover; for jobs needing attention they stay visible.
        parts.push(`<line class="link${notable ? '' : ' quiet'}" x1="${x}" x2="${x}" y1="${num(from.y + from.h / 2)}" y2="${num(box.y + box.h / 2)}"/>`);
      }
    }
    for (const mark of job.marks) {
      const lane = geometry.laneByName.get(mark.lane);
      if (lane === undefined) continue;
      const x = geometry.scale(mark.t);
      parts.push(
        `<rect class="bar mark ${mark.cls}" data-job="${id}" data-event="mark" x="${num(x - 1)}" y="${num(lane.top + 2)}" width="2" height="${num(lane.height - 4)}">` +
          `<title>${escapeXml(`job ${job.id}: ${mark.text}`)}</title></rect>`,
      );
    }
    parts.push('</g>\n');
  }
  parts.push('</g>\n');
  return parts.join('');
}

/** Dense mode: every bar burned into 1-px columns per lane row, then run-length encoded. */
function renderRaster(lanes: readonly Lane[], bars: readonly Bar[], jobs: readonly Job[], geometry: Geometry): string {
  const { plotLeft, plotWidth, density } = geometry;
  const rasters = new Map<string, Uint8Array[]>();
  for (const lane of lanes) rasters.set(lane.name, Array.from({ length: lane.rows }, () => new Uint8Array(plotWidth)));
  const paint = (row: Uint8Array, x0: number, x1: number, rank: number): void => {
    const from = clamp(Math.floor(x0 - plotLeft), 0, plotWidth - 1);
    const to = clamp(Math.ceil(x1 - plotLeft), from + 1, plotWidth);
    for (let column = from; column < to; column += 1) if (row[column] < rank) row[column] = rank;
  };
  for (const bar of bars) {
    const row = rasters.get(bar.lane)?.[bar.row];
    if (row !== undefined) paint(row, geometry.scale(bar.start), geometry.scale(bar.end), CLASS_RANK[bar.cls]);
  }

  const paths = new Map<BarClass, string[]>();
  for (const lane of lanes) {
    const rows = rasters.get(lane.name) ?? [];
    const blockTop = lane.top + (lane.height - lane.rows * density.rowPitch) / 2 + (density.rowPitch - density.barHeight) / 2;
    rows.forEach((row, index) => {
      const y = num(blockTop + index * density.rowPitch);
      let column = 0;
      while (column < plotWidth) {
        const rank = row[column];
        let end = column + 1;
        while (end < plotWidth && row[end] === rank) end += 1;
        if (rank !== 0) {
          const cls = CLASS_BY_RANK[rank];
          const list = paths.get(cls) ?? [];
          list.push(`M${plotLeft + column} ${y}h${end - column}v${density.barHeight}h-${end - column}z`);
          paths.set(cls, list);
        }
        column = end;
      }
    });
  }
  // Orphan marks are few but matter; draw them as thin ticks in the same layer.
  for (const job of jobs) {
    for (const mark of job.marks) {
      const lane = geometry.laneByName.get(mark.lane);
      if (lane === undefined) continue;
      const list = paths.get(mark.cls) ?? [];
      list.push(`M${num(geometry.scale(mark.t) - 0.5)} ${num(lane.top + 2)}h1v${num(lane.height - 4)}h-1z`);
      paths.set(mark.cls, list);
    }
  }
  const order: BarClass[] = ['ok', 'open-exec', 'info', 'fail', 'none'];
  const parts: string[] = ['<g class="raster">\n'];
  for (const cls of order) {
    const list = paths.get(cls);
    if (list !== undefined && list.length > 0) parts.push(`<path class="${cls}" d="${list.join('')}"/>\n`);
  }
  parts.push('</g>\n');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Text and numbers

function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  const limit = Math.max(1, Math.floor(maxChars));
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join('')}…`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserialisable]';
  }
}

/** One decimal is below a pixel at any sane width and keeps the output short and stable. */
function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** Thousands separators without Intl, whose output depends on the machine's locale data. */
function group(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function count(n: number, noun: string): string {
  return `${group(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function clampWidth(width: number | undefined): number {
  if (width === undefined || !Number.isFinite(width)) return DEFAULT_WIDTH;
  return Math.round(clamp(width, MIN_WIDTH, MAX_WIDTH));
}

function labelColumnWidth(lanes: readonly Lane[]): number {
  const longest = lanes.reduce((max, lane) => Math.max(max, Array.from(lane.name).length), 0);
  return Math.round(clamp(longest * CHAR_WIDTH + 20, 70, 170));
}

/** `worker-2` before `worker-10`; locale-free so the order is the same on every machine. */
function naturalCompare(a: string, b: string): number {
  const split = (text: string): string[] => text.match(/\d+|\D+/g) ?? [];
  const left = split(a);
  const right = split(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index];
    const y = right[index];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      // Compare digit runs as numbers of any length: shorter (without leading zeros) is smaller.
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      const byValue = xs.length - ys.length || compareStrings(xs, ys);
      if (byValue !== 0) return byValue;
    }
    return compareStrings(x, y);
  }
  return left.length - right.length || compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
