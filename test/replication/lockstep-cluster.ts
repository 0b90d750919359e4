import type { LogEntry } from '../../reference/replication/log-entry';
import type { RaftMessage } from '../../reference/replication/messages';
import { RaftNode } from '../../reference/replication/raft-node';
import type { RaftOptions } from '../../reference/replication/raft-options';
import type { Ready } from '../../reference/replication/ready';
import { bootSnapshot } from '../../reference/replication/snapshot';
import { prng } from '../support/prng';
import { SimStorage } from './sim/sim-storage';

export const ELECTION_MS = 100;

/**
 * A hand-driven cluster for unit tests: messages go through a FIFO queue the test drains (all at
 * once, or one at a time), nodes named in `cut` neither send nor receive, time moves only by
 * `advance`. Each Ready is carried out in its prescribed order, against a SimStorage disk.
 */
export class LockstepCluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly disks = new Map<string, SimStorage>();
  readonly applied = new Map<string, LogEntry[]>();
  readonly readies: { node: string; ready: Ready }[] = [];
  readonly cut = new Set<string>();
  /** Nodes that get no ticks (a stopped process); combine with `cut` for a full freeze. */
  readonly frozen = new Set<string>();
  private queue: RaftMessage[] = [];
  now = 0;
  onReady: (node: string, ready: Ready) => void = () => undefined;

  constructor(
    voters: readonly string[],
    private readonly options: Partial<RaftOptions> = {},
    outsiders: readonly string[] = [],
  ) {
    for (const id of voters) this.disks.set(id, new SimStorage(bootSnapshot(voters)));
    for (const id of outsiders) this.disks.set(id, new SimStorage(bootSnapshot([])));
    for (const id of this.disks.keys()) this.start(id);
  }

  /** (Re)starts `id` from its disk, as after a crash. Its state machine restarts empty: the tests here never compact. */
  start(id: string, random: () => number = prng([...this.disks.keys()].indexOf(id) + 1)): RaftNode {
    const node = new RaftNode({ id, electionTimeoutMs: ELECTION_MS, heartbeatIntervalMs: 20, random, ...this.options }, this.disks.get(id)!.load());
    this.nodes.set(id, node);
    this.applied.set(id, []);
    node.tick(this.now);
    return node;
  }

  node(id: string): RaftNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Carries out `id`'s Ready: persist, queue its messages, apply. */
  flush(id: string): Ready {
    const ready = this.node(id).takeReady();
    const disk = this.disks.get(id)!;
    if (ready.hardState !== undefined) disk.saveHardState(ready.hardState);
    if (ready.snapshot !== undefined) disk.saveSnapshot(ready.snapshot);
    if (ready.log !== undefined) disk.writeLog(ready.log);
    if (!this.cut.has(id)) this.queue.push(...ready.messages);
    this.applied.get(id)!.push(...ready.committed);
    this.readies.push({ node: id, ready });
    this.onReady(id, ready);
    return ready;
  }

  flushAll(): void {
    for (const id of this.nodes.keys()) this.flush(id);
  }

  /** Delivers one queued message; false when none is left. */
  deliverOne(): boolean {
    const message = this.queue.shift();
    if (message === undefined) return false;
    if (this.cut.has(message.to) || this.cut.has(message.from) || !this.nodes.has(message.to)) return true;
    this.node(message.to).step(message);
    this.flush(message.to);
    return true;
  }

  deliverAll(limit = 10_000): void {
    for (let i = 0; i < limit; i += 1) if (!this.deliverOne()) return;
    throw new Error(`messages still flowing after ${limit} deliveries`);
  }

  pending(): readonly RaftMessage[] {
    return this.queue;
  }

  dropPending(): void {
    this.queue = [];
  }

  /** Moves time by `ms` in 10 ms ticks, delivering everything after each. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + 10);
      for (const [id, node] of this.nodes) {
        if (this.frozen.has(id)) continue;
        node.tick(this.now);
        this.flush(id);
      }
      this.deliverAll();
    }
  }

  leaders(): string[] {
    return [...this.nodes].filter(([id, node]) => !this.cut.has(id) && node.leadership().role === 'leader').map(([id]) => id);
  }

  /** Advances until exactly one reachable node leads; fails after `boundMs`. */
  electLeader(boundMs = 20 * ELECTION_MS): string {
    const end = this.now + boundMs;
    while (this.now < end) {
      this.advance(10);
      const leaders = this.leaders();
      if (leaders.length === 1) return leaders[0]!;
    }
    throw new Error(`no single leader within ${boundMs} ms: ${this.leaders().join(', ') || 'none'}`);
  }

  commands(id: string): string[] {
    return this.applied.get(id)!.flatMap((entry) => (entry.payload.kind === 'command' ? [entry.payload.data.toString()] : []));
  }
}
