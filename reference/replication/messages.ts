import type { LogEntry } from './log-entry';
import type { Snapshot } from './snapshot';

/**
 * Everything nodes say to each other. Every message carries the sender's term: that stamp is the
 * fencing token (a receiver with a higher term refuses it and answers with its own, which deposes a
 * stale leader). `round` numbers a leader's heartbeat rounds so that an answer tells which
 * leadership check (read index) it confirms.
 */
export type RaftMessage =
  | PreVoteRequest
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | SnapshotRequest;

interface Envelope {
  from: string;
  to: string;
  term: number;
}

/** Pre-vote (dissertation §9.6): "would you vote for me at `term`?" without anyone changing term. */
export interface PreVoteRequest extends Envelope {
  type: 'pre-vote';
  lastIndex: number;
  lastTerm: number;
}

export interface VoteRequest extends Envelope {
  type: 'vote';
  lastIndex: number;
  lastTerm: number;
}

/** The answer to a pre-vote or a vote; a granted pre-vote echoes the term asked about. */
export interface VoteResponse extends Envelope {
  type: 'pre-vote-response' | 'vote-response';
  granted: boolean;
}

export interface AppendRequest extends Envelope {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: readonly LogEntry[];
  commit: number;
  round: number;
}

/**
 * `success`: the receiver's log matches the leader's up to `matchIndex`. Otherwise `conflictIndex`
 * is where the leader should retry from (the start of the receiver's conflicting term, or its end),
 * so back-off takes one round per term, not per entry.
 */
export interface AppendResponse extends Envelope {
  type: 'append-response';
  success: boolean;
  matchIndex: number;
  conflictIndex: number;
  round: number;
}

/** InstallSnapshot: sent instead of entries the leader has compacted away. Answered by an AppendResponse. */
export interface SnapshotRequest extends Envelope {
  type: 'snapshot';
  snapshot: Snapshot;
  round: number;
}

export type RaftMessageType = RaftMessage['type'];
