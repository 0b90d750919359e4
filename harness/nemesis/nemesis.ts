import type { NemesisEvent } from '../history/event';
import type { HistoryRecorder } from '../history/recorder';
import type { ProxiedNetwork } from '../network/proxied-network';
import type { Runtime } from '../runtime/runtime';
import type { NodeHandle } from '../runtime/node-handle';
import { Inconclusive } from '../verdict/inconclusive';
import type { NodePowerLoss } from './power-loss/node-power-loss';
import { nodeNamed, type ReplicaSet } from '../systems/system';
import { withFaultAnnotation } from './fault-annotation';
import { clusterShape, ClusterShapeError } from './cluster-shape';
import { describeFault, isNodeFault, LEADER_TARGET, type ClusterPartitionFault, type Fault, type LinkFault, type NodeFault } from './fault';
import { LinkNemesis, type ActiveLinkFault } from './link-nemesis';
import { NodeNemesis } from './node-nemesis';
import type { SystemsInPlay } from './what-it-hits';
import { runTrigger, type TriggerOutcome } from './trigger-nemesis';
import type { MessageTriggeredFault } from './triggered-fault';

/**
 * One door for every fault: `invoke(fault)` carries out any `Fault` (node or link) and resolves with
 * its nemesis start event, whose `effect` says what it hit. Node faults and link faults with a
 * duration run to their end; a link fault without one stays in force until `healAll()`.
 */
export class Nemesis {
  readonly nodes: NodeNemesis;
  /** Present when links are proxied: link faults act through it. */
  readonly links?: LinkNemesis;

  constructor(
    private readonly runtime: Runtime,
    private readonly systems: SystemsInPlay,
    private readonly history: HistoryRecorder,
    private readonly network?: ProxiedNetwork,
    /** How long each replica may take to answer `mmi.khr` when a fault needs the leader. */
    private readonly leaderQueryMs = 1_000,
  ) {
    this.nodes = new NodeNemesis(systems, history);
    if (network) this.links = new LinkNemesis(network, systems, history);
  }

  async invoke(fault: Fault): Promise<NemesisEvent> {
    if (fault.kind === 'on-message') return (await this.trigger(fault)).trigger;
    if (fault.kind === 'cluster-partition') return this.partitionCluster(fault);
    if (isNodeFault(fault)) return this.onNode(fault);
    const active = await this.begin(fault);
    if (fault.durationMs !== undefined) await active.healAfter(fault.durationMs);
    return active.event;
  }

  /** A link fault in force until its handle (or `healAll`) heals it: for steps that heal at a moment of their own. */
  begin(fault: LinkFault): Promise<ActiveLinkFault> {
    return this.linkNemesis(describeFault(fault)).begin(fault, fault.links, fault.direction);
  }

  /**
   * A fault struck at a protocol moment: waits for the message on the fault proxy, strikes, releases
   * the held message (trigger-nemesis.ts). Resolves once the struck fault has ended (a link fault
   * without a duration stays in force), with the trigger's start event and the struck fault's.
   */
  trigger(fault: MessageTriggeredFault, onArmed?: () => void): Promise<TriggerOutcome> {
    const links = this.linkNemesis(describeFault(fault));
    return runTrigger(fault, {
      network: this.network!,
      history: this.history,
      select: (selector) => links.select(selector),
      node: (name) => nodeNamed(this.systems().flatMap((system) => system.nodes), name),
      invokeNodeFault: (then) => this.onNode(then),
      beginLinkFault: (then) => this.begin(then),
    }, onArmed);
  }

  /** Heals every link fault still in force. */
  async healAll(): Promise<void> {
    await this.links?.healAll();
  }

  /**
   * A node fault on a replica of a replicated hub is annotated with who led when it struck (so the
   * checks can tell a fault on the leader); one aimed at `leader` strikes whichever replica leads.
   * With no replicated hub in play, the fault is carried out as it is.
   */
  private async onNode(fault: NodeFault): Promise<NemesisEvent> {
    const replicas = this.replicaSet();
    if (replicas === undefined || (fault.target !== LEADER_TARGET && !replicas.names.includes(fault.target))) {
      if (fault.target === LEADER_TARGET) throw new Error(`${describeFault(fault)}: no replicated broker in this scenario, so there is no leader to strike`);
      return this.onNodeNamed(fault);
    }
    const found = await replicas.leader(this.leaderQueryMs);
    if (fault.target !== LEADER_TARGET) return withFaultAnnotation(found ?? {}, () => this.onNodeNamed(fault));
    if (found === undefined) throw new Inconclusive(`${describeFault(fault)}: no replica of ${replicas.names.join(', ')} named a leader within ${this.leaderQueryMs} ms (mmi.khr): there was nobody to strike`);
    return withFaultAnnotation(found, () => this.onNodeNamed({ ...fault, target: found.leader }));
  }

  /**
   * A partition shaped over the cluster (cluster-shape.ts): the groups drawn around the leader found
   * now, the links between nodes sharing no group cut, the leader, term and groups recorded.
   */
  private async partitionCluster(fault: ClusterPartitionFault): Promise<NemesisEvent> {
    const replicas = this.replicaSet();
    if (replicas === undefined) throw new Error(`${describeFault(fault)}: no replicated broker in this scenario`);
    const found = await replicas.leader(this.leaderQueryMs);
    let groups: string[][];
    try {
      groups = clusterShape(fault.shape, {
        brokers: replicas.names,
        others: replicas.others,
        ...(found ? { leader: found.leader } : {}),
        ...(fault.seed !== undefined ? { seed: fault.seed } : {}),
        ...(fault.deposed !== undefined ? { deposed: fault.deposed } : {}),
      }).groups;
    } catch (error) {
      // No leader to shape around, or a deposed leader that won again, is the harness not creating its condition, not the cluster failing.
      if (error instanceof ClusterShapeError && (found === undefined || found.leader === fault.deposed)) throw new Inconclusive(`${describeFault(fault)}: ${error.message}`);
      throw error;
    }
    const partition: LinkFault = { kind: 'partition', links: { groups }, ...(fault.durationMs !== undefined ? { durationMs: fault.durationMs } : {}) };
    return withFaultAnnotation({ ...(found ?? {}), partition: { shape: fault.shape, groups } }, () => this.invoke(partition));
  }

  /** The replicated hub in play, if any (one per scenario). */
  private replicaSet(): ReplicaSet | undefined {
    return this.systems().find((system) => system.replicaSet !== undefined)?.replicaSet;
  }

  private onNodeNamed(fault: NodeFault): Promise<NemesisEvent> {
    const node = nodeNamed(this.systems().flatMap((system) => system.nodes), fault.target);
    switch (fault.kind) {
      case 'kill':
        return this.nodes.kill(node);
      case 'crash-restart':
        return this.nodes.kill(node, { restartAfterMs: fault.pauseMs });
      case 'freeze':
        return this.nodes.freeze(node, fault.durationMs);
      case 'stop':
        return this.nodes.stop(node, fault.how, fault.graceMs, fault.restartAfterMs);
      case 'clock-skew': {
        if (!this.runtime.clock) throw new Error(`the ${this.runtime.kind} runtime cannot skew a node's clock (docs/clock-skew.md)`);
        return this.nodes.skewClock(node, this.runtime.clock(node), fault);
      }
      case 'lose-unsynced-writes':
        return this.nodes.losePower(node, this.powerLossOf(node), fault);
      case 'disk-full':
      case 'fsync-fails':
      case 'read-only': {
        const powerLoss = this.powerLossOf(node);
        if (!powerLoss.disk) throw new Inconclusive(`${node.name} has no disk-fault switch in the ${this.runtime.kind} runtime (docs/disk-faults.md)`);
        return this.nodes.failDisk(node, powerLoss.disk, () => powerLoss.reaches(), fault);
      }
      case 'isolate': {
        const isolation = this.runtime.isolation?.(node);
        if (isolation) return this.nodes.disconnect(node, fault.durationMs, isolation);
        if (!this.network) throw new Error(`the ${this.runtime.kind} runtime cannot disconnect ${node.name}, and this scenario has no fault proxy to partition its links`);
        // Without a runtime disconnect, every link of the node through the fault proxy.
        return this.invoke({ kind: 'partition', links: { of: [node.name] }, durationMs: fault.durationMs });
      }
    }
  }

  /**
   * What a power cut of `node` acts through. A node the runtime cannot cut (no compiler for the
   * ledger library, an image of its own) is the harness failing to create the fault, not the
   * node failing it: INCONCLUSIVE, saying why.
   */
  private powerLossOf(node: NodeHandle): NodePowerLoss {
    if (!this.runtime.powerLoss) throw new Inconclusive(`the ${this.runtime.kind} runtime cannot cut a node's power (lose its unsynced writes; docs/power-loss.md)`);
    try {
      return this.runtime.powerLoss(node);
    } catch (error) {
      throw new Inconclusive(error instanceof Error ? error.message : String(error));
    }
  }

  private linkNemesis(what: string): LinkNemesis {
    if (!this.links) throw new Error(`${what}: this scenario runs without the fault proxy, so links cannot be faulted`);
    return this.links;
  }
}
