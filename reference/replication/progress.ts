/**
 * What a leader knows of one peer's log: `match`, the highest index known to equal its own; `next`,
 * where the next AppendEntries starts. `round` is the last heartbeat round the peer answered (for
 * read index); `active` whether it answered since the last quorum check.
 *
 * `state` is etcd raft's flow control. In `probe` the leader does not know where the peer's log
 * ends: each append starts at `next`, which moves only on an answer. In `replicate` the peer's log
 * is known to match up to `match` and messages reach it in order, so `next` moves when entries are
 * *sent*: several appends are in flight at once (at most `maxInflightEntries` past `match`), each
 * entry sent once. A refusal means something in flight was lost: back to `probe` from the peer's
 * hint.
 */
export interface Progress {
  match: number;
  next: number;
  round: number;
  active: boolean;
  state: 'probe' | 'replicate';
}

export function freshProgress(lastIndex: number): Progress {
  return { match: 0, next: lastIndex + 1, round: 0, active: false, state: 'probe' };
}
