import type { LogEntry } from '../../../reference/replication/log-entry';

/** What an entry is, for comparing state machines: its term and a name unique to its content. */
export interface AppliedEntry {
  term: number;
  key: string;
}

export function entryKey(entry: LogEntry): string {
  const payload = entry.payload;
  if (payload.kind === 'command') return payload.data.toString();
  if (payload.kind === 'noop') return `noop@${entry.term}`;
  return `${payload.change.type} ${payload.change.node} -> [${payload.voters.join(',')}]@${entry.term}`;
}

/**
 * The replicated state machine of the simulation: the list of entries applied, by index. Its
 * snapshot is that list, so a node restored from a snapshot can still be compared entry by entry.
 */
export class SimStateMachine {
  /** applied[i - 1] is the entry applied at index i. */
  private applied: AppliedEntry[] = [];
  /** Entries applied whose key starts with `marker-`: the liveness probe's proposals. */
  markers = 0;

  get appliedIndex(): number {
    return this.applied.length;
  }

  at(index: number): AppliedEntry | undefined {
    return this.applied[index - 1];
  }

  apply(entry: LogEntry): void {
    if (entry.index !== this.applied.length + 1) throw new Error(`applied ${entry.index} after ${this.applied.length}`);
    const applied = { term: entry.term, key: entryKey(entry) };
    this.applied.push(applied);
    if (applied.key.startsWith('marker-')) this.markers += 1;
  }

  snapshot(index: number): Buffer {
    return Buffer.from(JSON.stringify(this.applied.slice(0, index)));
  }

  restore(data: Buffer): void {
    this.applied = data.length === 0 ? [] : (JSON.parse(data.toString()) as AppliedEntry[]);
    this.markers = this.applied.filter((entry) => entry.key.startsWith('marker-')).length;
  }
}
