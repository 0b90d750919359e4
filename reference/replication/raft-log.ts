import type { LogEntry } from './log-entry';
import type { Snapshot } from './snapshot';

/**
 * A node's log in memory: a snapshot (the compacted prefix) and the entries after it. It also keeps
 * where the membership entries are, so the configuration in effect (the last one held) is found
 * without scanning. It knows nothing of terms' meaning or of durability; RaftNode tracks which
 * stretch the host has not yet made durable.
 */
export class RaftLog {
  private base: Snapshot;
  private readonly list: LogEntry[] = [];
  /** Indexes of membership entries in `list`, ascending. */
  private readonly configIndexes: number[] = [];

  constructor(snapshot: Snapshot, entries: readonly LogEntry[]) {
    this.base = snapshot;
    entries.forEach((entry, i) => {
      if (entry.index !== snapshot.index + 1 + i) {
        throw new Error(`log entries are not contiguous after snapshot ${snapshot.index}: entry ${i} has index ${entry.index}`);
      }
    });
    this.append(entries);
  }

  get snapshot(): Snapshot {
    return this.base;
  }

  lastIndex(): number {
    return this.base.index + this.list.length;
  }

  lastTerm(): number {
    return this.termAt(this.lastIndex()) ?? this.base.term;
  }

  /** The term of the entry at `index`; undefined when compacted away (below the snapshot) or beyond the end. */
  termAt(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    return this.entry(index)?.term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.base.index) return undefined;
    return this.list[index - this.base.index - 1];
  }

  /** Entries from `from` to `to` inclusive, at most `max` of them; `from` must be above the snapshot. */
  slice(from: number, to: number, max = Number.MAX_SAFE_INTEGER): LogEntry[] {
    const start = from - this.base.index - 1;
    if (start < 0) throw new Error(`entries from ${from} are compacted (snapshot at ${this.base.index})`);
    return this.list.slice(start, Math.min(to - this.base.index, start + max));
  }

  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.index !== this.lastIndex() + 1) throw new Error(`append at ${entry.index} after last index ${this.lastIndex()}`);
      this.list.push(entry);
      if (entry.payload.kind === 'membership') this.configIndexes.push(entry.index);
    }
  }

  /** Drops `from` and everything after it. */
  truncateFrom(from: number): void {
    if (from <= this.base.index) throw new Error(`cannot truncate at ${from}: compacted up to ${this.base.index}`);
    this.list.length = Math.max(0, Math.min(this.list.length, from - this.base.index - 1));
    while (this.configIndexes.length > 0 && this.configIndexes[this.configIndexes.length - 1]! >= from) this.configIndexes.pop();
  }

  /** The first index of the run of entries with the term of `index`, not going below `floor`. */
  firstIndexOfTermAt(index: number, floor: number): number {
    const term = this.termAt(index);
    let first = index;
    while (first - 1 >= floor && first - 1 > this.base.index && this.termAt(first - 1) === term) first -= 1;
    return first;
  }

  /** Replaces the prefix up to `snapshot.index` (which this log holds) by the snapshot. */
  compact(snapshot: Snapshot): void {
    if (snapshot.index <= this.base.index) return;
    if (snapshot.index > this.lastIndex()) throw new Error(`cannot compact to ${snapshot.index}: last index is ${this.lastIndex()}`);
    this.list.splice(0, snapshot.index - this.base.index);
    while (this.configIndexes.length > 0 && this.configIndexes[0]! <= snapshot.index) this.configIndexes.shift();
    this.base = snapshot;
  }

  /**
   * Installs a leader's snapshot. The entries after it are kept only if the log holds the snapshot's
   * last entry (same index and term): then they are the leader's too (log matching). Returns whether
   * they were kept.
   */
  install(snapshot: Snapshot): boolean {
    const keep = this.termAt(snapshot.index) === snapshot.term && snapshot.index <= this.lastIndex();
    if (keep) {
      this.compact(snapshot);
      return true;
    }
    this.list.length = 0;
    this.configIndexes.length = 0;
    this.base = snapshot;
    return false;
  }

  /** The voters in effect: those of the last membership entry held, else the snapshot's. */
  voters(): readonly string[] {
    return this.votersBefore(this.lastIndex() + 1);
  }

  /** The voters in effect just before `index` was appended. */
  votersBefore(index: number): readonly string[] {
    for (let i = this.configIndexes.length - 1; i >= 0; i -= 1) {
      const at = this.configIndexes[i]!;
      if (at >= index) continue;
      const payload = this.entry(at)!.payload;
      if (payload.kind === 'membership') return payload.voters;
    }
    return this.base.voters;
  }

  /** Index of the last membership entry held, 0 when the configuration comes from the snapshot. */
  lastConfigIndex(): number {
    return this.configIndexes[this.configIndexes.length - 1] ?? 0;
  }
}
