import { randomUUID } from 'node:crypto';
import { JobStore, type JobStoreOptions } from '../journal/job-store';
import type { LogEntry, MembershipChange } from '../replication/log-entry';
import type { RaftMessage } from '../replication/messages';
import { RaftDriver } from '../replication/raft-driver';
import { RaftNode } from '../replication/raft-node';
import type { Leadership, MembershipEvent, Ready } from '../replication/ready';
import type { Snapshot } from '../replication/snapshot';
import type { Logger } from '../util/log';
import { monotonicNow } from '../util/monotonic-clock';
import { decodeClusterImage, encodeClusterImageInSlices, encodeMemberCommand, memberOfCommand, type ClusterImage } from './cluster-image';
import type { ClusterMember } from './cluster-members';
import { coalesceAppends } from './coalesce-appends';
import { AppendPipeline } from './append-pipeline';
import { SnapshotPacing } from './snapshot-pacing';
import { PeerTransport } from './peer-transport';
import { RaftStorage } from './raft-storage';
import { ReplicatedRecordLog } from './replicated-record-log';
import { ReplicationSecurity, type ReplicationSecuritySettings } from './replication-security';

export interface ClusterNodeOptions {
  self: ClusterMember;
  /** The address book at start (`--cluster`); the initial voters unless `join`. */
  members: readonly ClusterMember[];
  /** Start empty, not a voter, waiting for the leader to add this node. */
  join: boolean;
  dataDir: string;
  electionTimeoutMs: number;
  heartbeatMs: number;
  fsync: boolean;
  store: JobStoreOptions;
  log: Logger;
  /**
   * Compact the Raft log once this many entries follow the snapshot (default 4096), or once as many
   * entries follow it as its image holds records, whichever is more (compactionThreshold).
   */
  compactEvery?: number;
  /** Seeded defect ack-before-commit: a record's write resolves once this node's disk has it. */
  ackBeforeCommit?: boolean;
  /** Seeded defect deposed-keeps-serving: deposed, the broker goes on as a second master of the term it led (reference/defects.ts). */
  deposedKeepsServing?: boolean;
  /** Secure replication (docs/replication.md): the broker's key pair and policy; links only between replica keys. */
  security?: ReplicationSecuritySettings;
}

/** What the broker hears from its node. */
export interface ClusterEvents {
  /** This node leads and has applied everything committed before its term: it may serve. */
  onServing(): void;
  /** This node stopped leading (or serving): drop everything in hand at once. */
  onDeposed(): void;
  /** The Raft driver stopped (a failed sync): the node's promises cannot be kept; the broker must stop and restart from disk. */
  onFailed(error: Error): void;
  /** The term or known leader changed. */
  onLeadership(leadership: Leadership): void;
}

export interface ClusterStatus {
  node: string;
  role: string;
  term: number;
  leader: string | null;
  /** The leader's client endpoint, when known. */
  leaderEndpoint: string | null;
  serving: boolean;
  members: { id: string; client: string | null; replication: string | null; voter: boolean }[];
  commit: number;
  applied: number;
  snapshot: number;
  /** The replication links: messages sent, dropped, received, malformed, refused, and failed handshakes. */
  replication: PeerTransport['counts'] & { secure: boolean };
}

interface PendingProposal {
  term: number;
  resolve(): void;
}

/**
 * A broker's Raft server: the core (RaftNode, RaftDriver) against durable storage in `--data-dir`,
 * a ZeroMQ transport to its peers and a tick from the monotonic clock. The replicated state machine
 * is the broker's JobStore: the leader's store writes its records through a ReplicatedRecordLog (a
 * write resolves on commit); a follower folds committed records into its store, so a new leader has
 * every accepted and completed job. Deposed, the node rebuilds its store from what is committed.
 */
export class ClusterNode {
  private readonly node: RaftNode;
  private readonly driver: RaftDriver;
  private readonly transport: PeerTransport;
  private readonly addresses = new Map<string, ClusterMember>();
  private readonly recordLog: ReplicatedRecordLog;
  private currentStore: JobStore;
  private appliedIndex: number;
  /** Proposals of this leadership by index: resolved when their entry commits, forgotten when deposed. */
  private readonly proposals = new Map<number, PendingProposal>();
  /** Appends asked of the log and not yet committed or dropped: a compaction must wait for none. */
  private unsettled = 0;
  private readonly reads = new Map<string, (index: number | undefined) => void>();
  private readonly changes: ((event: MembershipEvent) => void)[] = [];
  private leadershipNow: Leadership;
  private serving = false;
  /** The term this node last started serving in. */
  private servedTerm?: number;
  /** Seeded defect deposed-keeps-serving: deposed after serving, and serving on as the leader of servedTerm. */
  private secondMaster = false;
  private activating = false;
  private compactWanted = false;
  /** A compaction's image is being built (between its cut and its snapshot): no second one starts. */
  private compacting = false;
  private ticker?: NodeJS.Timeout;
  /** When the ticker last ran: a gap past the election timeout means this process was stalled (SIGSTOP, starvation). */
  private lastTickAt = monotonicNow();
  private failureReported = false;
  private closed = false;
  private events?: ClusterEvents;
  private readonly compactEvery: number;
  /** Records in the image of the snapshot the log follows (the last one made, installed or started from). */
  private snapshotRecords = 0;
  /** One snapshot per lagging peer in flight (an election timeout apart), not one per Ready. */
  private readonly snapshotPacing: SnapshotPacing;
  /** Each append carries only the entries not yet sent to its peer (the core re-sends from `next`). */
  private readonly appendPipeline = new AppendPipeline();

  private constructor(
    private readonly options: ClusterNodeOptions,
    private readonly storage: RaftStorage,
    private readonly security: ReplicationSecurity | undefined,
  ) {
    const state = storage.state();
    this.node = new RaftNode({ id: options.self.id, electionTimeoutMs: options.electionTimeoutMs, heartbeatIntervalMs: options.heartbeatMs, random: Math.random }, state);
    this.leadershipNow = this.node.leadership();
    this.compactEvery = options.compactEvery ?? 4096;
    this.snapshotPacing = new SnapshotPacing(options.electionTimeoutMs);
    this.recordLog = new ReplicatedRecordLog({ replicate: (payload) => this.replicate(payload), compactSoon: () => this.compactSoon() }, options.dataDir);
    const onMessage = (message: RaftMessage): void => {
      this.appendPipeline.heard(message);
      void this.driver.step(message).catch(() => undefined);
    };
    this.transport = new PeerTransport({ self: options.self.id, bind: options.self.replication, log: options.log, onMessage, security });
    security?.onReload(() => this.transport.refreshKeys());
    for (const member of options.members) this.learnAddress(member);
    this.learnAddress(options.self);
    // The image at the snapshot; committed entries after it are applied as the leader reports them.
    this.currentStore = this.storeFromImage(state.snapshot);
    this.appliedIndex = state.snapshot.index;
    this.driver = new RaftDriver(this.node, {
      persist: (batch) => this.storage.persist(batch),
      send: (messages) => this.transport.send(this.appendPipeline.trim(this.snapshotPacing.filter(coalesceAppends(messages), monotonicNow()))),
      apply: (snapshot, committed) => this.apply(snapshot, committed),
      observe: (ready) => this.observe(ready),
    });
  }

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const voters = options.join ? [] : options.members.map((member) => member.id);
    // Before the data dir is opened: a policy that cannot secure this replica stops the start with its reason.
    const security = options.security === undefined ? undefined : await ReplicationSecurity.start(options.self.id, options.security, options.log);
    let cluster: ClusterNode;
    try {
      const storage = await RaftStorage.open(options.dataDir, voters, { fsync: options.fsync });
      cluster = new ClusterNode(options, storage, security);
    } catch (error) {
      security?.close();
      throw error;
    }
    await cluster.transport.listen();
    const tickEvery = Math.max(5, Math.min(options.heartbeatMs / 2, 50));
    cluster.ticker = setInterval(() => cluster.onTick(), tickEvery);
    options.log.info({ node: options.self.id, voters: cluster.node.voters(), term: cluster.node.leadership().term, snapshot: cluster.storage.currentSnapshot().index, entries: cluster.storage.entriesAfterSnapshot().length }, 'cluster node started');
    if (security !== undefined) options.log.info({ key: security.publicKey }, 'replication links are CURVE, open to replica keys of the policy only');
    return cluster;
  }

  /** The broker subscribes once, before it listens. */
  subscribe(events: ClusterEvents): void {
    this.events = events;
  }

  get id(): string {
    return this.options.self.id;
  }

  /** The job table: the leader's own, or the image a follower applies commits to. Replaced when deposed or a snapshot arrives. */
  get store(): JobStore {
    return this.currentStore;
  }

  /**
   * Leader and caught up with every commit of earlier terms: only then does the broker serve. Not
   * while a stall is undetected yet: a leader that was frozen past the election timeout may have been
   * replaced, and must not answer or dispatch on its old belief before it confirms it still leads.
   */
  get isServing(): boolean {
    if (this.secondMaster) return true;
    return this.serving && monotonicNow() - this.lastTickAt <= this.options.electionTimeoutMs;
  }

  /**
   * The term the broker stamps on what it serves (replies, TERM to workers): the node's term, or with
   * the seeded defect deposed-keeps-serving the term it last led in, whatever the node learnt since.
   */
  get servingTerm(): number {
    return this.secondMaster && this.servedTerm !== undefined ? this.servedTerm : this.leadershipNow.term;
  }

  get electionTimeoutMs(): number {
    return this.options.electionTimeoutMs;
  }

  get leadership(): Leadership {
    return this.leadershipNow;
  }

  /** Where clients reach the leader, if one is known. */
  leaderEndpoint(): string | null {
    const leader = this.leadershipNow.leader;
    return leader === null ? null : (this.addresses.get(leader)?.client ?? null);
  }

  /** Why the driver stopped (a failed sync): the broker must exit and restart from disk. */
  get failed(): Error | null {
    return this.driver.failed;
  }

  status(): ClusterStatus {
    const voters = new Set(this.node.voters());
    const ids = new Set([...voters, ...this.addresses.keys()]);
    return {
      node: this.id,
      role: this.leadershipNow.role,
      term: this.leadershipNow.term,
      leader: this.leadershipNow.leader,
      leaderEndpoint: this.leaderEndpoint(),
      serving: this.serving,
      members: [...ids].sort().map((id) => ({ id, client: this.addresses.get(id)?.client ?? null, replication: this.addresses.get(id)?.replication ?? null, voter: voters.has(id) })),
      commit: this.node.commit(),
      applied: this.appliedIndex,
      snapshot: this.storage.currentSnapshot().index,
      replication: { ...this.transport.counts, secure: this.security !== undefined },
    };
  }

  /**
   * Read index (dissertation §6.4): resolves true once a majority confirmed this node still leads
   * after the call and the store has applied up to the confirmed index; false if it does not lead or
   * no confirmation came within two election timeouts.
   */
  async confirmLeadership(): Promise<boolean> {
    // The seeded defect: no read index, a second master takes its own word for it.
    if (this.secondMaster) return true;
    const id = randomUUID();
    const index = await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.reads.delete(id);
        resolve(undefined);
      }, 2 * this.options.electionTimeoutMs);
      this.reads.set(id, (confirmed) => {
        clearTimeout(timer);
        this.reads.delete(id);
        resolve(confirmed);
      });
      this.driver.submit((node) => node.readIndex(id)).then(
        (asked) => {
          if (!asked) this.reads.get(id)?.(undefined);
        },
        () => this.reads.get(id)?.(undefined),
      );
    });
    return index !== undefined && this.appliedIndex >= index && this.leadershipNow.role === 'leader';
  }

  /** `keelhaul cluster add`: the address is replicated first, then the one-server change; resolves once it is committed. */
  async addMember(member: ClusterMember): Promise<string> {
    if (!this.serving) throw new Error('not the leader');
    // Refused before anything is replicated: a member no replica can reach would only stall the change.
    if (this.security !== undefined && this.security.link(member.id) === undefined) {
      throw new Error(`the policy names no replica key for ${member.id}: give its principal "replicate: [${member.id}]" in every replica's policy first (re-read on change or SIGHUP)`);
    }
    await this.commitWithin(this.replicate(encodeMemberCommand(member)), 'recording the new member\'s address');
    return this.change({ type: 'add', node: member.id });
  }

  async removeMember(id: string): Promise<string> {
    if (!this.serving) throw new Error('not the leader');
    return this.change({ type: 'remove', node: id });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    this.transport.close();
    this.security?.close();
    await this.storage.close().catch(() => undefined);
  }

  private onTick(): void {
    if (this.closed) return;
    this.security?.tick();
    const now = monotonicNow();
    const gap = now - this.lastTickAt;
    const stalled = gap > this.options.electionTimeoutMs;
    this.lastTickAt = now;
    const failure = this.driver.failed;
    if (failure !== null) {
      if (!this.failureReported) {
        this.failureReported = true;
        this.options.log.error({ err: failure }, 'raft storage failed: this node stops');
        this.events?.onFailed(failure);
      }
      return;
    }
    // The seeded defect deposed-keeps-serving never notices its stall: it serves on, on its old belief.
    if (stalled && this.serving && this.options.deposedKeepsServing !== true) {
      // Frozen past the election timeout: another leader may have answered meanwhile. Serve again
      // only once a read index confirms this node still leads (activate), as a new leader would.
      this.options.log.warn({ stalledMs: Math.round(gap) }, 'stalled past the election timeout while leading: stop serving until leadership is confirmed');
      this.depose();
      void this.activate();
    }
    this.driver.tick(now).catch(() => undefined);
  }

  // ---- the replicated log ---------------------------------------------------------------------

  private replicate(payload: Buffer): Promise<void> {
    // The seeded defect: a second master takes its own disk's word (the store has the record), never a majority's.
    if (this.secondMaster) return Promise.resolve();
    this.unsettled++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.unsettled--;
    };
    return new Promise<void>((resolve) => {
      const done = (): void => {
        settle();
        resolve();
      };
      this.driver
        .submit((node) => {
          if (!this.serving) return undefined;
          const result = node.propose(payload);
          if (!result.ok) return undefined;
          this.proposals.set(result.index, { term: result.term, resolve: this.options.ackBeforeCommit === true ? settle : done });
          return result;
        })
        .then(
          (result) => {
            // The seeded defect: a write refused because the node no longer leads is done, on this disk's word.
            if (result === undefined && this.secondMaster) done();
            else if (result === undefined) settle();
            // The seeded defect: answered once this node's disk has the entry, before a majority does.
            else if (this.options.ackBeforeCommit === true) resolve();
          },
          () => settle(),
        );
    });
  }

  private async change(change: MembershipChange): Promise<string> {
    const outcome = new Promise<MembershipEvent>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error(`the ${change.type} of ${change.node} got no outcome in time`)), 25 * this.options.electionTimeoutMs);
      this.changes.push((event) => {
        if (event.change.type !== change.type || event.change.node !== change.node) return;
        clearTimeout(bound);
        resolve(event);
      });
    });
    const asked = await this.driver.submit((node) => node.proposeChange(change));
    if (!asked.ok) throw new Error(asked.reason);
    const event = asked.index === undefined ? await outcome : { outcome: 'appended' as const, change, index: asked.index };
    if (event.outcome === 'aborted') throw new Error(`aborted: ${event.reason}`);
    if (event.outcome === 'rolled-back') throw new Error(`rolled back at index ${event.index}`);
    await this.commitWithin(this.appliedBeyond(event.index), `committing the ${change.type} of ${change.node}`);
    return `${change.type === 'add' ? 'added' : 'removed'} ${change.node} at index ${event.index}`;
  }

  private appliedBeyond(index: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.appliedIndex >= index || this.closed) resolve();
        else setTimeout(check, 10).unref();
      };
      check();
    });
  }

  private commitWithin(done: Promise<void>, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error(`${what}: not committed in time`)), 25 * this.options.electionTimeoutMs);
      void done.then(() => {
        clearTimeout(bound);
        resolve();
      });
    });
  }

  // ---- the Ready ------------------------------------------------------------------------------

  private apply(snapshot: Snapshot | undefined, committed: readonly LogEntry[]): void {
    if (snapshot !== undefined) {
      this.currentStore = this.storeFromImage(snapshot);
      this.appliedIndex = snapshot.index;
    }
    for (const entry of committed) {
      this.appliedIndex = entry.index;
      // The seeded defect: a second master keeps its own table and never folds in what the new leader commits.
      if (this.secondMaster) continue;
      const proposal = this.proposals.get(entry.index);
      if (proposal !== undefined) {
        this.proposals.delete(entry.index);
        // Ours: the leader's store has had it since it was written. Another term's entry at our index means ours was lost.
        if (proposal.term === entry.term) {
          // An address is not the store's: it is learnt here, as every other node learns it.
          const member = entry.payload.kind === 'command' ? memberOfCommand(entry.payload.data) : undefined;
          if (member !== undefined) this.learnAddress(member);
          proposal.resolve();
          continue;
        }
      }
      if (entry.payload.kind !== 'command') continue;
      this.applyCommand(entry.payload.data, entry.index);
    }
    if (this.storage.entriesAfterSnapshot().length > this.compactionThreshold()) this.compactWanted = true;
  }

  private applyCommand(data: Buffer, index: number): void {
    try {
      const member = memberOfCommand(data);
      if (member !== undefined) this.learnAddress(member);
      else this.currentStore.applyRecord(data);
    } catch (error) {
      // Committed everywhere: skipping it here would fork this node's table from the others'.
      this.options.log.error({ index, err: error }, 'a committed record cannot be applied');
      throw error;
    }
  }

  private observe(ready: Ready): void {
    for (const read of ready.reads) this.reads.get(read.requestId)?.(read.index);
    for (const event of ready.membership) for (const listener of this.changes) listener(event);
    if (ready.membership.length > 0) this.changes.length = 0;
    const before = this.leadershipNow;
    const now = ready.leadership;
    this.leadershipNow = now;
    if (before.role === 'leader' && now.role !== 'leader') this.depose();
    else if (now.role === 'leader' && before.role !== 'leader') void this.activate();
    if (before.term !== now.term || before.leader !== now.leader || before.role !== now.role) {
      this.options.log.info({ role: now.role, term: now.term, leader: now.leader }, 'leadership');
      this.events?.onLeadership(now);
    }
    if (this.compactWanted) {
      this.compactWanted = false;
      this.compactSoon();
    }
  }

  /** A new leader serves only once it committed an entry of its term and applied everything before it. */
  private async activate(): Promise<void> {
    if (this.activating) return;
    this.activating = true;
    try {
      const term = this.leadershipNow.term;
      for (let tries = 0; tries < 10 && !this.closed; tries++) {
        if (this.leadershipNow.role !== 'leader' || this.leadershipNow.term !== term) return;
        if (await this.confirmLeadership()) {
          if (this.leadershipNow.role !== 'leader' || this.leadershipNow.term !== term) return;
          this.serving = true;
          this.servedTerm = term;
          this.secondMaster = false;
          this.options.log.info({ term, applied: this.appliedIndex, jobs: this.currentStore.size }, 'leading: serving from the committed job table');
          this.events?.onServing();
          return;
        }
      }
    } finally {
      this.activating = false;
    }
  }

  /**
   * Deposed: proposals of this leadership never settle; the store goes back to exactly what is committed.
   * (With the seeded defect deposed-keeps-serving, a node that served becomes a second master instead.)
   */
  private depose(): void {
    const wasServing = this.serving;
    if (wasServing && this.options.deposedKeepsServing === true) {
      // The seeded defect: the broker is never told. What waited for a commit is taken as done on this disk's word.
      this.secondMaster = true;
      for (const proposal of this.proposals.values()) proposal.resolve();
      this.proposals.clear();
      this.options.log.warn({ term: this.leadershipNow.term, leader: this.leadershipNow.leader, servedTerm: this.servedTerm }, 'seeded defect deposed-keeps-serving: deposed, the broker goes on as a second master of its old term');
      return;
    }
    this.serving = false;
    this.proposals.clear();
    this.unsettled = 0;
    this.currentStore = this.committedStore();
    this.options.log.warn({ term: this.leadershipNow.term, leader: this.leadershipNow.leader, wasServing }, 'no longer leader: in-flight acknowledgements dropped, store rebuilt from committed records');
    this.events?.onDeposed();
  }

  private committedStore(): JobStore {
    const store = this.storeFromImage(this.storage.currentSnapshot());
    const previous = this.currentStore;
    this.currentStore = store;
    try {
      for (const entry of this.storage.entriesAfterSnapshot()) {
        if (entry.index > this.appliedIndex) break;
        if (entry.payload.kind === 'command') this.applyCommand(entry.payload.data, entry.index);
      }
    } finally {
      this.currentStore = previous;
    }
    return store;
  }

  private storeFromImage(snapshot: Snapshot): JobStore {
    const image = decodeClusterImage(snapshot.data);
    this.snapshotRecords = image.records.length;
    for (const member of image.members) this.learnAddress(member);
    return JobStore.fromRecords(this.recordLog, this.options.store, image.records);
  }

  private learnAddress(member: ClusterMember): void {
    // This node's own --cluster entry says how *it* reaches that broker (through a proxy or a NAT, say);
    // an address learnt from the log or a snapshot is how the proposer reached it, and never replaces it.
    const own = [this.options.self, ...this.options.members].find((given) => given.id === member.id) ?? member;
    this.addresses.set(own.id, own);
    this.transport.setPeer(own.id, own.replication);
  }

  /**
   * How many entries may follow the snapshot before the log is compacted. An image holds every live
   * record of the job table, which grows with retention (tens of thousands of jobs): made every
   * `compactEvery` entries, its cost per entry grew with the table (each a synchronous encode of the
   * whole table, 150-300 ms at 10 MB, that stalled the node's event loop about once a second under
   * load, bench/README.md). Waiting for as many entries as the last image held records keeps the
   * cost per entry bounded (the doubling rule), as the job store's own journal does.
   */
  private compactionThreshold(): number {
    return Math.max(this.compactEvery, this.snapshotRecords);
  }

  /**
   * Compacts at the applied index when nothing proposed is in flight (the store then is exactly what
   * is applied). The cut is synchronous and cheap: the live records as buffers nothing writes again (a
   * finished job's were encoded when it finished). The image is then copied together in slices,
   * yielding the event loop in between, so it stays exactly the state at the cut's index whatever is
   * applied meanwhile; the core compacts to that index, unless a snapshot installed meanwhile already
   * covers it (bench/README.md, "Replicated broker": 100,000 jobs).
   */
  private compactSoon(): void {
    if (this.closed) return;
    // Every call is a chance: the moment with nothing in flight comes rarely under load, and only the submit sees it.
    this.driver
      .submit((node): { index: number; image: ClusterImage } | undefined => {
        if (this.compacting || this.unsettled > 0 || this.appliedIndex <= node.snapshotIndex() || this.appliedIndex - node.snapshotIndex() < this.compactionThreshold() / 2) return undefined;
        this.compacting = true;
        return { index: this.appliedIndex, image: { records: this.currentStore.liveRecordPayloads(), members: [...this.addresses.values()] } };
      })
      .then(async (cut) => {
        if (cut === undefined) return;
        try {
          const data = await encodeClusterImageInSlices(cut.image, IMAGE_SLICE_RECORDS, nextTurn);
          if (this.closed) return;
          const snapshot = await this.driver.submit((node) => node.compact(cut.index, data));
          if (snapshot.index !== cut.index) return;
          this.snapshotRecords = cut.image.records.length;
          await this.storage.compact(snapshot);
        } finally {
          this.compacting = false;
        }
      })
      .catch((error: unknown) => {
        // A stopped driver refuses the submit: its failure is reported on the tick, not as a compaction's.
        if (this.driver.failed === null) this.options.log.error({ err: error }, 'raft log compaction failed');
      });
  }
}

/** Records copied into an image between two yields of the event loop: a few ms of copying each. */
const IMAGE_SLICE_RECORDS = 16_384;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
