import type { HardState, PersistedState } from '../../../reference/replication/hard-state';
import type { LogEntry } from '../../../reference/replication/log-entry';
import type { LogWrite } from '../../../reference/replication/ready';
import type { Snapshot } from '../../../reference/replication/snapshot';

/**
 * A node's disk: what survives a crash. It changes only through the Ready steps a host is told to
 * make durable, so a restart sees exactly what a real host would have fsynced.
 */
export class SimStorage {
  private hard: HardState = { term: 0, votedFor: null };
  private snap: Snapshot;
  private entries: LogEntry[] = [];

  constructor(boot: Snapshot) {
    this.snap = boot;
  }

  saveHardState(hard: HardState): void {
    this.hard = { ...hard };
  }

  saveSnapshot(snapshot: Snapshot): void {
    if (snapshot.index <= this.snap.index) return;
    this.snap = snapshot;
    this.entries = this.entries.filter((entry) => entry.index > snapshot.index);
  }

  writeLog(write: LogWrite): void {
    this.entries = this.entries.filter((entry) => entry.index < write.from).concat(write.entries);
    this.entries.forEach((entry, i) => {
      if (entry.index !== this.snap.index + 1 + i) throw new Error(`persisted log has a hole at ${this.snap.index + 1 + i}`);
    });
  }

  load(): PersistedState {
    return { hardState: { ...this.hard }, snapshot: this.snap, entries: [...this.entries] };
  }
}
