import type { HistoryEvent } from '../../history/event';
import { buildLanes, nodeOf, type LaneKind } from './lanes';

/**
 * Beyond this many nodes of one kind (clients, workers, publishers, subscribers, others), the rest
 * share one lane: a run of 500 clients draws 16 client lanes and one "+484 clients", so the
 * picture's height, like its width, stays bounded whatever the run's size.
 */
export const MAX_LANES_PER_KIND = 16;

const PLURAL: Record<LaneKind, string> = { client: 'clients', worker: 'workers', publisher: 'publishers', other: 'other nodes', subscriber: 'subscribers' };

export interface FoldedLanes {
  /** The history with each folded node's name replaced by its shared lane's. */
  events: readonly HistoryEvent[];
  /** Each folded node's shared lane, so a mark or fault naming the node still finds its lane. */
  sharedLaneOf: ReadonlyMap<string, string>;
  /** What was folded, for the picture's notes; undefined when nothing was. */
  note?: string;
}

/** The event with its node names (the one it happened on, a fault's targets) passed through `rename`. */
function renamed(event: HistoryEvent, rename: (node: string) => string): HistoryEvent {
  switch (event.type) {
    case 'nemesis':
      return { ...event, targets: [...new Set(event.targets.map(rename))] };
    case 'exec-start':
    case 'exec-end':
    case 'exec-killed':
      return { ...event, worker: rename(event.worker) };
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
    case 'deliver':
      return { ...event, subscriber: rename(event.subscriber) };
    case 'orphan':
      return event.worker !== undefined ? { ...event, worker: rename(event.worker) } : { ...event, process: rename(event.process ?? '') };
    case 'harness':
    case 'policy':
    case 'service-policy':
    case 'revoked':
    case 'attack':
    case 'receive':
      return event;
    default:
      return { ...event, process: rename(event.process) };
  }
}

/**
 * Keeps at most MAX_LANES_PER_KIND lanes of each kind: the nodes in `preferred` (those an anomaly
 * names) first, then in lane order; the others of that kind are drawn together on one lane. Events
 * of kept nodes are passed through unchanged, so a history within the bound is returned as it is.
 */
export function foldLanes(timed: readonly HistoryEvent[], preferred: ReadonlySet<string>, maxPerKind = MAX_LANES_PER_KIND): FoldedLanes {
  const byKind = new Map<LaneKind, string[]>();
  for (const lane of buildLanes(timed)) byKind.set(lane.kind, [...(byKind.get(lane.kind) ?? []), lane.name]);
  const sharedLaneOf = new Map<string, string>();
  const folded: string[] = [];
  for (const [kind, names] of byKind) {
    if (names.length <= maxPerKind) continue;
    const ordered = [...names.filter((name) => preferred.has(name)), ...names.filter((name) => !preferred.has(name))];
    const rest = ordered.slice(maxPerKind);
    const shared = `+${rest.length} ${PLURAL[kind]}`;
    for (const name of rest) sharedLaneOf.set(name, shared);
    folded.push(`${rest.length} of ${names.length} ${PLURAL[kind]}`);
  }
  if (sharedLaneOf.size === 0) return { events: timed, sharedLaneOf };
  const rename = (node: string): string => sharedLaneOf.get(node) ?? node;
  const events = timed.map((event) => {
    const node = nodeOf(event);
    const touches = event.type === 'nemesis' ? event.targets.some((target) => sharedLaneOf.has(target)) : node !== undefined && sharedLaneOf.has(node);
    return touches ? renamed(event, rename) : event;
  });
  return { events, sharedLaneOf, note: `${folded.join(', ')} drawn together on one lane each (at most ${maxPerKind} lanes of a kind; nodes an anomaly names kept)` };
}
