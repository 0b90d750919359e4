import type { HardState, PersistedState } from './hard-state';
import { applyChange, inverseChange, type EntryPayload, type LogEntry, type MembershipChange } from './log-entry';
import type { AppendRequest, AppendResponse, PreVoteRequest, RaftMessage, SnapshotRequest, VoteRequest, VoteResponse } from './messages';
import { freshProgress, type Progress } from './progress';
import { majority, quorumIndex } from './quorum';
import { RaftLog } from './raft-log';
import { resolveRaftOptions, type RaftOptions, type ResolvedRaftOptions } from './raft-options';
import type { Leadership, MembershipEvent, RaftRole, Ready, ReadState } from './ready';
import type { Snapshot } from './snapshot';

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: string; leader: string | null };

export type ChangeResult =
  /** `index` is absent while an added node is still catching up as a learner. */
  | { ok: true; index?: number }
  | { ok: false; reason: string; leader: string | null };

interface PendingRead {
  requestId: string;
  round: number;
}

interface PendingChange {
  change: MembershipChange;
  index: number;
  deadline: number;
  /** A rollback is never rolled back itself, nor is a change this leader inherited. */
  mayRollBack: boolean;
}

interface CatchingUp {
  change: MembershipChange;
  deadline: number;
}

/**
 * One Raft server as a pure state machine (Ongaro's dissertation; the Ready discipline of etcd raft).
 * Inputs: `step(message)`, `tick(nowMs)`, `propose(data)`, `proposeChange(change)`,
 * `readIndex(requestId)`, `compact(index, data)`. Output: `takeReady()` (ready.ts says what the host
 * must do with it, in which order). No I/O, no clock, no randomness of its own: a simulation replays.
 */
export class RaftNode {
  readonly id: string;
  private readonly options: ResolvedRaftOptions;
  private readonly log: RaftLog;
  private term: number;
  private votedFor: string | null;
  private role: RaftRole = 'follower';
  private leader: string | null = null;
  private commitIndex: number;
  private appliedIndex: number;
  private now = 0;
  private electionDeadline = 0;
  private lastLeaderContact = Number.NEGATIVE_INFINITY;
  private votes = new Set<string>();
  private rejections = new Set<string>();

  // Leader state.
  private progress = new Map<string, Progress>();
  private nextHeartbeat = 0;
  private quorumCheckAt = 0;
  private round = 0;
  private termStart = 0;
  private reads: PendingRead[] = [];
  /** Commands appended since the last Ready: their appends go out together when it is taken (one message per peer, not one per command). */
  private appendsDue = false;
  private pendingChange: PendingChange | null = null;
  private catchingUp: CatchingUp | null = null;

  // What the next Ready carries.
  private persistedHard: HardState;
  private unstableFrom: number;
  private installed: Snapshot | undefined;
  private outbox: RaftMessage[] = [];
  private readyReads: ReadState[] = [];
  private events: MembershipEvent[] = [];

  constructor(options: RaftOptions, persisted: PersistedState) {
    this.options = resolveRaftOptions(options);
    this.id = this.options.id;
    this.log = new RaftLog(persisted.snapshot, persisted.entries);
    this.term = persisted.hardState.term;
    this.votedFor = persisted.hardState.votedFor;
    this.persistedHard = { ...persisted.hardState };
    this.commitIndex = persisted.snapshot.index;
    this.appliedIndex = persisted.snapshot.index;
    this.unstableFrom = this.log.lastIndex() + 1;
  }

  // ---- inspection -------------------------------------------------------------------------------

  leadership(): Leadership {
    return { role: this.role, term: this.term, leader: this.leader };
  }

  /** The configuration in effect here: the voters of the last membership entry held. */
  voters(): readonly string[] {
    return this.log.voters();
  }

  commit(): number {
    return this.commitIndex;
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  termAt(index: number): number | undefined {
    return this.log.termAt(index);
  }

  entryAt(index: number): LogEntry | undefined {
    return this.log.entry(index);
  }

  snapshotIndex(): number {
    return this.log.snapshot.index;
  }

  // ---- inputs -----------------------------------------------------------------------------------

  tick(nowMs: number): void {
    if (nowMs < this.now) throw new Error(`tick went back in time: ${nowMs} after ${this.now}`);
    this.now = nowMs;
    if (this.electionDeadline === 0) this.resetElectionTimer();
    if (this.role === 'leader') {
      this.leaderTick();
      return;
    }
    if (this.now >= this.electionDeadline) {
      this.resetElectionTimer();
      if (this.voters().includes(this.id)) this.campaign('pre-vote');
    }
  }

  /** Appends `data` as a command entry if this node leads. The entry is committed once it appears in a Ready's `committed`. */
  propose(data: Buffer): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not the leader', leader: this.leader };
    const entry = this.appendAsLeader({ kind: 'command', data });
    return { ok: true, index: entry.index, term: entry.term };
  }

  /**
   * One-server membership change. Refused unless this node leads, has committed an entry of its term
   * (the fix to the single-server change bug, Ongaro 2015), and no other change is pending. An added
   * node first catches up as a non-voting learner; the `add` entry is appended when it has.
   */
  proposeChange(change: MembershipChange): ChangeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not the leader', leader: this.leader };
    if (this.commitIndex < this.termStart) return { ok: false, reason: 'the leader has not yet committed an entry of its term', leader: this.id };
    if (this.catchingUp !== null || this.log.lastConfigIndex() > this.commitIndex) {
      return { ok: false, reason: 'another membership change is pending', leader: this.id };
    }
    const result = applyChange(this.voters(), change);
    if ('refused' in result) return { ok: false, reason: result.refused, leader: this.id };
    if (change.type === 'add') {
      this.catchingUp = { change, deadline: this.now + this.options.catchUpTimeoutMs };
      if (!this.progress.has(change.node)) this.progress.set(change.node, freshProgress(this.log.lastIndex()));
      this.sendAppend(change.node);
      return { ok: true };
    }
    return { ok: true, index: this.appendChange(change, false) };
  }

  /**
   * Asks whether this node still leads: once a majority has answered a heartbeat round begun after
   * this call, `reads` in a Ready carries `requestId` with the index a current read must wait for.
   * Returns false (no answer will come) when this node does not lead.
   */
  readIndex(requestId: string): boolean {
    if (this.role !== 'leader') return false;
    this.round += 1;
    this.reads.push({ requestId, round: this.round });
    this.broadcastAppend();
    this.confirmReads();
    return true;
  }

  /**
   * The host folded everything up to `index` (applied already) into `data`: the log is cut there.
   * Returns the snapshot the host must make durable (then drop its persisted entries up to `index`).
   */
  compact(index: number, data: Buffer): Snapshot {
    if (index > this.appliedIndex) throw new Error(`cannot compact to ${index}: only ${this.appliedIndex} applied`);
    if (index <= this.log.snapshot.index) return this.log.snapshot;
    const term = this.log.termAt(index);
    if (term === undefined) throw new Error(`cannot compact to ${index}: not in the log (snapshot at ${this.log.snapshot.index})`);
    const snapshot: Snapshot = { index, term, voters: this.log.votersBefore(index + 1), data };
    this.log.compact(snapshot);
    return snapshot;
  }

  step(message: RaftMessage): void {
    if (message.to !== this.id) throw new Error(`message for ${message.to} stepped into ${this.id}`);
    if (message.term > this.term) {
      if (!this.adoptHigherTerm(message)) return;
    } else if (message.term < this.term) {
      this.answerStale(message);
      return;
    }
    switch (message.type) {
      case 'pre-vote':
        this.onPreVote(message);
        return;
      case 'vote':
        this.onVote(message);
        return;
      case 'pre-vote-response':
      case 'vote-response':
        this.onVoteResponse(message);
        return;
      case 'append':
      case 'snapshot':
        if (this.role === 'leader') return;
        this.followLeader(message.from);
        if (message.type === 'append') this.onAppend(message);
        else this.onSnapshot(message);
        return;
      case 'append-response':
        this.onAppendResponse(message);
        return;
    }
  }

  takeReady(): Ready {
    if (this.appendsDue) {
      this.appendsDue = false;
      // Peers in probe wait for their answer (or the heartbeat): re-sending to them on every batch is what replicate avoids.
      if (this.role === 'leader') for (const [peer, progress] of this.progress) if (progress.state === 'replicate' && this.hasUnsent(progress)) this.sendAppend(peer);
    }
    const hard: HardState = { term: this.term, votedFor: this.options.defects.voteNotPersisted ? this.persistedHard.votedFor : this.votedFor };
    if (this.options.defects.voteNotPersisted && hard.term !== this.persistedHard.term) hard.votedFor = null;
    const ready: Ready = { messages: this.outbox, committed: [], reads: this.readyReads, membership: this.events, leadership: this.leadership() };
    if (hard.term !== this.persistedHard.term || hard.votedFor !== this.persistedHard.votedFor) {
      ready.hardState = hard;
      this.persistedHard = hard;
    }
    if (this.installed !== undefined) ready.snapshot = this.installed;
    if (this.unstableFrom <= this.log.lastIndex() || this.installed !== undefined) {
      const from = Math.max(this.unstableFrom, this.log.snapshot.index + 1);
      ready.log = { from, entries: from <= this.log.lastIndex() ? this.log.slice(from, this.log.lastIndex()) : [] };
    }
    if (this.commitIndex > this.appliedIndex) {
      ready.committed = this.log.slice(this.appliedIndex + 1, this.commitIndex);
      this.appliedIndex = this.commitIndex;
    }
    this.installed = undefined;
    this.unstableFrom = this.log.lastIndex() + 1;
    this.outbox = [];
    this.readyReads = [];
    this.events = [];
    return ready;
  }

  // ---- terms and elections ----------------------------------------------------------------------

  /** Returns whether to go on handling `message` now that its term is above ours. */
  private adoptHigherTerm(message: RaftMessage): boolean {
    const asksVote = message.type === 'pre-vote' || message.type === 'vote';
    // A node that hears from a live leader ignores (pre-)votes: a partitioned node rejoining, or a
    // removed one, cannot depose a healthy leader (dissertation §4.2.3).
    if (asksVote && this.inLease()) return false;
    if (message.type === 'pre-vote') return true;
    if (message.type === 'pre-vote-response' && message.granted) return true;
    if (this.role === 'leader' && this.options.defects.keepLeadingOnHigherTerm) {
      this.term = message.term;
      this.votedFor = null;
      return message.type !== 'append' && message.type !== 'snapshot';
    }
    const leader = message.type === 'append' || message.type === 'snapshot' ? message.from : null;
    this.becomeFollower(message.term, leader);
    return true;
  }

  private answerStale(message: RaftMessage): void {
    // The stale sender learns our term from the answer: that is what deposes a stale leader.
    if (message.type === 'append' || message.type === 'snapshot') {
      this.send({ type: 'append-response', from: this.id, to: message.from, term: this.term, success: false, matchIndex: 0, conflictIndex: 0, round: message.round });
    } else if (message.type === 'pre-vote' || message.type === 'vote') {
      this.send({ type: message.type === 'pre-vote' ? 'pre-vote-response' : 'vote-response', from: this.id, to: message.from, term: this.term, granted: false });
    }
  }

  private inLease(): boolean {
    if (this.role === 'leader') return true;
    return this.leader !== null && this.now - this.lastLeaderContact < this.options.electionTimeoutMs;
  }

  private logUpToDate(request: { lastIndex: number; lastTerm: number }): boolean {
    const lastTerm = this.log.lastTerm();
    return request.lastTerm > lastTerm || (request.lastTerm === lastTerm && request.lastIndex >= this.log.lastIndex());
  }

  private onPreVote(request: PreVoteRequest): void {
    const canVote = request.term > this.term || this.votedFor === request.from || (this.votedFor === null && this.leader === null);
    const granted = canVote && this.logUpToDate(request) && !this.inLease();
    this.send({ type: 'pre-vote-response', from: this.id, to: request.from, term: granted ? request.term : this.term, granted });
  }

  private onVote(request: VoteRequest): void {
    const granted = (this.votedFor === null || this.votedFor === request.from) && this.logUpToDate(request) && this.role !== 'leader';
    if (granted) {
      this.votedFor = request.from;
      this.resetElectionTimer();
    }
    this.send({ type: 'vote-response', from: this.id, to: request.from, term: this.term, granted });
  }

  private onVoteResponse(response: VoteResponse): void {
    const pre = response.type === 'pre-vote-response';
    if (pre ? this.role !== 'pre-candidate' : this.role !== 'candidate') return;
    if (pre && response.term !== this.term + 1 && response.granted) return;
    if (!this.voters().includes(response.from)) return;
    (response.granted ? this.votes : this.rejections).add(response.from);
    const needed = majority(this.voters().length);
    if (this.votes.size >= needed) {
      if (pre) this.campaign('vote');
      else this.becomeLeader();
    } else if (this.rejections.size >= needed) {
      this.becomeFollower(this.term, null);
    }
  }

  private campaign(kind: 'pre-vote' | 'vote'): void {
    if (kind === 'vote') {
      this.term += 1;
      this.votedFor = this.id;
      this.role = 'candidate';
    } else {
      this.role = 'pre-candidate';
    }
    this.leader = null;
    this.votes = new Set([this.id]);
    this.rejections = new Set();
    this.resetElectionTimer();
    const voters = this.voters();
    if (this.votes.size >= majority(voters.length)) {
      if (kind === 'pre-vote') this.campaign('vote');
      else this.becomeLeader();
      return;
    }
    const term = kind === 'vote' ? this.term : this.term + 1;
    for (const voter of voters) {
      if (voter === this.id) continue;
      this.send({ type: kind, from: this.id, to: voter, term, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm() });
    }
  }

  private becomeFollower(term: number, leader: string | null): void {
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
    }
    this.role = 'follower';
    this.leader = leader;
    if (leader !== null) this.lastLeaderContact = this.now;
    this.clearLeaderState();
    this.resetElectionTimer();
  }

  private followLeader(leader: string): void {
    if (this.role !== 'follower') this.becomeFollower(this.term, leader);
    this.leader = leader;
    this.lastLeaderContact = this.now;
    this.resetElectionTimer();
  }

  private clearLeaderState(): void {
    this.progress.clear();
    this.reads = [];
    this.pendingChange = null;
    if (this.catchingUp !== null) this.events.push({ outcome: 'aborted', change: this.catchingUp.change, reason: 'leadership lost' });
    this.catchingUp = null;
  }

  private resetElectionTimer(): void {
    const base = this.options.electionTimeoutMs;
    this.electionDeadline = this.now + base + Math.floor(this.options.random() * base);
  }

  // ---- leading ----------------------------------------------------------------------------------

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.progress.clear();
    for (const voter of this.voters()) if (voter !== this.id) this.progress.set(voter, freshProgress(this.log.lastIndex()));
    this.quorumCheckAt = this.now + this.options.electionTimeoutMs;
    const configIndex = this.log.lastConfigIndex();
    // An uncommitted change inherited from an earlier leader completes with this term's first
    // commit (which needs a majority of the configuration that includes it); it is not rolled back.
    this.pendingChange = configIndex > this.commitIndex ? { change: this.changeAt(configIndex), index: configIndex, deadline: Number.POSITIVE_INFINITY, mayRollBack: false } : null;
    this.termStart = this.appendAsLeader({ kind: 'noop' }).index;
  }

  private changeAt(index: number): MembershipChange {
    const payload = this.log.entry(index)?.payload;
    if (payload?.kind !== 'membership') throw new Error(`entry ${index} is not a membership change`);
    return payload.change;
  }

  private appendAsLeader(payload: EntryPayload): LogEntry {
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.term, payload };
    this.log.append([entry]);
    if (payload.kind === 'membership') this.syncProgressWithVoters();
    if (payload.kind === 'command') this.appendsDue = true;
    else this.broadcastAppend();
    this.advanceCommit();
    return entry;
  }

  private appendChange(change: MembershipChange, rollback: boolean): number {
    const voters = applyChange(this.voters(), change);
    if ('refused' in voters) throw new Error(`membership change refused: ${voters.refused}`);
    const entry = this.appendAsLeader({ kind: 'membership', change, voters });
    this.pendingChange = { change, index: entry.index, deadline: this.now + this.options.changeTimeoutMs, mayRollBack: !rollback };
    if (!rollback) this.events.push({ outcome: 'appended', change, index: entry.index });
    return entry.index;
  }

  private syncProgressWithVoters(): void {
    const voters = this.voters();
    for (const voter of voters) if (voter !== this.id && !this.progress.has(voter)) this.progress.set(voter, freshProgress(this.log.lastIndex()));
    for (const peer of [...this.progress.keys()]) {
      if (!voters.includes(peer) && this.catchingUp?.change.node !== peer) this.progress.delete(peer);
    }
  }

  private leaderTick(): void {
    if (this.now >= this.nextHeartbeat) {
      this.round += 1;
      this.broadcastAppend();
    }
    if (this.catchingUp !== null && this.now >= this.catchingUp.deadline) {
      const { change } = this.catchingUp;
      this.catchingUp = null;
      this.syncProgressWithVoters();
      this.events.push({ outcome: 'aborted', change, reason: `${change.node} did not catch up within ${this.options.catchUpTimeoutMs} ms` });
    }
    if (this.pendingChange !== null && this.pendingChange.mayRollBack && this.commitIndex < this.pendingChange.index && this.now >= this.pendingChange.deadline) {
      const change = this.pendingChange.change;
      const index = this.appendChange(inverseChange(change), true);
      this.events.push({ outcome: 'rolled-back', change, index });
    }
    const pending = this.pendingChange;
    if (this.now >= this.quorumCheckAt) {
      this.quorumCheckAt = this.now + this.options.electionTimeoutMs;
      const reached = (voters: readonly string[]): boolean =>
        voters.filter((voter) => voter === this.id || this.progress.get(voter)?.active === true).length >= majority(voters.length);
      // A leader whose change cannot commit stays while the configuration before it has a majority:
      // it is the only one that can roll the change back (no election can succeed in the new one).
      const rollbackPossible = pending !== null && pending.mayRollBack && reached(this.log.votersBefore(pending.index));
      const keep = reached(this.voters()) || rollbackPossible;
      for (const progress of this.progress.values()) progress.active = false;
      // Check quorum: a leader cut off from a majority stops acting as one.
      if (!keep) this.becomeFollower(this.term, null);
    }
  }

  private broadcastAppend(): void {
    this.nextHeartbeat = this.now + this.options.heartbeatIntervalMs;
    for (const peer of this.progress.keys()) this.sendAppend(peer);
  }

  /**
   * In probe, one append from `next`. In replicate, every entry not yet sent, in appends of at most
   * `maxEntriesPerAppend`, as far as the in-flight window allows, `next` moving past each (at least
   * one message goes, empty if need be: it carries the commit index and the heartbeat round).
   */
  private sendAppend(peer: string): void {
    const progress = this.progress.get(peer);
    if (progress === undefined) return;
    // The commit index sent is capped at what this node's disk has: entries from unstableFrom on are
    // in the coming Ready, whose appends the host may send before that Ready is durable here.
    const commit = Math.min(this.commitIndex, this.unstableFrom - 1);
    for (;;) {
      const prevIndex = progress.next - 1;
      const prevTerm = this.log.termAt(prevIndex);
      if (prevTerm === undefined) {
        progress.state = 'probe';
        this.send({ type: 'snapshot', from: this.id, to: peer, term: this.term, snapshot: this.log.snapshot, round: this.round });
        return;
      }
      const room = progress.state === 'replicate' ? progress.match + this.options.maxInflightEntries - prevIndex : this.options.maxEntriesPerAppend;
      const entries = room > 0 ? this.log.slice(progress.next, this.log.lastIndex(), Math.min(room, this.options.maxEntriesPerAppend)) : [];
      this.send({ type: 'append', from: this.id, to: peer, term: this.term, prevIndex, prevTerm, entries, commit, round: this.round });
      if (progress.state === 'probe' || entries.length === 0) return;
      progress.next = entries[entries.length - 1]!.index + 1;
      if (progress.next > this.log.lastIndex()) return;
    }
  }

  /** Entries the peer has not been sent and the in-flight window has room for. */
  private hasUnsent(progress: Progress): boolean {
    return progress.next <= this.log.lastIndex() && progress.next - 1 < progress.match + this.options.maxInflightEntries;
  }

  private onAppendResponse(response: AppendResponse): void {
    if (this.role !== 'leader') return;
    const progress = this.progress.get(response.from);
    if (progress === undefined) return;
    progress.active = true;
    progress.round = Math.max(progress.round, response.round);
    if (response.success) {
      if (response.matchIndex > progress.match) progress.match = response.matchIndex;
      // The peer's log is known to match up to `match`: from here on, send without waiting.
      progress.state = 'replicate';
      progress.next = Math.max(progress.next, progress.match + 1);
      this.advanceCommit();
      this.checkCatchUp(response.from);
      if (this.role === 'leader' && this.hasUnsent(progress)) this.sendAppend(response.from);
    } else if (response.conflictIndex > 0 && response.conflictIndex < progress.next) {
      // Something in flight was lost (or the peer's log diverges): probe from its hint.
      progress.state = 'probe';
      progress.next = Math.max(progress.match + 1, response.conflictIndex);
      this.sendAppend(response.from);
    }
    this.confirmReads();
  }

  private checkCatchUp(peer: string): void {
    const catching = this.catchingUp;
    if (catching === null || catching.change.node !== peer) return;
    if ((this.progress.get(peer)?.match ?? 0) < this.commitIndex) return;
    this.catchingUp = null;
    this.appendChange(catching.change, false);
  }

  private advanceCommit(): void {
    const voters = this.voters();
    const matches = voters.map((voter) => (voter === this.id ? this.log.lastIndex() : this.progress.get(voter)?.match ?? 0));
    const needed = this.options.defects.commitWithMinority ? Math.max(1, Math.floor(voters.length / 2)) : majority(voters.length);
    const candidate = quorumIndex(matches, needed);
    // §5.4.2: only an entry of the current term is committed by counting replicas.
    if (candidate <= this.commitIndex || this.log.termAt(candidate) !== this.term) return;
    this.commitIndex = candidate;
    this.confirmReads();
    if (this.pendingChange !== null && this.commitIndex >= this.pendingChange.index) this.pendingChange = null;
    if (!voters.includes(this.id) && this.commitIndex >= this.log.lastConfigIndex()) {
      // Removed and the removal is committed: tell the others the commit index, then stand aside.
      this.broadcastAppend();
      this.becomeFollower(this.term, null);
    }
  }

  private confirmReads(): void {
    if (this.reads.length === 0 || this.commitIndex < this.termStart) return;
    const voters = this.voters();
    const needed = majority(voters.length);
    const rounds = voters.map((voter) => (voter === this.id ? Number.MAX_SAFE_INTEGER : this.progress.get(voter)?.round ?? 0));
    const confirmedRound = this.options.defects.readWithoutQuorum ? Number.MAX_SAFE_INTEGER : quorumIndex(rounds, needed);
    while (this.reads.length > 0 && this.reads[0]!.round <= confirmedRound) {
      const read = this.reads.shift()!;
      this.readyReads.push({ requestId: read.requestId, index: this.commitIndex, term: this.term });
    }
  }

  // ---- following --------------------------------------------------------------------------------

  private onAppend(request: AppendRequest): void {
    const answer = (success: boolean, matchIndex: number, conflictIndex: number): void =>
      this.send({ type: 'append-response', from: this.id, to: request.from, term: this.term, success, matchIndex, conflictIndex, round: request.round });
    let { prevIndex, prevTerm } = request;
    let entries = request.entries;
    const lastNew = prevIndex + entries.length;
    // Entries up to our commit index are committed, hence the leader's too: skip them.
    if (prevIndex < this.commitIndex) {
      if (lastNew <= this.commitIndex) {
        answer(true, lastNew, 0);
        return;
      }
      entries = entries.slice(this.commitIndex - prevIndex);
      prevIndex = this.commitIndex;
      prevTerm = this.log.termAt(prevIndex)!;
    }
    const localTerm = this.log.termAt(prevIndex);
    if (localTerm !== prevTerm) {
      const conflict = prevIndex > this.log.lastIndex() ? this.log.lastIndex() + 1 : this.log.firstIndexOfTermAt(prevIndex, this.commitIndex + 1);
      answer(false, 0, conflict);
      return;
    }
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i]!;
      const term = this.log.termAt(entry.index);
      if (term === entry.term) continue;
      if (term !== undefined) {
        if (entry.index <= this.commitIndex) throw new Error(`leader ${request.from} conflicts with committed entry ${entry.index}`);
        this.log.truncateFrom(entry.index);
        this.unstableFrom = Math.min(this.unstableFrom, entry.index);
      }
      this.log.append(entries.slice(i));
      break;
    }
    const commit = Math.min(request.commit, lastNew);
    if (commit > this.commitIndex) this.commitIndex = commit;
    answer(true, lastNew, 0);
  }

  private onSnapshot(request: SnapshotRequest): void {
    const { snapshot } = request;
    const answer = (matchIndex: number): void =>
      this.send({ type: 'append-response', from: this.id, to: request.from, term: this.term, success: true, matchIndex, conflictIndex: 0, round: request.round });
    if (snapshot.index <= this.commitIndex) {
      answer(this.commitIndex);
      return;
    }
    const kept = this.log.install(snapshot);
    if (!kept) this.unstableFrom = snapshot.index + 1;
    this.installed = snapshot;
    this.commitIndex = snapshot.index;
    this.appliedIndex = snapshot.index;
    answer(snapshot.index);
  }

  private send(message: RaftMessage): void {
    this.outbox.push(message);
  }
}
