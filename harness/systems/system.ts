import type { FaultEffect } from '../history/event';
import type { HistoryRecorder } from '../history/recorder';
import type { ProxiedNetwork } from '../network/proxied-network';
import type { NodeHandle } from '../runtime/node-handle';
import type { Runtime } from '../runtime/runtime';
import type { Timing } from '../timing/timing';
import type { SecurityProvider } from './node-security';

/**
 * How a fault reaches the nodes it names: a node fault acts on the node itself; a link fault acts on
 * links whose ends are the nodes named, and the hub's end of a link carries only what its peer sends.
 */
export type FaultScope = 'node' | 'links';

/** What a fault on some nodes hits in a system (`FaultEffect` without what the nemesis adds itself). */
export type SystemHit = Pick<FaultEffect, 'hit' | 'jobsInFlight' | 'messagesOwed' | 'subscriptions' | 'putsInFlight'> & { hit: boolean };

/**
 * A system under test as the scenario, the nemeses and the storm runner see it: nodes around a hub,
 * and an honest answer to "what would a fault on these nodes hit now?". Each system also has a typed
 * API of its own (start its roles, its workload, its expectations) for the steps that are about it.
 */
export interface System {
  /** Also the system's folder under harness/systems/. */
  readonly name: string;
  /** Every node started so far. */
  readonly nodes: readonly NodeHandle[];
  /** The node named so; throws naming the nodes there are. */
  node(name: string): NodeHandle;
  /** The node every other one talks through (broker, pub/sub proxy), once started. */
  readonly hub: NodeHandle | undefined;
  /** The nodes around the hub a crash storm faults besides it (workers, subscribers). */
  readonly peers: readonly NodeHandle[];
  /** What a fault on `nodes` would hit now: `hit: false` makes the fault an `ineffective-fault`. */
  faultEffect(nodes: readonly string[], scope: FaultScope): SystemHit;
  /** A node was killed: whatever it held in flight is gone with it. */
  forgetInFlight(node: string): void;
  /** Stops the system's own load (workloads) at teardown, before its nodes go. */
  stopLoad(): void;
  /** Stops recording node reports: the history is final (teardown). */
  seal(): void;
  /** A system whose hub is replicated (a broker cluster, KHR/1): its replicas, for the faults aimed at the leader or shaped over the cluster. */
  readonly replicaSet?: ReplicaSet;
}

/**
 * The replicas of a replicated hub as the nemesis sees them: their names, the nodes around them
 * (clients and workers, which the shapes that split the cluster place on both sides) and who leads.
 */
export interface ReplicaSet {
  readonly names: readonly string[];
  readonly others: readonly string[];
  /** The leader and its term, asked of the replicas now (bounded by `timeoutMs`); undefined when none is known. */
  leader(timeoutMs: number): Promise<{ leader: string; term: number } | undefined>;
}

/**
 * What any system is built from: the scenario's own runtime, timing, history and network, and the
 * implementation under test, of which a system needs only the start methods of its own roles (`Starters`).
 */
export interface SystemContext<Starters = unknown> {
  readonly runtime: Runtime;
  readonly implementation: Starters;
  readonly timing: Timing;
  readonly history: HistoryRecorder;
  /** Per-node state folders (a durable broker's journal) live under it. */
  readonly stateDir: string;
  /** Without a network, nodes connect to each other directly (no link faults possible). */
  readonly network?: ProxiedNetwork;
  /** A secure run's keys and policy, for each node the system starts; absent, the run is unauthenticated. */
  readonly security?: SecurityProvider;
}

/** A kind of system: its name and how to build one. A scenario builds each only when a step first asks for it. */
export interface SystemDefinition<S extends System = System, Starters = unknown> {
  readonly name: string;
  /** The guarantees an implementation of this system can claim, weakest first: its profile ladder. */
  readonly profiles: readonly string[];
  /** A property, not a method, so a definition needing fewer starters fits a context with more (checked contravariantly). */
  readonly create: (context: SystemContext<Starters>) => S;
}

/** The node named so among `nodes`, or an error naming the ones there are. */
export function nodeNamed(nodes: readonly NodeHandle[], name: string): NodeHandle {
  const found = nodes.find((node) => node.name === name);
  if (!found) throw new Error(`no node named "${name}" (nodes: ${nodes.map((n) => n.name).join(', ') || 'none'})`);
  return found;
}
