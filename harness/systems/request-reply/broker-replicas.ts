import path from 'node:path';
import type { NodeHandle } from '../../runtime/node-handle';
import type { NodeSpec } from '../../runtime/node-spec';
import type { SystemContext } from '../system';
import type { RequestReplyStarters } from './roles';
import { askKhr } from '../../probe/khr-probe';
import { CLUSTER_KEY_NAME, type NodeSecurity } from '../node-security';
import { leaderOf, type ClusterLeader, type ReplicaAnswer } from './cluster-leader';

/** One replica's endpoints: where it binds, where the harness and the other nodes reach it. */
interface ReplicaEndpoints {
  name: string;
  /**
   * Its client endpoint as it binds it and as the cluster names it (every replica's `--cluster`,
   * so the leader's own answers and its followers' redirects name it alike): the runtime's
   * `selfEndpoint`, which other nodes can dial directly (in docker its IP: `tcp://0.0.0.0` names nobody).
   */
  clientSelf: string;
  replicationSelf: string;
  /** Its client endpoint as other nodes reach it directly: the upstream of their fault-proxy links to it. */
  clientPeer: string;
  replicationPeer: string;
  /** Its client endpoint for the harness's own questions (mmi.khr, 8/MMI). */
  clientHarness: string;
  stateDir: string;
}

/** The names of a cluster's replicas: `broker-1` … `broker-N`, which are also their KHR/1 node ids. */
export function replicaNames(count: number, role = 'broker'): string[] {
  return Array.from({ length: count }, (_, index) => `${role}-${index + 1}`);
}

/**
 * Replicas a scenario may add to a running cluster (`startJoining`). Their endpoints are reserved when
 * the cluster starts, so every worker and client is started with its own fault-proxy link to them too
 * (`routesFor`): a broker added later, even one that wins an election, is reached through the proxy.
 */
const SPARE_REPLICAS = 2;

/** `<id>=<client>+<replication>`, one member of a `--cluster` value. */
function member(id: string, client: string, replication: string): string {
  return `${id}=${client}+${replication}`;
}

/**
 * A replicated broker (KHR/1): N replicas started from the broker role, each told the cluster as it
 * sees it. Every replica-to-replica replication link goes through the fault proxy (`broker-1->broker-2`
 * is broker-1 dialling broker-2's replication endpoint), so a partition can cut the brokers apart;
 * workers and clients get one link per replica. The leader is read off the replicas' own `mmi.khr`
 * answers, asked by the harness directly (an instrument, never through the fault proxy).
 */
export class BrokerReplicas {
  readonly nodes: NodeHandle[] = [];
  private readonly endpoints: ReplicaEndpoints[] = [];
  /** Endpoints reserved for the replicas `startJoining` adds, in order. */
  private readonly spares: ReplicaEndpoints[] = [];
  /** The replica nodes started after this list first in their broker list (Binary Star's primary); undefined: broker-1 first. */
  private listedFirst?: string;
  /** Replicas the cluster removed (`forget`). */
  private readonly removed = new Set<string>();
  /** In a secure run: the key every replica shares, named in the policy as every replica's and spare's (docs/replication.md). */
  private security?: NodeSecurity;

  constructor(private readonly context: SystemContext<RequestReplyStarters>) {}

  /** The replicas that are members (every one started, less those removed). */
  get names(): string[] {
    return this.members.map((replica) => replica.name);
  }

  private get members(): ReplicaEndpoints[] {
    return this.endpoints.filter((replica) => !this.removed.has(replica.name));
  }

  /** Starts `count` replicas at once (a replica is ready before any election, so none waits for the others). */
  async start(count: number): Promise<NodeHandle[]> {
    if (this.nodes.length > 0) throw new Error('the broker cluster is already started');
    if (!Number.isInteger(count) || count < 1) throw new Error(`a broker cluster needs a whole number of replicas from 1, not ${count}`);
    const names = replicaNames(count + SPARE_REPLICAS);
    for (const name of names.slice(0, count)) this.endpoints.push(await this.endpointsFor(name));
    for (const name of names.slice(count)) this.spares.push(await this.endpointsFor(name));
    this.security = this.context.security?.forReplicas(names);
    const specs = await Promise.all(this.endpoints.map((replica) => this.specFor(replica, false)));
    this.nodes.push(...(await Promise.all(specs.map((spec) => this.context.runtime.start(spec)))));
    return this.nodes;
  }

  /**
   * Starts one more replica, `broker-<N+1>` (on endpoints reserved at the start), with `--join`: empty,
   * no voter, until the leader adds it. Its `--cluster` lists every replica through its own links; the
   * member it returns (`<id>=<client>+<replication>`, for `keelhaul cluster add`) is the one address the
   * cluster replicates for it, so the others reach its replication endpoint directly, not through the
   * fault proxy. Workers and clients reach its client endpoint through their links (their routes).
   */
  async startJoining(): Promise<{ node: NodeHandle; member: string }> {
    if (this.nodes.length === 0) throw new Error('start the broker cluster before adding a replica');
    const replica = this.spares.shift();
    if (replica === undefined) throw new Error(`a scenario may add at most ${SPARE_REPLICAS} replicas to a cluster (their endpoints are reserved at its start, so every worker and client has a link to them)`);
    this.endpoints.push(replica);
    const node = await this.context.runtime.start(await this.specFor(replica, true));
    this.nodes.push(node);
    return { node, member: member(replica.name, replica.clientSelf, replica.replicationSelf) };
  }

  /** A replica the cluster removed: no longer asked who leads, nor listed to nodes started after. Its process is the caller's to stop. */
  forget(name: string): void {
    if (!this.names.includes(name)) throw new Error(`${name} is not a replica of this cluster (${this.names.join(', ')})`);
    this.removed.add(name);
  }

  private async endpointsFor(name: string): Promise<ReplicaEndpoints> {
    const { runtime } = this.context;
    const clientPort = await runtime.allocatePort(name);
    const replicationPort = await runtime.allocatePort(name);
    return {
      name,
      clientSelf: await runtime.selfEndpoint(name, clientPort),
      replicationSelf: await runtime.selfEndpoint(name, replicationPort),
      clientPeer: await runtime.peerEndpoint(name, clientPort),
      replicationPeer: await runtime.peerEndpoint(name, replicationPort),
      clientHarness: await runtime.harnessEndpoint(name, clientPort),
      stateDir: runtime.stateDir(name, path.join(this.context.stateDir, name)),
    };
  }

  private async specFor(replica: ReplicaEndpoints, join: boolean): Promise<NodeSpec> {
    return this.context.implementation.broker({
      name: replica.name,
      bind: replica.clientSelf,
      timing: this.context.timing,
      stateDir: replica.stateDir,
      replica: { nodeId: replica.name, cluster: await this.clusterAsSeenBy(replica), dataDir: path.join(replica.stateDir, 'replicated'), ...(join ? { join } : {}) },
      ...(this.security === undefined ? {} : { security: this.security }),
    });
  }

  /** The `--cluster` value for one replica: itself as it binds, every other replica's replication endpoint through its link. */
  private async clusterAsSeenBy(self: ReplicaEndpoints): Promise<string> {
    const members: string[] = [];
    for (const other of this.endpoints) {
      if (other === self) {
        members.push(member(self.name, self.clientSelf, self.replicationSelf));
        continue;
      }
      const replication = this.context.network ? (await this.context.network.link(self.name, other.name, other.replicationPeer)).endpoint : other.replicationPeer;
      members.push(member(other.name, other.clientSelf, replication));
    }
    return members.join(',');
  }

  /** Nodes started from now on list `name` first (the rest in order): a client that tries a restarted old leader before anyone else. */
  listFirst(name: string): void {
    if (!this.names.includes(name)) throw new Error(`${name} is not a replica of this cluster (${this.names.join(', ')})`);
    this.listedFirst = name;
  }

  /** Every replica's client endpoint as `node` reaches it (its own links through the fault proxy), comma-separated, broker-1 first (or the one `listFirst` named). */
  async addressesFor(node: string): Promise<string> {
    if (this.endpoints.length === 0) throw new Error('start the broker cluster before the nodes that connect to it');
    const first = this.members.filter((replica) => replica.name === this.listedFirst);
    const addresses: string[] = [];
    for (const replica of [...first, ...this.members.filter((each) => !first.includes(each))]) addresses.push(await this.clientEndpointFrom(node, replica));
    return addresses.join(',');
  }

  /**
   * `<node id>=<endpoint>` for every replica started or reserved, as `node` reaches its client endpoint:
   * a client or worker told of a leader by node id (a redirect, a TERM, `mmi.khr`) goes there through its own link.
   */
  async routesFor(node: string): Promise<string> {
    if (this.endpoints.length === 0) throw new Error('start the broker cluster before the nodes that connect to it');
    const routes: string[] = [];
    for (const replica of [...this.endpoints, ...this.spares]) routes.push(`${replica.name}=${await this.clientEndpointFrom(node, replica)}`);
    return routes.join(',');
  }

  private async clientEndpointFrom(node: string, replica: ReplicaEndpoints): Promise<string> {
    return this.context.network ? (await this.context.network.link(node, replica.name, replica.clientPeer)).endpoint : replica.clientPeer;
  }

  /** Each replica's client endpoint for the harness's own questions. */
  get harnessEndpoints(): string[] {
    return this.members.map((replica) => replica.clientHarness);
  }

  /**
   * Who leads now: every replica asked `mmi.khr` at once, each for at most `timeoutMs`; undefined
   * when no answer at the highest term names a replica (an election in progress, or none answered).
   */
  async leader(timeoutMs: number): Promise<ClusterLeader | undefined> {
    return leaderOf(await this.answers(timeoutMs));
  }

  /** Every replica's `mmi.khr` answer, asked at once, each for at most `timeoutMs`. */
  async answers(timeoutMs: number): Promise<ReplicaAnswer[]> {
    const security = this.context.security?.harnessPeer(CLUSTER_KEY_NAME);
    return Promise.all(
      this.members.map(async (replica) => ({ replica: replica.name, clientEndpoints: [replica.clientSelf, replica.clientPeer], answer: await askKhr(replica.clientHarness, timeoutMs, security) })),
    );
  }

  /**
   * Polls the replicas until one leads and `also` holds of the answers (a restarted replica following
   * that leader, say); rejects naming `what` after `boundMs`. Each round asks for at most `askMs`.
   */
  async awaitLeader(boundMs: number, what: string, also: (leader: ClusterLeader, answers: readonly ReplicaAnswer[]) => boolean = () => true, askMs = 500): Promise<ClusterLeader> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      const answers = await this.answers(askMs);
      const found = leaderOf(answers);
      if (found !== undefined && also(found, answers)) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${boundMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
