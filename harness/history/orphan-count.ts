import type { HistoryEvent, OrphanKind } from './event';

/** The orphans a history records: how many, and how many of each kind (only kinds seen). */
export interface OrphanCount {
  total: number;
  byKind: Partial<Record<OrphanKind, number>>;
}

/**
 * Counts the `orphan` events of a history, for the scenario report: an orphan is never an anomaly,
 * but a scenario that provoked none did not test how a node drops them. Undefined when there are none.
 */
export function countOrphans(events: readonly HistoryEvent[]): OrphanCount | undefined {
  const count: OrphanCount = { total: 0, byKind: {} };
  for (const event of events) {
    if (event.type !== 'orphan') continue;
    count.total++;
    count.byKind[event.what] = (count.byKind[event.what] ?? 0) + 1;
  }
  return count.total === 0 ? undefined : count;
}

/** `3 (late-reply 2, earlier-attempt 1)`. */
export function formatOrphanCount(count: OrphanCount): string {
  const kinds = Object.entries(count.byKind).map(([kind, n]) => `${kind} ${n}`);
  return `${count.total} (${kinds.join(', ')})`;
}
