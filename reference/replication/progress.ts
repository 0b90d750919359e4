/**
 * What a leader knows of one peer's log: `match`, the highest index known to equal its own; `next`,
 * where the next AppendEntries starts. `round` is the last heartbeat round the peer answered (for
 * read index); `active` whether it answered since the last quorum check.
 */
export interface Progress {
  match: number;
  next: number;
  round: number;
  active: boolean;
}

export function freshProgress(lastIndex: number): Progress {
  return { match: 0, next: lastIndex + 1, round: 0, active: false };
}
