import { byTime } from '../../checker/jobs';
import type { HistoryEvent } from '../../history/event';
import { anomalousJobs, anomalyListHeight, MAX_DRAWN_ANOMALIES, placeAnomalies, renderAnomalyList, renderAnomalyMarks, type TimelineAnomaly } from './anomalies';
import { renderAxis } from './axis';
import { collectFaults, FAULT_LABEL_ROW, MAX_DRAWN_FAULTS, placeFaultLabels, renderFaultBands, renderFaultTargets } from './faults';
import { renderHeader } from './header';
import { buildBars, renderJobs, renderRaster } from './job-bars';
import { collectJobs, isNotable, summariseJobs, type JobStats } from './jobs';
import { foldLanes } from './lane-folding';
import { buildLanes, labelColumnWidth, nodeOf, renderLanes, stackLanes, type Lane } from './lanes';
import { AXIS_HEIGHT, clampWidth, DENSE, DETAILED, MARGIN, MIN_LANE_HEIGHT, plotRight, RIGHT_GUTTER, type Geometry } from './layout';
import { legendItems } from './legend';
import { collectPubSub, hasPubSub, isDensePubSub, renderPubSub, sizePubSubLanes, summarisePubSub, type PubSubStats } from './pubsub';
import { packRows } from './rows';
import { renderEmpty, svgOpen } from './style';
import { count, group } from './text';

export type { TimelineAnomaly } from './anomalies';

/**
 * Renders a recorded history as a standalone SVG timeline for people reading the report of a failed
 * scenario: one lane per node; request-reply jobs as bars (a call on its client, executions on their
 * workers) coloured by outcome; pub/sub puts on their publishers and deliveries on their subscribers;
 * fault windows shaded over the nodes they hit; and the anomalies the checkers reported marked where
 * they happened, labelled, with the fault that explains each or "unexplained". Which lanes are drawn
 * follows from the history's events, so a history with both kinds of traffic shows both.
 *
 * The picture stays bounded whatever the history's size: dense job lanes are rasterised
 * (job-bars.ts), dense pub/sub lanes binned (pubsub.ts), and faults and anomalies capped with a note
 * of how many more there were.
 */
export interface TimelineOptions {
  title?: string;
  /** Total picture width in px (clamped to a sane range). */
  width?: number;
  /**
   * The anomalies the checkers found in this history (explained ones included), to be marked on the
   * picture and listed under it. Without them the picture shows the history only; with an empty list
   * it says that no anomaly was reported.
   */
  anomalies?: readonly TimelineAnomaly[];
}

/** Beyond this many jobs, bars are rasterised and only the jobs needing attention drawn individually. */
const DETAIL_JOB_LIMIT = 400;
const NOTABLE_JOB_LIMIT = 300;

export function renderTimeline(events: readonly HistoryEvent[], options: TimelineOptions = {}): string {
  const width = clampWidth(options.width);
  const title = options.title ?? 'Scenario timeline';
  const anomalies = options.anomalies;
  const folding = foldLanes(
    byTime(events.filter((event) => Number.isFinite(event.t))),
    anomalyNodes(anomalies ?? []),
  );
  const timed = folding.events;
  if (timed.length === 0) return renderEmpty(title, width);

  const t0 = timed[0].t;
  // A zero-length run still needs a non-zero scale.
  const t1 = Math.max(timed[timed.length - 1].t, t0 + 1);
  const jobs = collectJobs(timed);
  const allFaults = collectFaults(timed);
  const faults = allFaults.slice(0, MAX_DRAWN_FAULTS);
  const pubsub = collectPubSub(timed, t1);
  const lanes = buildLanes(timed);
  const laneByName = new Map(lanes.map((lane) => [lane.name, lane]));
  for (const [node, shared] of folding.sharedLaneOf) laneByName.set(node, laneByName.get(shared) as Lane);

  const denseJobs = jobs.length > DETAIL_JOB_LIMIT;
  const densePubSub = isDensePubSub(pubsub);
  const density = denseJobs ? DENSE : DETAILED;
  const labelWidth = labelColumnWidth(lanes);
  const plotLeft = MARGIN + labelWidth;
  const plotWidth = Math.max(100, Math.floor(width - plotLeft - MARGIN - RIGHT_GUTTER));
  const scale = (t: number): number => plotLeft + ((t - t0) / (t1 - t0)) * plotWidth;
  const msPerPx = (t1 - t0) / plotWidth;

  const bars = buildBars(jobs, t1);
  packRows(lanes, bars, density.maxRows, density.packGapPx * msPerPx);
  for (const lane of lanes) lane.content = lane.rows * density.rowPitch;
  sizePubSubLanes(lanes, pubsub, densePubSub, DETAILED.packGapPx * msPerPx);

  const jobStats = summariseJobs(jobs);
  const showJobs = jobStats.jobs + jobStats.executions > 0 || !hasPubSub(pubsub);
  const summaries = [...(showJobs ? [jobSummary(jobStats)] : []), ...(hasPubSub(pubsub) ? [pubSubSummary(summarisePubSub(pubsub))] : [])];
  const faultCount = `${count(allFaults.length, 'fault')}${allFaults.length > faults.length ? ` (the first ${group(faults.length)} drawn)` : ''}`;
  summaries[summaries.length - 1] += `; ${faultCount}`;
  const notes = [
    ...(folding.note === undefined ? [] : [folding.note]),
    ...(denseJobs
      ? [
          `${count(jobs.length, 'job')}: bars merged per pixel column (worst outcome wins); ` +
            `${group(Math.min(jobStats.notable, NOTABLE_JOB_LIMIT))} of ${group(jobStats.notable)} jobs needing attention drawn individually with tooltips`,
        ]
      : []),
    ...(densePubSub
      ? [`${count(pubsub.puts.length, 'put')} and ${count(pubsub.deliveries.length, 'delivery', 'deliveries')}: counted per 2-px column (height ∝ √count within the lane; worst put outcome wins)`]
      : []),
  ];
  const legend = legendItems({ jobs: showJobs && jobStats.jobs + jobStats.executions > 0, pubsub: hasPubSub(pubsub), faults: faults.length > 0, anomalies: anomalies ?? [] });
  const header = renderHeader(title, summaries, legend, notes, width);
  const faultLabels = placeFaultLabels(faults, scale, plotRight({ plotLeft, plotWidth }));
  const labelRows = faultLabels.reduce((rows, label) => Math.max(rows, label.row + 1), 0);
  const lanesTop = header.bottom + labelRows * FAULT_LABEL_ROW + (labelRows > 0 ? 4 : 0);
  // Keep a plot area even when only untargeted faults were recorded (no lane at all).
  const lanesBottom = lanes.length === 0 ? lanesTop + MIN_LANE_HEIGHT : stackLanes(lanes, lanesTop);
  const placed = placeAnomalies(anomalies ?? [], laneByName);
  const listTop = lanesBottom + AXIS_HEIGHT;
  const height = Math.ceil(listTop + anomalyListHeight(anomalies, placed) + MARGIN);

  const flagged = anomalousJobs(anomalies ?? []);
  const geometry: Geometry = { scale, t1, plotLeft, plotWidth, lanesTop, lanesBottom, density, laneByName };
  const out: string[] = [];
  out.push(svgOpen(width, height, title));
  out.push(header.svg);
  out.push(renderLanes(lanes, geometry, labelWidth));
  out.push(renderAxis(t0, t1, geometry));
  out.push(renderFaultBands(faults, geometry));
  if (hasPubSub(pubsub)) out.push(renderPubSub(lanes, pubsub, geometry, densePubSub));
  if (denseJobs) {
    out.push(renderRaster(lanes, bars, jobs, geometry));
    // Jobs an anomaly names come first, so the cap never hides the bars a mark points at.
    const notable = jobs.filter(isNotable).sort((a, b) => Number(flagged.has(b.id)) - Number(flagged.has(a.id)));
    out.push(renderJobs(notable.slice(0, NOTABLE_JOB_LIMIT), bars, geometry, true, flagged));
  } else if (jobs.length > 0) {
    out.push(renderJobs(jobs, bars, geometry, false, flagged));
  }
  out.push(renderFaultTargets(faults, faultLabels, labelRows, geometry));
  out.push(renderAnomalyMarks(placed, geometry));
  out.push(renderAnomalyList(anomalies, placed, listTop, width));
  out.push('</svg>\n');
  return out.join('');
}

/** The nodes the anomalies' evidence names: their lanes are kept when lanes are folded. */
function anomalyNodes(anomalies: readonly TimelineAnomaly[]): Set<string> {
  const nodes = new Set<string>();
  for (const anomaly of anomalies.slice(0, MAX_DRAWN_ANOMALIES)) {
    if (anomaly.subscriber !== undefined) nodes.add(anomaly.subscriber);
    for (const event of anomaly.events) {
      const node = event.type === 'nemesis' ? undefined : nodeOf(event);
      if (node !== undefined) nodes.add(node);
    }
  }
  return nodes;
}

function jobSummary(stats: JobStats): string {
  return (
    `${count(stats.jobs, 'job')}: ${group(stats.ok)} ok, ${group(stats.fail)} fail, ${group(stats.info)} info, ` +
    `${group(stats.none)} without outcome; ${count(stats.executions, 'execution')}`
  );
}

function pubSubSummary(stats: PubSubStats): string {
  return (
    `${count(stats.messages, 'message')} put: ${group(stats.accepted)} accepted, ${group(stats.failed)} failed, ${group(stats.indefinite)} indefinite, ` +
    `${group(stats.unresolved)} without outcome; ${count(stats.deliveries, 'delivery', 'deliveries')} to ${count(stats.subscribers, 'subscriber')}`
  );
}
