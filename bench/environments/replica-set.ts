import path from 'node:path';
import { freePort } from '../../harness/runtime/ports';
import { sleep } from '../../reference/util/backoff';
import type { BenchChild } from '../children';
import type { StartContext } from '../measurement';
import { SERVICE } from './reference-broker';

/** The Raft and Majordomo timings a cluster runs with; printed in the rows' labels. */
export interface ClusterTimings {
  /** `--election-timeout`: each election timeout is drawn from [T, 2T). */
  electionTimeoutMs: number;
  /** `--raft-heartbeat`. */
  raftHeartbeatMs: number;
  /** 7/MDP heartbeat between the brokers and the workers (liveness 3). */
  heartbeatMs: number;
}

/** One replica's view of the cluster, as its `stats` answer gives it. */
export interface ReplicaStatus {
  role: string;
  term: number;
  serving: boolean;
  commit: number;
  applied: number;
  /** Workers registered with this broker (only a serving leader keeps any). */
  workers: number;
}

interface Replica {
  id: string;
  client: string;
  args: string[];
  child: BenchChild;
}

const REPLICAS = 3;
const ASK_TIMEOUT_MS = 2000;
const POLL_MS = 20;

/**
 * A 3-replica reference broker cluster on 127.0.0.1 (`keelhaul broker --cluster` as
 * `processes/cluster-broker-server.js`, each replica its own process with its own data dir in a temp
 * folder, fsync on) and `settings.workers` MajordomoWorker echo workers in one more process, given
 * every client endpoint (KHR/1: they follow the leader). The bench can find the leader, SIGKILL a
 * replica and restart it from its data dir.
 */
export class ReplicaSet {
  private constructor(
    private readonly context: StartContext,
    private readonly name: string,
    private readonly replicas: Replica[],
    readonly timings: ClusterTimings,
  ) {}

  /** Starts the replicas and the workers; resolves once a leader serves with every worker registered. */
  static async start(context: StartContext, name: string, timings: ClusterTimings): Promise<ReplicaSet> {
    const { children, settings, timeoutMs } = context;
    const members: { id: string; client: string; replication: string }[] = [];
    for (let i = 1; i <= REPLICAS; i++) members.push({ id: `n${i}`, client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}` });
    const cluster = members.map((m) => `${m.id}=${m.client}+${m.replication}`).join(',');
    const dataRoot = children.tempDir('keelhaul-bench-cluster-');
    const replicas = members.map((member): Replica => {
      const args = [
        ...['--node-id', member.id, '--cluster', cluster, '--data-dir', path.join(dataRoot, member.id)],
        ...['--election-timeout', String(timings.electionTimeoutMs), '--raft-heartbeat', String(timings.raftHeartbeatMs), '--heartbeat', String(timings.heartbeatMs)],
      ];
      return { id: member.id, client: member.client, args, child: children.spawn(`${name}-${member.id}`, 'cluster-broker-server', args) };
    });
    for (const replica of replicas) await replica.child.waitFor('ready', timeoutMs, `replica ${replica.id} to bind`);
    const set = new ReplicaSet(context, name, replicas, timings);
    const workers = children.spawn(`${name}-workers`, 'echo-workers', ['--broker', set.endpoints, '--service', SERVICE, '--count', String(settings.workers), '--heartbeat', String(timings.heartbeatMs)]);
    await workers.waitFor('ready', timeoutMs, 'the workers to start');
    await set.leaderWithWorkers(timeoutMs);
    return set;
  }

  /** Every client endpoint, comma-separated (a KHR/1 client's `broker`). */
  get endpoints(): string {
    return this.replicas.map((r) => r.client).join(',');
  }

  /** The replica's `stats` answer: undefined if it is down or does not answer in time. */
  async status(id: string): Promise<ReplicaStatus | undefined> {
    const replica = this.replica(id);
    if (replica.child.exited !== undefined) return undefined;
    try {
      const answer = await replica.child.request('stats', ASK_TIMEOUT_MS);
      const cluster = answer.cluster as Omit<ReplicaStatus, 'workers'>;
      const { workers } = answer.stats as { workers: number };
      return { role: cluster.role, term: cluster.term, serving: cluster.serving, commit: cluster.commit, applied: cluster.applied, workers };
    } catch {
      return undefined;
    }
  }

  /** The replica serving as leader with every worker registered, polled until `timeoutMs`. */
  async leaderWithWorkers(timeoutMs: number): Promise<{ id: string; client: string; child: BenchChild; status: ReplicaStatus }> {
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < deadline) {
      const statuses = await Promise.all(this.replicas.map(async (r) => ({ replica: r, status: await this.status(r.id) })));
      seen = statuses.map(({ replica, status }) => `${replica.id}: ${status ? `${status.role} term ${status.term}${status.serving ? ' serving' : ''}, ${status.workers} workers` : 'down'}`).join('; ');
      const leader = statuses.find(({ status }) => status?.serving === true && status.workers >= this.context.settings.workers);
      if (leader?.status !== undefined) return { id: leader.replica.id, client: leader.replica.client, child: leader.replica.child, status: leader.status };
      await sleep(POLL_MS);
    }
    throw new Error(`${this.name}: no replica served as leader with all ${this.context.settings.workers} workers within ${timeoutMs} ms (${seen})${this.replicas.map((r) => r.child.describeTail()).join('')}`);
  }

  /** SIGKILLs the replica (not a casualty: the bench asked for it). */
  async kill(id: string): Promise<void> {
    await this.context.children.kill(this.replica(id).child, ASK_TIMEOUT_MS);
  }

  /** Starts the replica again from its data dir; resolves once it is bound and has applied up to `commit`. */
  async restart(id: string, commit: number, timeoutMs: number): Promise<void> {
    const replica = this.replica(id);
    replica.child = this.context.children.spawn(`${this.name}-${id}`, 'cluster-broker-server', replica.args);
    await replica.child.waitFor('ready', timeoutMs, `replica ${id} to bind again`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await this.status(id);
      if (status !== undefined && status.role === 'follower' && status.applied >= commit) return;
      await sleep(POLL_MS);
    }
    throw new Error(`${this.name}: replica ${id} did not catch up to index ${commit} within ${timeoutMs} ms${replica.child.describeTail()}`);
  }

  /** Client endpoints of every replica but `id`. */
  othersThan(id: string): { id: string; client: string }[] {
    return this.replicas.filter((r) => r.id !== id).map(({ id: other, client }) => ({ id: other, client }));
  }

  private replica(id: string): Replica {
    const replica = this.replicas.find((r) => r.id === id);
    if (replica === undefined) throw new Error(`${this.name}: no replica ${id}`);
    return replica;
  }
}
