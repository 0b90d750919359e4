import { ms } from '../../util/format-ms';
import type { Finding } from '../../checker/registry';
import type { HistoryEvent } from '../../history/event';
import { escapeXml } from '../../util/xml';
import { anomalyShape, anomalyStyle } from './anomaly-shapes';
import { describeFaultEvent } from './faults';
import { laneCentre, nodeOf, type Lane } from './lanes';
import { MARGIN, plotRight, type Geometry } from './layout';
import { COLOURS } from './style';
import { count, group, num, textWidth, truncate } from './text';

/**
 * The anomalies the checkers reported, drawn where they happened: a numbered mark of the anomaly's
 * own shape and colour on the lane of its evidence, a line across that lane so it stands out of a
 * dense picture, its number and name in visible text beside it, and a dashed line to the fault that
 * explains it. Under the axis a list gives each one's number, name, job or message, place, time,
 * and the fault that explains it or "unexplained".
 *
 * Bounds: the first MAX_DRAWN_ANOMALIES (one of each kind first, then by time, as the earliest
 * usually explains the rest) are drawn and the first MAX_LISTED_ANOMALIES listed; the picture says
 * how many more there were.
 */
export const MAX_DRAWN_ANOMALIES = 200;
export const MAX_LISTED_ANOMALIES = 30;
const LIST_LINE = 15;
const LABEL_CHAR_WIDTH = 6.2;

/** What the timeline needs of an anomaly: any system's finding, with the subscriber of a pub/sub one. */
export interface TimelineAnomaly extends Finding {
  subscriber?: string;
}

export interface PlacedAnomaly {
  readonly number: number;
  readonly anomaly: TimelineAnomaly;
  /** Where the mark goes; absent for an anomaly with no event to place it by (an empty history). */
  readonly at?: { readonly lane: Lane; readonly t: number };
}

function latest(events: readonly HistoryEvent[]): HistoryEvent | undefined {
  return events.reduce<HistoryEvent | undefined>((last, event) => (last === undefined || event.t >= last.t ? event : last), undefined);
}

/**
 * Where an anomaly is marked: at its latest evidence event (the re-run, the second reply, the late
 * reply, the put-ok of a message never delivered), on the lane of its subscriber when it concerns
 * one, on a lost or stuck job's client (where the reply never came), else on the lane of that event.
 * The fault that explains it is not evidence of where it happened; a finding about a fault alone
 * (one that hit nothing, a recovery that never came) sits on the fault's target.
 */
function anchorOf(anomaly: TimelineAnomaly, laneByName: ReadonlyMap<string, Lane>): PlacedAnomaly['at'] {
  const timed = anomaly.events.filter((event) => Number.isFinite(event.t));
  const evidence = timed.filter((event) => event.type !== 'nemesis' && event.type !== 'harness');
  const last = latest(evidence.length > 0 ? evidence : timed);
  if (last === undefined) return undefined;
  const invoke = evidence.find((event) => event.type === 'invoke');
  const node =
    anomaly.subscriber ?? ((anomaly.name === 'lost' || anomaly.name === 'stuck') && invoke?.type === 'invoke' ? invoke.process : nodeOf(last));
  const lane = node === undefined ? undefined : laneByName.get(node);
  return lane === undefined ? undefined : { lane, t: last.t };
}

function timeOf(anomaly: TimelineAnomaly): number {
  return latest(anomaly.events.filter((event) => Number.isFinite(event.t)))?.t ?? Number.POSITIVE_INFINITY;
}

/** One of each kind first (so no kind hides behind a flood of another), then the rest by time. */
function inDrawingOrder(anomalies: readonly TimelineAnomaly[]): TimelineAnomaly[] {
  const byTime = anomalies.map((anomaly, index) => ({ anomaly, index, t: timeOf(anomaly) })).sort((a, b) => a.t - b.t || a.index - b.index);
  const seen = new Set<string>();
  const firsts: TimelineAnomaly[] = [];
  const rest: TimelineAnomaly[] = [];
  for (const { anomaly } of byTime) {
    if (seen.has(anomaly.name)) rest.push(anomaly);
    else {
      seen.add(anomaly.name);
      firsts.push(anomaly);
    }
  }
  return [...firsts, ...rest];
}

export function placeAnomalies(anomalies: readonly TimelineAnomaly[], laneByName: ReadonlyMap<string, Lane>): PlacedAnomaly[] {
  return inDrawingOrder(anomalies)
    .slice(0, MAX_DRAWN_ANOMALIES)
    .map((anomaly, index) => ({ number: index + 1, anomaly, at: anchorOf(anomaly, laneByName) }));
}

/** Job id (message id for pub/sub) to the names of the anomalies about it. */
export function anomalousJobs(anomalies: readonly TimelineAnomaly[]): Map<string, string[]> {
  const jobs = new Map<string, string[]>();
  for (const anomaly of anomalies) {
    if (anomaly.job === undefined) continue;
    const names = jobs.get(anomaly.job) ?? [];
    if (!names.includes(anomaly.name)) names.push(anomaly.name);
    jobs.set(anomaly.job, names);
  }
  return jobs;
}

/** "explained by <fault> …" or "unexplained": what the checker found to explain the anomaly. */
export function explanationOf(anomaly: TimelineAnomaly): string {
  return anomaly.explainedBy === undefined ? 'unexplained' : `explained by ${describeFaultEvent(anomaly.explainedBy)}`;
}

/** The explanation in a few words, for the label beside a mark. */
function shortExplanation(anomaly: TimelineAnomaly): string {
  const cause = anomaly.explainedBy;
  return cause === undefined ? 'unexplained' : `explained: ${cause.fault}${cause.targets.length === 0 ? '' : ` ${cause.targets.join(', ')}`}`;
}

function subjectOf(anomaly: TimelineAnomaly): string {
  const subject = anomaly.job === undefined ? '' : anomaly.subscriber === undefined ? `job ${anomaly.job}` : `message ${anomaly.job}`;
  return anomaly.subscriber === undefined ? subject : `${subject} to ${anomaly.subscriber}`;
}

export function renderAnomalyMarks(placed: readonly PlacedAnomaly[], geometry: Geometry): string {
  if (placed.length === 0) return '';
  const { scale, laneByName, lanesTop } = geometry;
  const right = plotRight(geometry);
  // Every mark's own spot is taken before any label is placed, so no label hides a mark.
  const taken = new Map<Lane, [number, number][]>();
  for (const { at } of placed) if (at !== undefined) taken.set(at.lane, [...(taken.get(at.lane) ?? []), [scale(at.t) - 5.5, scale(at.t) + 5.5]]);
  const free = (lane: Lane, left: number, width: number): boolean => !(taken.get(lane) ?? []).some(([a, b]) => left < b + 2 && left + width > a - 2);
  // Labels are placed in number order (the earliest gets its name), marks drawn in reverse so the
  // earliest (the likeliest cause) ends up on top.
  const labels = placed.map(({ number, anomaly, at }) =>
    at === undefined
      ? ''
      : renderLabel([`#${number} ${anomaly.name} · ${shortExplanation(anomaly)}`, `#${number} ${anomaly.name}`, `#${number}`], scale(at.t), laneCentre(at.lane), at.lane, anomalyStyle(anomaly.name).colour, right, free, taken),
  );
  const parts: string[] = ['<g class="anomalies">\n'];
  for (let index = placed.length - 1; index >= 0; index -= 1) {
    const { number, anomaly, at } = placed[index];
    if (at === undefined) continue;
    const { colour } = anomalyStyle(anomaly.name);
    const explained = anomaly.explainedBy !== undefined;
    const x = scale(at.t);
    const y = laneCentre(at.lane);
    parts.push(
      `<g class="anomaly" data-anomaly="${escapeXml(anomaly.name)}" data-number="${number}"` +
        `${anomaly.job === undefined ? '' : ` data-job="${escapeXml(anomaly.job)}"`} data-explained="${explained}">` +
        `<title>${escapeXml(`#${number} ${anomaly.name}: ${anomaly.detail} (${explanationOf(anomaly)})`)}</title>`,
    );
    parts.push(`<line class="anomaly-guide" x1="${num(x)}" x2="${num(x)}" y1="${num(at.lane.top + 1)}" y2="${num(at.lane.top + at.lane.height - 1)}" stroke="${colour}"/>`);
    const cause = anomaly.explainedBy;
    if (cause !== undefined) {
      const target = cause.targets.map((name) => laneByName.get(name)).find((lane) => lane !== undefined);
      const cy = target === undefined ? lanesTop : laneCentre(target);
      parts.push(`<path class="anomaly-cause" d="M${num(scale(cause.t))} ${num(cy)}L${num(x)} ${num(y)}" stroke="${colour}"/>`);
    }
    parts.push(anomalyShape(anomaly.name, x, y, explained));
    parts.push(labels[index]);
    parts.push('</g>\n');
  }
  parts.push('</g>\n');
  return parts.join('');
}

/** The first of `texts` (longest first) that fits beside the mark, right or left, without covering another label or mark. */
function renderLabel(
  texts: readonly string[],
  x: number,
  y: number,
  lane: Lane,
  colour: string,
  right: number,
  free: (lane: Lane, left: number, width: number) => boolean,
  taken: Map<Lane, [number, number][]>,
): string {
  for (const [text, side] of texts.flatMap((text) => [[text, 1] as const, [text, -1] as const])) {
    const width = textWidth(text, LABEL_CHAR_WIDTH);
    const left = side > 0 ? x + 8 : x - 8 - width;
    if (left + width > right || !free(lane, left, width)) continue;
    taken.set(lane, [...(taken.get(lane) ?? []), [left, left + width]]);
    return (
      `<rect class="anomaly-halo" x="${num(left - 1.5)}" y="${num(y - 6.5)}" width="${num(width + 3)}" height="12"/>` +
      `<text class="anomaly-label" x="${num(left)}" y="${num(y + 3.5)}" fill="${colour}">${escapeXml(text)}</text>`
    );
  }
  return '';
}

/** Height of the list under the axis. */
export function anomalyListHeight(anomalies: readonly TimelineAnomaly[] | undefined, placed: readonly PlacedAnomaly[]): number {
  if (anomalies === undefined) return 0;
  const listed = Math.min(placed.length, MAX_LISTED_ANOMALIES);
  const more = anomalies.length > listed ? 1 : 0;
  return 8 + LIST_LINE * (1 + listed + more);
}

export function renderAnomalyList(anomalies: readonly TimelineAnomaly[] | undefined, placed: readonly PlacedAnomaly[], top: number, width: number): string {
  if (anomalies === undefined) return '';
  const chars = (width - 2 * MARGIN - 20) / 6;
  let y = top + 8 + 11;
  const parts: string[] = ['<g class="anomaly-list">\n'];
  parts.push(`<text x="${MARGIN}" y="${num(y)}" font-weight="bold" fill="${COLOURS.text}">${escapeXml(truncate(listHeading(anomalies), chars))}</text>\n`);
  for (const { number, anomaly, at } of placed.slice(0, MAX_LISTED_ANOMALIES)) {
    y += LIST_LINE;
    const where = at === undefined ? 'not placed in time' : `at ${ms(at.t)} on ${at.lane.name}`;
    const subject = subjectOf(anomaly);
    const line = `#${number} ${anomaly.name}${subject === '' ? '' : ` · ${subject}`} · ${where} · ${explanationOf(anomaly)} · ${anomaly.detail}`;
    parts.push(
      `<g class="anomaly-entry" data-number="${number}" data-anomaly="${escapeXml(anomaly.name)}">${anomalyShape(anomaly.name, MARGIN + 6, y - 4, anomaly.explainedBy !== undefined, 4.5)}` +
        `<text x="${MARGIN + 16}" y="${num(y)}" fill="${COLOURS.text}">${escapeXml(truncate(line, chars))}</text></g>\n`,
    );
  }
  const unlisted = anomalies.length - Math.min(placed.length, MAX_LISTED_ANOMALIES);
  if (unlisted > 0) {
    y += LIST_LINE;
    const undrawn = anomalies.length - placed.length;
    const note = `+${group(unlisted)} more not listed${undrawn > 0 ? ` (${group(undrawn)} of them not drawn either)` : ' (drawn above; numbers in their tooltips)'}; the verdict and the checker's report name them`;
    parts.push(`<text class="muted" x="${MARGIN}" y="${num(y)}" font-style="italic">${escapeXml(truncate(note, chars))}</text>\n`);
  }
  parts.push('</g>\n');
  return parts.join('');
}

function listHeading(anomalies: readonly TimelineAnomaly[]): string {
  if (anomalies.length === 0) return 'Anomalies: none reported by the checkers';
  const byName = new Map<string, number>();
  for (const anomaly of anomalies) byName.set(anomaly.name, (byName.get(anomaly.name) ?? 0) + 1);
  const kinds = [...byName].map(([name, n]) => `${group(n)} ${name}`).join(', ');
  const explained = anomalies.filter((anomaly) => anomaly.explainedBy !== undefined).length;
  return `${count(anomalies.length, 'anomaly', 'anomalies')}: ${kinds}; ${group(explained)} explained by a fault, ${group(anomalies.length - explained)} unexplained`;
}
