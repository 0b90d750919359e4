import type { LogEntry } from '../../../reference/replication/log-entry';
import type { RaftNode } from '../../../reference/replication/raft-node';
import type { ReadState } from '../../../reference/replication/ready';
import { entryKey, type AppliedEntry, type SimStateMachine } from './sim-state-machine';

export type InvariantName =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'committed-lost'
  | 'stale-read'
  | 'liveness';

export interface Violation {
  invariant: InvariantName;
  atMs: number;
  detail: string;
}

/**
 * Raft's safety properties (Figure 3 of the paper), plus read-index safety and durability, checked
 * as the simulation goes: each check looks only at what just changed, so it can run after every step.
 * The first violation is kept; the run stops there.
 */
export class InvariantMonitor {
  violation: Violation | null = null;
  private readonly leaders = new Map<number, string>();
  /** `${index}:${term}` → the entry's key and the term before it: same index and term must mean same entry, same history. */
  private readonly logEntries = new Map<string, { key: string; prevTerm: number }>();
  /** What some node applied at each index: the committed log as the world saw it. */
  private readonly committed: AppliedEntry[] = [];
  /**
   * For each committed index, a term by which it was certainly committed: the lowest current term of
   * a node when it applied it (a node applies what a leader of its term or earlier committed).
   */
  private readonly committedBy: number[] = [];
  now = 0;

  get committedIndex(): number {
    return this.committed.length;
  }

  committedAt(index: number): AppliedEntry | undefined {
    return this.committed[index - 1];
  }

  private fail(invariant: InvariantName, detail: string): void {
    this.violation ??= { invariant, atMs: this.now, detail };
  }

  /** Election safety: at most one leader per term, ever. */
  leaderSeen(node: string, term: number): boolean {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, node);
      return true;
    }
    if (known !== node) this.fail('election-safety', `${known} and ${node} both led term ${term}`);
    return false;
  }

  /** Log matching, on the entries a node just made durable (`prevTerm` is the term before the first). */
  logWritten(node: string, entries: readonly LogEntry[], prevTerm: number | undefined): void {
    let before = prevTerm;
    for (const entry of entries) {
      const id = `${entry.index}:${entry.term}`;
      const seen = this.logEntries.get(id);
      const key = entryKey(entry);
      if (seen === undefined) {
        if (before !== undefined) this.logEntries.set(id, { key, prevTerm: before });
      } else if (seen.key !== key || (before !== undefined && seen.prevTerm !== before)) {
        this.fail('log-matching', `${node} holds at index ${entry.index}, term ${entry.term} "${key}" after term ${before}; another log holds "${seen.key}" after term ${seen.prevTerm}`);
      }
      before = entry.term;
    }
  }

  /** State-machine safety: no two nodes apply different entries at one index. */
  applied(node: string, index: number, entry: AppliedEntry, nodeTerm: number): void {
    this.committedBy[index - 1] = Math.min(this.committedBy[index - 1] ?? nodeTerm, nodeTerm);
    const known = this.committed[index - 1];
    if (known === undefined) {
      if (index !== this.committed.length + 1) this.fail('state-machine-safety', `${node} applied ${index} before anyone applied ${this.committed.length + 1}`);
      this.committed[index - 1] = entry;
    } else if (known.key !== entry.key || known.term !== entry.term) {
      this.fail('state-machine-safety', `${node} applied "${entry.key}" (term ${entry.term}) at ${index}, where "${known.key}" (term ${known.term}) was applied`);
    }
  }

  /**
   * Leader completeness: a new leader holds every entry committed in an earlier term. (A leader of
   * an old term can be elected late, by delayed votes, after later terms committed entries.)
   */
  leaderElected(node: string, raft: RaftNode, machine: SimStateMachine): void {
    const floor = raft.snapshotIndex();
    const term = raft.leadership().term;
    for (let index = 1; index <= this.committed.length; index += 1) {
      const want = this.committed[index - 1]!;
      if (this.committedBy[index - 1]! >= term) continue;
      const have = index <= floor ? machine.at(index) : this.heldEntry(raft.entryAt(index));
      if (have === undefined || have.key !== want.key || have.term !== want.term) {
        this.fail('leader-completeness', `${node} leads term ${term} without committed entry ${index} "${want.key}" (holds ${have === undefined ? 'nothing' : `"${have.key}"`})`);
        return;
      }
    }
  }

  private heldEntry(entry: LogEntry | undefined): AppliedEntry | undefined {
    return entry === undefined ? undefined : { term: entry.term, key: entryKey(entry) };
  }

  /** Read safety (fencing): a confirmed read index covers everything committed before the read was asked. */
  readConfirmed(node: string, read: ReadState, committedWhenAsked: number): void {
    if (read.index < committedWhenAsked) {
      this.fail('stale-read', `${node} confirmed read ${read.requestId} at index ${read.index} (term ${read.term}), but ${committedWhenAsked} was committed when it was asked`);
    }
  }

  /** No committed entry lost: after the cluster settles, a member's state machine holds every committed entry. */
  settled(node: string, machine: SimStateMachine): void {
    for (let index = 1; index <= this.committed.length; index += 1) {
      const want = this.committed[index - 1]!;
      const have = machine.at(index);
      if (have === undefined || have.key !== want.key) {
        this.fail('committed-lost', `${node} settled without committed entry ${index} "${want.key}" (has ${have === undefined ? 'nothing' : `"${have.key}"`})`);
        return;
      }
    }
  }

  livenessFailed(detail: string): void {
    this.fail('liveness', detail);
  }
}
