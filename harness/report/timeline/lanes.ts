import type { HistoryEvent } from '../../history/event';
import { escapeXml } from '../../util/xml';
import { COLOURS } from './style';
import { LANE_PADDING, MARGIN, MIN_LANE_HEIGHT, plotRight, type Geometry } from './layout';
import { CHAR_WIDTH, clamp, naturalCompare, num, truncate } from './text';

/**
 * One horizontal lane per node the history names, in the order a message travels: clients, workers,
 * publishers, then nodes only faults name (brokers, the pub/sub proxy), then subscribers. What a lane
 * is comes from the events that name it, never from the scenario or the node's name.
 */
export type LaneKind = 'client' | 'worker' | 'publisher' | 'other' | 'subscriber';

export interface Lane {
  readonly name: string;
  readonly kind: LaneKind;
  /** Rows of bars (request-reply lanes and publishers). */
  rows: number;
  /** Height of what is drawn inside the lane, padding excluded (px). */
  content: number;
  top: number;
  height: number;
}

const ORDER: readonly LaneKind[] = ['client', 'worker', 'publisher', 'other', 'subscriber'];

/** The node an event happened on, when it names one. */
export function nodeOf(event: HistoryEvent): string | undefined {
  switch (event.type) {
    case 'invoke':
    case 'ok':
    case 'fail':
    case 'info':
    case 'put':
    case 'put-ok':
    case 'put-fail':
    case 'put-info':
    case 'kill':
    case 'kill-answer':
    case 'kill-info':
      return event.process;
    case 'exec-start':
    case 'exec-end':
    case 'exec-killed':
      return event.worker;
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
    case 'deliver':
      return event.subscriber;
    case 'orphan':
      return event.process ?? event.worker;
    case 'nemesis':
      return event.targets[0];
    case 'revoked':
    case 'attack':
    case 'receive':
      return event.principal;
    case 'harness':
    case 'policy':
      return undefined;
  }
}

function kindOf(event: HistoryEvent): LaneKind | undefined {
  switch (event.type) {
    case 'invoke':
    case 'ok':
    case 'fail':
    case 'info':
    case 'kill':
    case 'kill-answer':
    case 'kill-info':
      return 'client';
    case 'exec-start':
    case 'exec-end':
    case 'exec-killed':
      return 'worker';
    case 'orphan':
      return event.process !== undefined ? 'client' : 'worker';
    case 'put':
    case 'put-ok':
    case 'put-fail':
    case 'put-info':
      return 'publisher';
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
    case 'deliver':
      return 'subscriber';
    // A hostile peer gets a lane of its own, so what it received is marked where it happened.
    case 'attack':
    case 'receive':
      return 'other';
    default:
      return undefined;
  }
}

export function buildLanes(timed: readonly HistoryEvent[]): Lane[] {
  // A node's kind is the first in ORDER its own events give it (a client that also subscribes is a
  // client); a node only faults name (a broker, the proxy) is 'other'.
  const kinds = new Map<string, LaneKind>();
  const rank = (kind: LaneKind): number => (kind === 'other' ? ORDER.length : ORDER.indexOf(kind));
  const claim = (name: string, kind: LaneKind): void => {
    const known = kinds.get(name);
    if (known === undefined || rank(kind) < rank(known)) kinds.set(name, kind);
  };
  for (const event of timed) {
    if (event.type === 'nemesis') event.targets.forEach((target) => claim(target, 'other'));
    else {
      const kind = kindOf(event);
      const node = nodeOf(event);
      if (kind !== undefined && node !== undefined) claim(node, kind);
    }
  }
  const lanes = [...kinds].map(([name, kind]): Lane => ({ name, kind, rows: 1, content: 0, top: 0, height: 0 }));
  return lanes.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || naturalCompare(a.name, b.name));
}

/** Stacks the lanes from `top`; returns their bottom. */
export function stackLanes(lanes: readonly Lane[], top: number): number {
  let y = top;
  for (const lane of lanes) {
    lane.top = y;
    lane.height = Math.max(MIN_LANE_HEIGHT, 2 * LANE_PADDING + lane.content);
    y += lane.height;
  }
  return y;
}

export function laneCentre(lane: Lane): number {
  return lane.top + lane.height / 2;
}

export function labelColumnWidth(lanes: readonly Lane[]): number {
  const longest = lanes.reduce((max, lane) => Math.max(max, Array.from(lane.name).length), 0);
  return Math.round(clamp(longest * CHAR_WIDTH + 20, 70, 170));
}

export function renderLanes(lanes: readonly Lane[], geometry: Geometry, labelWidth: number): string {
  const right = plotRight(geometry);
  const parts: string[] = ['<g class="lanes">\n'];
  const maxChars = Math.floor((labelWidth - 12) / CHAR_WIDTH);
  lanes.forEach((lane, index) => {
    const fill = index % 2 === 0 ? COLOURS.laneEven : COLOURS.laneOdd;
    parts.push(
      `<g class="lane" data-node="${escapeXml(lane.name)}" data-kind="${lane.kind}">` +
        `<rect x="${MARGIN}" y="${num(lane.top)}" width="${num(right - MARGIN)}" height="${num(lane.height)}" fill="${fill}"/>` +
        `<text class="lane-label" x="${MARGIN + 4}" y="${num(lane.top + lane.height / 2 + 4)}">` +
        `<title>${escapeXml(`${lane.kind}: ${lane.name}`)}</title>${escapeXml(truncate(lane.name, maxChars))}</text></g>\n`,
    );
    const next = lanes[index + 1];
    if (next !== undefined && next.kind !== lane.kind) {
      const y = num(lane.top + lane.height);
      parts.push(`<line x1="${MARGIN}" x2="${num(right)}" y1="${y}" y2="${y}" stroke="#9a9a9a" stroke-width="1"/>\n`);
    }
  });
  parts.push('</g>\n');
  return parts.join('');
}
