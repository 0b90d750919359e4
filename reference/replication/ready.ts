import type { HardState } from './hard-state';
import type { LogEntry, MembershipChange } from './log-entry';
import type { RaftMessage } from './messages';
import type { Snapshot } from './snapshot';

/**
 * What a node has to hand to its host since the last `takeReady()`, in the order the host must
 * act on it (as etcd raft's Ready):
 *
 * 1. make durable, together: `hardState`, then `snapshot` (drop persisted entries up to its index),
 *    then `log` (drop persisted entries from `log.from` on, append `log.entries`);
 * 2. only then send `messages`: a vote or an append acknowledgement promises what step 1 stored;
 * 3. restore the state machine from `snapshot` if present, then apply `committed` in order;
 * 4. answer the reads in `reads` once the state machine has applied up to their index.
 *
 * Nothing may be fed to the node (step, tick, propose) between taking a Ready and finishing step 1.
 *
 * Two things may go before step 1 (`sentBeforeDurable`, `appliedBeforeDurable`), so that a leader's
 * fsync runs while its followers receive and fsync the same entries (dissertation §10.2.1):
 * - a leader's appends and snapshots: they promise nothing about this node's disk. The commit index
 *   they carry is capped at what earlier Readies made durable here, and no answer to them can be
 *   fed before step 1 finishes, so an entry still counts toward a majority only once it is durable;
 * - `committed` entries that all precede `log.from` (and no `snapshot`): committed means durable on a
 *   majority, and this Ready's write does not touch them.
 */
export interface Ready {
  hardState?: HardState;
  /** A leader's snapshot this node installed: persist it and restore the state machine from it. */
  snapshot?: Snapshot;
  log?: LogWrite;
  messages: RaftMessage[];
  /** Entries newly known committed, ascending, to apply to the state machine. */
  committed: LogEntry[];
  reads: ReadState[];
  membership: MembershipEvent[];
  /** This node's role after everything in the batch, for the host's routing and fencing. */
  leadership: Leadership;
}

/** A leader's request, which the host may send before the Ready that produced it is durable. */
export function sentBeforeDurable(message: RaftMessage): boolean {
  return message.type === 'append' || message.type === 'snapshot';
}

/** Whether `ready.committed` may be applied before the Ready is durable: no snapshot, none of them rewritten by its log write. */
export function appliedBeforeDurable(ready: Ready): boolean {
  if (ready.snapshot !== undefined || ready.committed.length === 0) return false;
  return ready.log === undefined || ready.committed[ready.committed.length - 1]!.index < ready.log.from;
}

export interface LogWrite {
  /** Persisted entries at this index and above are to be discarded (a conflicting suffix or ones never stored). */
  from: number;
  entries: LogEntry[];
}

/**
 * A confirmed read index (dissertation §6.4): at `term`, after `requestId` was asked, a majority still
 * followed this leader, so a read served from a state machine that has applied `index` is current.
 * It is also the "am I still leader?" check a broker makes before it dispatches or answers.
 */
export interface ReadState {
  requestId: string;
  index: number;
  term: number;
}

export type MembershipEvent =
  /** The change's entry is in the leader's log: in effect from now on. */
  | { outcome: 'appended'; change: MembershipChange; index: number }
  /** A newcomer that did not catch up within the bound: nothing was appended. */
  | { outcome: 'aborted'; change: MembershipChange; reason: string }
  /** The change did not commit within the bound: its inverse was appended at `index`. */
  | { outcome: 'rolled-back'; change: MembershipChange; index: number };

export interface Leadership {
  role: RaftRole;
  term: number;
  /** The leader this node follows (or itself), when known: where a client is redirected. */
  leader: string | null;
}

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';
