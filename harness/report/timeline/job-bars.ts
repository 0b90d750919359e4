import { ms } from '../../util/format-ms';
import { escapeXml } from '../../util/xml';
import { CLASS_BY_RANK, CLASS_RANK, describeOutcome, isNotable, outcomeOf, type BarClass, type Job } from './jobs';
import type { Lane } from './lanes';
import { MIN_LANE_HEIGHT, type Geometry } from './layout';
import type { Span } from './rows';
import { clamp, num } from './text';

/**
 * Request-reply lanes: each job's call and executions as bars coloured by the job's outcome.
 *
 * Size policy. Up to a few hundred jobs every bar is its own element with a tooltip. Beyond that
 * per-bar elements cost ~700 bytes per job and the bars would overlap into an unreadable smear anyway,
 * so bars are rasterised (renderRaster): each lane row is cut into 1-px columns, every column takes
 * the most alarming outcome of the bars covering it, and runs of equal columns become one path
 * segment. All bars are still drawn, but the output is bounded by lanes x rows x width, not by the
 * job count; the jobs a reader is looking for are then drawn on top with renderJobs.
 */

const EMPHASISED_BAR_HEIGHT = 7;

export interface Bar extends Span {
  readonly job: Job;
  readonly kind: 'call' | 'exec';
  readonly ended: boolean;
  readonly cls: BarClass;
}

export function buildBars(jobs: readonly Job[], t1: number): Bar[] {
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

/** Top of the block of rows, centred so single-row lanes do not hug their top edge. */
function blockTop(lane: Lane, rowPitch: number): number {
  return lane.top + (lane.height - lane.rows * rowPitch) / 2;
}

function barBox(bar: Bar, geometry: Geometry, emphasise: boolean): { x: number; y: number; w: number; h: number } {
  const { scale, density, laneByName } = geometry;
  const lane = laneByName.get(bar.lane);
  const x = scale(bar.start);
  const w = Math.max(1.5, scale(bar.end) - x);
  const top = lane === undefined ? geometry.lanesTop : lane.top;
  const laneHeight = lane === undefined ? MIN_LANE_HEIGHT : lane.height;
  const first = lane === undefined ? top : blockTop(lane, density.rowPitch);
  const centre = first + (bar.row + 0.5) * density.rowPitch;
  // Over a dense raster a 3-px bar would vanish, so the jobs picked out are drawn taller.
  const h = emphasise ? Math.min(EMPHASISED_BAR_HEIGHT, laneHeight - 4) : density.barHeight;
  const y = emphasise ? clamp(centre - h / 2, top + 2, top + laneHeight - 2 - h) : centre - h / 2;
  return { x, y, w, h };
}

/**
 * Each job's bars as elements with tooltips, grouped per job. A job an anomaly names (`flagged`: job
 * id to anomaly names) is outlined and carries the names, so the bars of a job that ran twice stand out.
 */
export function renderJobs(jobs: readonly Job[], bars: readonly Bar[], geometry: Geometry, dense: boolean, flagged: ReadonlyMap<string, readonly string[]> = new Map()): string {
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
    const names = flagged.get(job.id);
    const notable = isNotable(job) || names !== undefined;
    const flag = names === undefined ? '' : ` data-anomaly="${escapeXml(names.join(' '))}"`;
    parts.push(`<g class="job${names === undefined ? '' : ' flagged'}" data-job="${id}" data-outcome="${outcomeOf(job)}"${flag}>`);
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
export function renderRaster(lanes: readonly Lane[], bars: readonly Bar[], jobs: readonly Job[], geometry: Geometry): string {
  const { plotLeft, plotWidth, density } = geometry;
  const rasters = new Map<string, Uint8Array[]>();
  const barLanes = new Set(bars.map((bar) => bar.lane));
  for (const lane of lanes) if (barLanes.has(lane.name)) rasters.set(lane.name, Array.from({ length: lane.rows }, () => new Uint8Array(plotWidth)));
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
  const add = (cls: BarClass, segment: string): void => {
    const list = paths.get(cls);
    if (list === undefined) paths.set(cls, [segment]);
    else list.push(segment);
  };
  for (const lane of lanes) {
    const rows = rasters.get(lane.name) ?? [];
    const first = blockTop(lane, density.rowPitch) + (density.rowPitch - density.barHeight) / 2;
    rows.forEach((row, index) => {
      const y = num(first + index * density.rowPitch);
      let column = 0;
      while (column < plotWidth) {
        const rank = row[column];
        let end = column + 1;
        while (end < plotWidth && row[end] === rank) end += 1;
        if (rank !== 0) add(CLASS_BY_RANK[rank], `M${plotLeft + column} ${y}h${end - column}v${density.barHeight}h-${end - column}z`);
        column = end;
      }
    });
  }
  // Orphan marks are few but matter; draw them as thin ticks in the same layer.
  for (const job of jobs) {
    for (const mark of job.marks) {
      const lane = geometry.laneByName.get(mark.lane);
      if (lane !== undefined) add(mark.cls, `M${num(geometry.scale(mark.t) - 0.5)} ${num(lane.top + 2)}h1v${num(lane.height - 4)}h-1z`);
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
