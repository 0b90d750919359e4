import type { NodePowerLoss } from '../nemesis/power-loss/node-power-loss';
import type { NodeClock } from './fake-clock';
import type { NodeHandle } from './node-handle';
import type { NodeSpec } from './node-spec';

/** A Toxiproxy-compatible fault proxy placed where the nodes can reach it. */
export interface FaultProxyPlacement {
  /** The API's base URL, as the harness reaches it. */
  readonly url: string;
  /** A port for a new proxy to listen on. */
  allocatePort(): Promise<number>;
  /** The address a proxy listens on (`host:port`), where the fault proxy runs. */
  listenAddress(port: number): string;
  /** The endpoint nodes connect to for the proxy on `port`. */
  endpoint(port: number): string;
  close(): Promise<void>;
}

/**
 * Where nodes run: local processes, containers, ... Besides starting nodes, a runtime says how its
 * nodes address each other, because that differs: every process shares 127.0.0.1, while every
 * container has an address and a name of its own.
 */
export interface Runtime {
  readonly kind: string;
  /** Starts a node and resolves once it is ready; rejects with a NodeStartError (and its last log lines) otherwise. */
  start(spec: NodeSpec): Promise<NodeHandle>;
  /** Kills every node this runtime started (and removes what it made for them). Safe to call twice. */
  shutdown(): Promise<void>;
  /** A port `node` may listen on. */
  allocatePort(node: string): Promise<number>;
  /** The endpoint `node` binds to listen on `port`. */
  bindEndpoint(node: string, port: number): string;
  /** The endpoint other nodes use to reach `node` on `port` (before it starts, too). */
  peerEndpoint(node: string, port: number): Promise<string>;
  /**
   * One endpoint `node` can both bind on `port` and be dialled at by every other node: what a node
   * names itself by to its peers, who pass it on (a cluster replica's own `--cluster` entry, which its
   * brokers give clients as the leader's address). A wildcard such as `tcp://0.0.0.0` binds but names
   * nobody there, and not every implementation resolves a host name to bind.
   */
  selfEndpoint(node: string, port: number): Promise<string>;
  /** The endpoint the harness itself (probes, 8/MMI questions) uses to reach `node` on `port`. */
  harnessEndpoint(node: string, port: number): Promise<string>;
  /** Where `node` keeps state that outlives its restarts; `hostDir` is the scenario's folder for it. */
  stateDir(node: string, hostDir: string): string;
  /**
   * Makes the host folder `hostDir` readable by every node started from now on (a secure run's keys
   * and policy) and says where the nodes see it. The harness keeps writing to `hostDir` (a revocation
   * rewrites the policy) and the nodes see the change.
   */
  shareFolder(hostDir: string): string;
  /** Starts (or finds) a fault proxy the nodes can reach; its log goes to `logFile` where the runtime can. */
  faultProxy(logFile: string): Promise<FaultProxyPlacement>;
  /** Cuts a node off the network entirely, if the runtime can (containers can); undefined if it cannot. */
  isolation?(node: NodeHandle): { disconnect(): Promise<void>; reconnect(): Promise<void> } | undefined;
  /**
   * The node's wall clock, for clock-skew faults, where the runtime can set it (the process runtime
   * through libfaketime); throws saying why it cannot. Absent: the runtime cannot skew clocks at all.
   */
  clock?(node: NodeHandle): NodeClock;
  /** Why `clock` cannot give this scenario's nodes' clocks (what is missing, how to enable it); undefined when it can. */
  clockSkewProblem?(): string | undefined;
  /**
   * The node's files as a power cut would leave them, for lose-unsynced-writes faults, where the
   * runtime can tell (the process runtime through its ledger library); throws saying why it cannot.
   * Absent: the runtime cannot simulate a power cut at all.
   */
  powerLoss?(node: NodeHandle): NodePowerLoss;
  /** Why `powerLoss` cannot serve this scenario's nodes (what is missing, how to enable it); undefined when it can. */
  powerLossProblem?(): string | undefined;
}
