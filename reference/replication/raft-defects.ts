/**
 * Faults a node can be built with only to prove that the simulator's invariants catch them
 * (test/replication/raft-defects.test.ts). Never on unless named; nothing but tests names them.
 */
export interface RaftDefects {
  /** Commit counts half the voters (rounded down, at least one) instead of a majority: acknowledges before a majority has the entry. */
  commitWithMinority?: boolean;
  /** A leader that sees a higher term adopts it and keeps leading instead of stepping down: no fencing. */
  keepLeadingOnHigherTerm?: boolean;
  /** The vote is answered but never handed over for persistence: a restart forgets it. */
  voteNotPersisted?: boolean;
  /** A read index is confirmed at once, without a majority answering a round: a deposed leader serves stale reads. */
  readWithoutQuorum?: boolean;
}

export type RaftDefect = keyof RaftDefects;
export const RAFT_DEFECTS: readonly RaftDefect[] = ['commitWithMinority', 'keepLeadingOnHigherTerm', 'voteNotPersisted', 'readWithoutQuorum'];
