import type { HistoryEvent } from './event';

/** The fields whose values repeat across a history: a run has few nodes, services, topics and errors. */
const SHARED_FIELDS = ['type', 'process', 'worker', 'service', 'error', 'subscriber', 'topic', 'publisher', 'phase', 'fault', 'reason'] as const;

/**
 * One copy of each repeated string of a history. JSON.parse makes a fresh string for every value of
 * every line, so a million events naming 64 clients hold a million copies of their names; sharing
 * them keeps a parsed history's memory to its events' own content (ids and stamps). Bounded: a
 * history whose "repeated" fields never repeat stops being pooled after MAX_POOLED strings.
 */
export class StringPool {
  private static readonly MAX_POOLED = 100_000;
  private readonly pool = new Map<string, string>();

  share(value: string): string {
    const known = this.pool.get(value);
    if (known !== undefined) return known;
    if (this.pool.size < StringPool.MAX_POOLED) this.pool.set(value, value);
    return value;
  }

  /** The event with its repeated fields' values replaced by the pooled copies (in place). */
  shareFields(event: HistoryEvent): HistoryEvent {
    const fields = event as unknown as Record<string, unknown>;
    for (const field of SHARED_FIELDS) {
      const value = fields[field];
      if (typeof value === 'string') fields[field] = this.share(value);
    }
    return event;
  }
}
