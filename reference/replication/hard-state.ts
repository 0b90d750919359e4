import type { LogEntry } from './log-entry';
import type { Snapshot } from './snapshot';

/**
 * The two facts a node must never forget across a crash besides its log: the highest term it has
 * seen and whom it voted for in it. Forgetting the vote lets it vote twice in one term (two leaders);
 * forgetting the term lets it accept a deposed leader.
 */
export interface HardState {
  term: number;
  votedFor: string | null;
}

/** What a (re)starting node is built from: exactly what the host made durable through `Ready`. */
export interface PersistedState {
  hardState: HardState;
  snapshot: Snapshot;
  /** The entries after `snapshot.index`, contiguous. */
  entries: readonly LogEntry[];
}
