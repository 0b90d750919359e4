import type { MembershipChange } from '../../../reference/replication/log-entry';
import type { RaftMessage } from '../../../reference/replication/messages';
import type { RaftDefects } from '../../../reference/replication/raft-defects';
import { appliedBeforeDurable, sentBeforeDurable, type Ready } from '../../../reference/replication/ready';
import { bootSnapshot } from '../../../reference/replication/snapshot';
import { prng } from '../../support/prng';
import { EventQueue } from './event-queue';
import { InvariantMonitor, type Violation } from './invariants';
import { SimHost } from './sim-host';
import { CALM_NETWORK, SimNetwork, type NetworkConditions } from './sim-network';

export interface SimOptions {
  seed: number;
  /** Initial voters, named n1..nN. */
  voters: number;
  /** Nodes n(N+1).. that start switched off and may be added by membership changes. */
  spares?: number;
  electionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  tickMs?: number;
  /** How long faults are injected before everything heals. */
  faultPhaseMs?: number;
  /** After healing: a leader must be elected and a proposal applied on every member within this. */
  livenessBoundMs?: number;
  network?: NetworkConditions;
  /** Crashes, freezes and partitions during the fault phase (default true). */
  faults?: boolean;
  /**
   * `mixed` (default): crashes, freezes and partitions every 80–350 ms. `crash-loop`: a crash every
   * 10–60 ms, each node back within 30 ms, and half the nodes that grant a vote crash right after
   * answering: what it takes to catch a node that forgets its vote.
   */
  nemesis?: 'mixed' | 'crash-loop';
  /**
   * At the heal, a minority of the nodes (half the voters, rounded down) goes down for good instead of
   * coming back: liveness must hold with only a stable majority connected (default false).
   */
  minorityStaysDown?: boolean;
  /** Random add/remove/replace during the fault phase, with newcomers killed mid-change (default false). */
  membership?: boolean;
  /** Bounds of a membership change (RaftOptions), default 3 election timeouts each so that runs see rollbacks. */
  catchUpTimeoutMs?: number;
  changeTimeoutMs?: number;
  /** Applied entries past the last snapshot that make a node compact (default 20). */
  compactEvery?: number;
  /** Every node carries these test-only defects. */
  defects?: RaftDefects;
}

export interface SimResult {
  seed: number;
  violation: Violation | null;
  /** Time from the heal to the first proposal applied on every member. */
  recoveryMs: number | null;
  committed: number;
  elections: number;
  stats: SimStats;
}

export interface SimStats {
  crashes: number;
  freezes: number;
  partitions: number;
  changesAppended: number;
  changesAborted: number;
  changesRolledBack: number;
  snapshotsInstalled: number;
  readsConfirmed: number;
  /** Leaders that crashed after sending a Ready's appends and before it was durable (ready.ts). */
  crashesBeforeDurable: number;
}

type SimEvent =
  | { kind: 'deliver'; message: RaftMessage }
  | { kind: 'tick'; node: string; life: number }
  | { kind: 'client' }
  | { kind: 'nemesis' }
  | { kind: 'restart'; node: string }
  | { kind: 'crash'; node: string }
  | { kind: 'resume'; node: string }
  | { kind: 'heal-partition'; epoch: number }
  | { kind: 'membership' }
  | { kind: 'heal-all' };

/**
 * A deterministic Raft cluster: N hosts, a seeded lossy network, a nemesis that crashes, restarts,
 * freezes, resumes and partitions, a client that proposes and reads through whoever claims to lead,
 * and the invariants checked after every event. Everything random comes from one seed.
 */
export class SimulatedCluster {
  readonly monitor = new InvariantMonitor();
  private readonly random: () => number;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly network: SimNetwork;
  private readonly hosts = new Map<string, SimHost>();
  private readonly options: Required<Omit<SimOptions, 'defects'>> & { defects: RaftDefects };
  private now = 0;
  private proposals = 0;
  private partitionEpoch = 0;
  private healedAt: number | null = null;
  private recoveredAt: number | null = null;
  private readonly pendingReads = new Map<string, number>();
  /** Nodes taken down for good at the heal (minorityStaysDown). */
  private readonly retired = new Set<string>();
  private readonly leaderTerms = new Map<string, number>();
  private elections = 0;
  private readonly stats: SimStats = { crashes: 0, freezes: 0, partitions: 0, changesAppended: 0, changesAborted: 0, changesRolledBack: 0, snapshotsInstalled: 0, readsConfirmed: 0, crashesBeforeDurable: 0 };

  constructor(options: SimOptions) {
    const electionTimeoutMs = options.electionTimeoutMs ?? 100;
    this.options = {
      spares: 0,
      heartbeatIntervalMs: 30,
      tickMs: 10,
      faultPhaseMs: 2_000,
      livenessBoundMs: 30 * electionTimeoutMs,
      network: { dropRate: 0.05, duplicateRate: 0.03, minDelayMs: 1, maxDelayMs: 15, straggleRate: 0.03 },
      faults: true,
      nemesis: 'mixed',
      membership: false,
      minorityStaysDown: false,
      compactEvery: 20,
      catchUpTimeoutMs: 3 * electionTimeoutMs,
      changeTimeoutMs: 3 * electionTimeoutMs,
      defects: {},
      ...options,
      electionTimeoutMs,
    };
    this.random = prng(options.seed);
    this.network = new SimNetwork(this.random, this.options.network);
    const voters = Array.from({ length: this.options.voters }, (_, i) => `n${i + 1}`);
    const { heartbeatIntervalMs, catchUpTimeoutMs, changeTimeoutMs } = this.options;
    const timing = { electionTimeoutMs, heartbeatIntervalMs, catchUpTimeoutMs, changeTimeoutMs };
    for (let i = 1; i <= this.options.voters + this.options.spares; i += 1) {
      const id = `n${i}`;
      const boot = bootSnapshot(i <= this.options.voters ? voters : []);
      this.hosts.set(id, new SimHost(id, boot, timing, this.random, this.options.defects));
    }
  }

  run(): SimResult {
    for (const host of this.hosts.values()) if (host.storage.load().snapshot.voters.length > 0) this.startHost(host);
    this.queue.push(5, { kind: 'client' });
    if (this.options.faults) this.queue.push(this.between(100, 300), { kind: 'nemesis' });
    if (this.options.membership) this.queue.push(this.between(200, 400), { kind: 'membership' });
    this.queue.push(this.options.faultPhaseMs, { kind: 'heal-all' });
    const end = this.options.faultPhaseMs + this.options.livenessBoundMs;
    while (this.monitor.violation === null && this.recoveredAt === null) {
      const next = this.queue.pop();
      if (next === undefined || next.at > end) break;
      this.now = next.at;
      this.monitor.now = this.now;
      this.handle(next.event);
      if (this.healedAt !== null) this.checkRecovered();
    }
    if (this.monitor.violation === null && this.recoveredAt === null) {
      this.monitor.livenessFailed(`no leader had a proposal applied on every member within ${this.options.livenessBoundMs} ms of healing (${this.describe()})`);
    }
    if (this.monitor.violation === null) {
      for (const host of this.members()) this.monitor.settled(host.id, host.machine);
    }
    return {
      seed: this.options.seed,
      violation: this.monitor.violation,
      recoveryMs: this.recoveredAt === null || this.healedAt === null ? null : this.recoveredAt - this.healedAt,
      committed: this.monitor.committedIndex,
      elections: this.elections,
      stats: this.stats,
    };
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver':
        return this.deliver(event.message);
      case 'tick': {
        const host = this.hosts.get(event.node)!;
        if (host.life !== event.life || !host.running) return;
        this.queue.push(this.now + this.options.tickMs, event);
        if (host.frozen) return;
        host.raft!.tick(this.now);
        return this.drain(host);
      }
      case 'client':
        return this.client();
      case 'nemesis':
        return this.nemesis();
      case 'crash': {
        const host = this.hosts.get(event.node)!;
        if (!host.running) return;
        this.stats.crashes += 1;
        host.crash();
        this.queue.push(this.now + this.between(1, 10), { kind: 'restart', node: host.id });
        return;
      }
      case 'restart': {
        const host = this.hosts.get(event.node)!;
        if (!host.running && !this.retired.has(host.id)) this.startHost(host);
        return;
      }
      case 'resume':
        return this.resume(this.hosts.get(event.node)!);
      case 'heal-partition':
        if (event.epoch === this.partitionEpoch) this.network.heal();
        return;
      case 'membership':
        return this.changeMembership();
      case 'heal-all':
        return this.healAll();
    }
  }

  private startHost(host: SimHost): void {
    host.start(this.now);
    this.queue.push(this.now + this.options.tickMs, { kind: 'tick', node: host.id, life: host.life });
    this.drain(host);
  }

  private deliver(message: RaftMessage): void {
    const host = this.hosts.get(message.to);
    if (host === undefined || !host.running) return;
    if (!this.network.connected(message.from, message.to)) return;
    if (host.frozen) {
      host.held.push(message);
      return;
    }
    host.raft!.step(message);
    this.drain(host);
  }

  private resume(host: SimHost): void {
    if (!host.running || !host.frozen) return;
    host.frozen = false;
    const held = host.held;
    host.held = [];
    for (const message of held) {
      host.raft!.step(message);
      this.drain(host);
      // A leader may crash inside drain (between its early appends and its persist): the rest is lost with it.
      if (!host.running) return;
    }
    host.raft!.tick(this.now);
    this.drain(host);
  }

  /**
   * Carries out a host's Ready as RaftDriver does: a leader's appends and already-durable commits
   * first (ready.ts), then persist, check, the other messages, the rest of the apply, answer reads;
   * then maybe compact. A leader may crash between its early appends and its persist.
   */
  private drain(host: SimHost): void {
    const raft = host.raft!;
    const ready: Ready = raft.takeReady();
    const durable = ready.hardState !== undefined || ready.snapshot !== undefined || ready.log !== undefined;
    const early = durable ? ready.messages.filter(sentBeforeDurable) : ready.messages;
    const applyEarly = !durable || appliedBeforeDurable(ready);
    const apply = (): void => host.applyReady(ready, (index) => this.monitor.applied(host.id, index, host.machine.at(index)!, raft.leadership().term));
    for (const message of early) this.transmit(host, message);
    if (applyEarly) apply();
    if (durable && early.length > 0 && this.crashBeforeDurable()) {
      this.stats.crashes += 1;
      this.stats.crashesBeforeDurable += 1;
      host.crash();
      const crashLoop = this.options.nemesis === 'crash-loop';
      this.queue.push(this.now + (crashLoop ? this.between(1, 30) : this.between(20, 600)), { kind: 'restart', node: host.id });
      return;
    }
    host.persist(ready);
    if (ready.snapshot !== undefined) this.stats.snapshotsInstalled += 1;
    if (ready.log !== undefined && ready.log.entries.length > 0) {
      this.monitor.logWritten(host.id, ready.log.entries, raft.termAt(ready.log.from - 1));
    }
    if (durable) for (const message of ready.messages) if (!sentBeforeDurable(message)) this.transmit(host, message);
    if (!applyEarly) apply();
    for (const read of ready.reads) {
      this.stats.readsConfirmed += 1;
      this.monitor.readConfirmed(host.id, read, this.pendingReads.get(read.requestId) ?? 0);
    }
    for (const event of ready.membership) {
      if (event.outcome === 'appended') this.stats.changesAppended += 1;
      else if (event.outcome === 'aborted') this.stats.changesAborted += 1;
      else this.stats.changesRolledBack += 1;
    }
    const { role, term } = ready.leadership;
    if (role === 'leader' && this.leaderTerms.get(host.id) !== term) {
      this.leaderTerms.set(host.id, term);
      if (this.monitor.leaderSeen(host.id, term)) this.elections += 1;
      this.monitor.leaderElected(host.id, raft, host.machine);
    }
    host.maybeCompact(this.options.compactEvery);
  }

  // ---- the client -------------------------------------------------------------------------------

  /** Proposes and reads through every node that believes it leads, stale ones included. */
  private client(): void {
    this.queue.push(this.now + this.between(10, 40), { kind: 'client' });
    // Once healed and a marker is committed, the client stops so that every member can catch up.
    if (this.healedAt !== null && this.markerCommitted()) return;
    for (const host of this.hosts.values()) {
      const raft = host.raft;
      if (raft === null || host.frozen || raft.leadership().role !== 'leader') continue;
      this.proposals += 1;
      raft.propose(Buffer.from(`${this.healedAt === null ? 'cmd' : 'marker'}-${this.proposals}`));
      const requestId = `read-${this.proposals}`;
      this.pendingReads.set(requestId, this.monitor.committedIndex);
      raft.readIndex(requestId);
      this.drain(host);
    }
  }

  // ---- the nemesis ------------------------------------------------------------------------------

  private nemesis(): void {
    if (this.now >= this.options.faultPhaseMs) return;
    const crashLoop = this.options.nemesis === 'crash-loop';
    this.queue.push(this.now + (crashLoop ? this.between(10, 60) : this.between(80, 350)), { kind: 'nemesis' });
    const running = [...this.hosts.values()].filter((host) => host.running);
    if (running.length === 0) return;
    if (crashLoop) {
      const victim = this.pick(running);
      this.stats.crashes += 1;
      victim.crash();
      this.queue.push(this.now + this.between(1, 30), { kind: 'restart', node: victim.id });
      return;
    }
    const leader = running.find((host) => host.raft!.leadership().role === 'leader' && !host.frozen);
    const victim = leader !== undefined && this.random() < 0.5 ? leader : this.pick(running);
    const roll = this.random();
    if (roll < 0.3) {
      this.stats.crashes += 1;
      victim.crash();
      this.queue.push(this.now + this.between(20, 600), { kind: 'restart', node: victim.id });
    } else if (roll < 0.5) {
      if (victim.frozen) return;
      this.stats.freezes += 1;
      victim.frozen = true;
      this.queue.push(this.now + this.between(50, 800), { kind: 'resume', node: victim.id });
    } else if (roll < 0.8) {
      this.stats.partitions += 1;
      const ids = [...this.hosts.keys()];
      const shuffled = ids.map((id) => ({ id, r: this.random() })).sort((a, b) => a.r - b.r).map((x) => x.id);
      const cut = 1 + Math.floor(this.random() * (ids.length - 1));
      // Leader isolated from the majority, or random halves.
      const sides = leader !== undefined && this.random() < 0.4 ? [[leader.id], ids.filter((id) => id !== leader.id)] : [shuffled.slice(0, cut), shuffled.slice(cut)];
      this.network.partition(sides);
      this.partitionEpoch += 1;
      this.queue.push(this.now + this.between(50, 700), { kind: 'heal-partition', epoch: this.partitionEpoch });
    } else {
      this.network.heal();
    }
  }

  // ---- membership -------------------------------------------------------------------------------

  /** Adds a switched-off node, removes a voter or replaces one (remove then add), and sometimes kills the newcomer mid-way. */
  private changeMembership(): void {
    if (this.now >= this.options.faultPhaseMs) return;
    this.queue.push(this.now + this.between(150, 400), { kind: 'membership' });
    const leader = [...this.hosts.values()].find((host) => host.running && !host.frozen && host.raft!.leadership().role === 'leader');
    if (leader === undefined) return;
    const voters = leader.raft!.voters();
    const outsiders = [...this.hosts.keys()].filter((id) => !voters.includes(id));
    let change: MembershipChange;
    if (outsiders.length > 0 && (voters.length <= 3 || this.random() < 0.5)) {
      change = { type: 'add', node: this.pick(outsiders) };
    } else {
      change = { type: 'remove', node: this.pick([...voters]) };
    }
    const result = leader.raft!.proposeChange(change);
    this.drain(leader);
    if (!result.ok || change.type !== 'add') return;
    const newcomer = this.hosts.get(change.node)!;
    if (!newcomer.running) this.startHost(newcomer);
    // A member dying in the middle of the change: the add must complete or roll back regardless.
    if (this.random() < 0.3) {
      this.stats.crashes += 1;
      newcomer.crash();
      this.queue.push(this.now + this.between(100, 1500), { kind: 'restart', node: newcomer.id });
    }
  }

  private transmit(host: SimHost, message: RaftMessage): void {
    if (this.crashAfterVote(message)) this.queue.push(this.now + this.between(0, 3), { kind: 'crash', node: host.id });
    for (const delay of this.network.deliveryDelays(message.from, message.to)) this.queue.push(this.now + delay, { kind: 'deliver', message });
  }

  /** During the faults: a crash after a Ready's early appends left, before its persist (rarer outside the crash loop). */
  private crashBeforeDurable(): boolean {
    if (!this.options.faults || this.now >= this.options.faultPhaseMs) return false;
    return this.random() < (this.options.nemesis === 'crash-loop' ? 0.2 : 0.02);
  }

  private crashAfterVote(message: RaftMessage): boolean {
    if (this.options.nemesis !== 'crash-loop' || this.now >= this.options.faultPhaseMs) return false;
    return message.type === 'vote-response' && message.granted && this.random() < 0.5;
  }

  // ---- healing and liveness ---------------------------------------------------------------------

  private healAll(): void {
    this.network.heal();
    this.network.conditions = { ...CALM_NETWORK, maxDelayMs: this.options.network.maxDelayMs };
    this.healedAt = this.now;
    for (const host of this.hosts.values()) {
      if (host.running && host.frozen) this.resume(host);
      else if (!host.running && host.life > 0) this.startHost(host);
    }
    if (!this.options.minorityStaysDown) return;
    const started = [...this.hosts.values()].filter((host) => host.running);
    for (let i = 0; i < Math.floor(this.options.voters / 2); i += 1) {
      const victim = this.pick(started.filter((host) => !this.retired.has(host.id)));
      this.retired.add(victim.id);
      victim.crash();
    }
  }

  /** The voters of the current leader's configuration, less those taken down for good. */
  private members(): SimHost[] {
    const leader = [...this.hosts.values()].find((host) => host.running && host.raft!.leadership().role === 'leader');
    if (leader === undefined) return [];
    return leader.raft!.voters().filter((id) => !this.retired.has(id)).map((id) => this.hosts.get(id)!);
  }

  private checkRecovered(): void {
    const members = this.members();
    if (members.length === 0) return;
    const marked = members.every((host) => host.running && host.machine.markers > 0 && host.machine.appliedIndex >= this.monitor.committedIndex);
    if (marked) this.recoveredAt = this.now;
  }

  private markerCommitted(): boolean {
    for (let index = this.monitor.committedIndex; index >= 1; index -= 1) {
      if (this.monitor.committedAt(index)!.key.startsWith('marker-')) return true;
    }
    return false;
  }

  private describe(): string {
    return [...this.hosts.values()]
      .map((host) => {
        const raft = host.raft;
        if (raft === null) return `${host.id}: down`;
        const { role, term, leader } = raft.leadership();
        return `${host.id}: ${role} t${term} leader=${leader} commit=${raft.commit()} last=${raft.lastIndex()} voters=[${raft.voters().join(',')}]`;
      })
      .join('; ');
  }

  private between(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
}

export function simulate(options: SimOptions): SimResult {
  return new SimulatedCluster(options).run();
}
