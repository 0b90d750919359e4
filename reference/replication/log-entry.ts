/**
 * One position of the replicated log. What a broker will replicate are KHX/1 journal records (the
 * JSON payloads of reference/journal/job-store.ts), carried opaquely as `command` data: the core
 * never looks inside them. `noop` is the entry a new leader appends to commit its predecessors'
 * entries (§5.4.2: only entries of the current term are committed by counting). `membership` is a
 * one-server change with the voter set it results in, so a node's configuration is always the
 * voters of the last membership entry it holds, committed or not (it takes effect when appended).
 */
export type EntryPayload =
  | { kind: 'command'; data: Buffer }
  | { kind: 'noop' }
  | { kind: 'membership'; change: MembershipChange; voters: readonly string[] };

export interface LogEntry {
  index: number;
  term: number;
  payload: EntryPayload;
}

/** Add or remove one voter. A replacement is an add followed by a remove (docs/replication.md). */
export interface MembershipChange {
  type: 'add' | 'remove';
  node: string;
}

/** The change that undoes `change`: how an uncommitted change is rolled back. */
export function inverseChange(change: MembershipChange): MembershipChange {
  return { type: change.type === 'add' ? 'remove' : 'add', node: change.node };
}

/** The voter set `change` turns `voters` into, or why it cannot apply. */
export function applyChange(voters: readonly string[], change: MembershipChange): string[] | { refused: string } {
  const has = voters.includes(change.node);
  if (change.type === 'add') return has ? { refused: `${change.node} is already a voter` } : [...voters, change.node].sort();
  if (!has) return { refused: `${change.node} is not a voter` };
  if (voters.length === 1) return { refused: `${change.node} is the last voter` };
  return voters.filter((voter) => voter !== change.node);
}
