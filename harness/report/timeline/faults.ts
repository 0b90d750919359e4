import { ms } from '../../util/format-ms';
import type { FaultEffect, HistoryEvent, NemesisEvent } from '../../history/event';
import { escapeXml } from '../../util/xml';
import type { Lane } from './lanes';
import type { Geometry } from './layout';
import { CHAR_WIDTH, num, safeJson, textWidth, truncate } from './text';

/**
 * Fault windows: a band over the whole plot (its tooltip explains the fault), a stronger shade over
 * the lanes of the nodes it hit, and its kind as a label above the lanes. A storm of thousands of
 * faults draws the first MAX_DRAWN_FAULTS and says how many more there were.
 */
export const MAX_DRAWN_FAULTS = 400;
export const FAULT_LABEL_ROW = 14;
const MAX_FAULT_LABEL_ROWS = 3;

export interface Fault {
  readonly id: string;
  readonly fault: string;
  readonly targets: readonly string[];
  readonly start: number;
  readonly startKnown: boolean;
  end?: number;
  effect?: FaultEffect;
}

export function collectFaults(timed: readonly HistoryEvent[]): Fault[] {
  const faults: Fault[] = [];
  const open = new Map<string, Fault>();
  for (const event of timed) {
    if (event.type !== 'nemesis') continue;
    const started = open.get(event.id);
    if (event.phase === 'start') {
      const fault: Fault = { id: event.id, fault: event.fault, targets: [...event.targets], start: event.t, startKnown: true, effect: event.effect };
      faults.push(fault);
      open.set(event.id, fault);
    } else if (started !== undefined) {
      started.end = event.t;
      if (event.effect !== undefined) started.effect = { ...started.effect, ...event.effect };
      open.delete(event.id);
    } else {
      // An end whose start was not recorded: the fault was on from the beginning as far as we know.
      faults.push({ id: event.id, fault: event.fault, targets: [...event.targets], start: timed[0].t, startKnown: false, end: event.t, effect: event.effect });
    }
  }
  return faults;
}

function targetsText(targets: readonly string[]): string {
  return targets.length === 0 ? 'all nodes' : targets.join(', ');
}

/** One line naming a fault event, as an anomaly's explanation cites it. */
export function describeFaultEvent(event: NemesisEvent): string {
  return `${event.fault} (${event.id}) on ${targetsText(event.targets)} at ${ms(event.t)}`;
}

function faultEnd(fault: Fault, t1: number): number {
  return fault.end ?? t1;
}

function faultTitle(fault: Fault, t1: number): string {
  const start = fault.startKnown ? ms(fault.start) : 'before the history (start not recorded)';
  const end = fault.end === undefined ? `not ended by the end of the history (${ms(t1)})` : `${ms(fault.end)}, lasted ${ms(fault.end - fault.start)}`;
  const effect = fault.effect === undefined ? '' : `; effect: ${truncate(safeJson(fault.effect), 400)}`;
  return `fault ${fault.fault} (${fault.id}) on ${targetsText(fault.targets)}: start ${start} → end ${end}${effect}`;
}

export function renderFaultBands(faults: readonly Fault[], geometry: Geometry): string {
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

export interface FaultLabel {
  readonly fault: Fault;
  readonly row: number;
  readonly x: number;
  readonly anchor: 'start' | 'end';
  readonly text: string;
}

/** Greedy rows so labels of faults close in time do not print over each other. */
export function placeFaultLabels(faults: readonly Fault[], scale: (t: number) => number, right: number): FaultLabel[] {
  const rowEnds: number[] = [];
  const labels: FaultLabel[] = [];
  for (const fault of [...faults].sort((a, b) => a.start - b.start)) {
    const text = truncate(`${fault.fault}${fault.end === undefined ? ' (not ended)' : ''}`, 40);
    const width = textWidth(text, CHAR_WIDTH);
    const start = scale(fault.start);
    const anchor: 'start' | 'end' = start + width > right ? 'end' : 'start';
    const left = anchor === 'start' ? start : Math.max(0, right - width);
    let row = rowEnds.findIndex((end) => end + 6 <= left);
    if (row === -1 && rowEnds.length < MAX_FAULT_LABEL_ROWS) row = rowEnds.push(0) - 1;
    // No room: the window is still shaded and its band carries the tooltip.
    if (row === -1) continue;
    rowEnds[row] = left + width;
    labels.push({ fault, row, x: anchor === 'start' ? start : right, anchor, text });
  }
  return labels;
}

export function renderFaultTargets(faults: readonly Fault[], labels: readonly FaultLabel[], labelRows: number, geometry: Geometry): string {
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
