import { DEFAULT_MDP_LIMITS } from './mdp/codec';

/*
 * The reference nodes' defaults, apart from the nodes: the CLI shows them in every command's --help,
 * and a node command should not load the other nodes (a worker process, the broker's code) to do so.
 * The nodes' modules re-export them.
 */

/** What peers may make the broker hold (docs/limits.md). */
export interface BrokerLimits {
  /** Largest message in bytes (ZMQ_MAXMSGSIZE): a peer that sends more is disconnected by libzmq. */
  maxMessageSize: number;
  /** Most frames in one message; more is malformed. */
  maxFrames: number;
  /** Longest service name in bytes; longer is malformed. */
  maxServiceNameBytes: number;
  /** Most services known at once (a service with no worker and no queued request is removed on the next tick). */
  maxServices: number;
  /** Most requests one client socket may have in the broker's hands (queued or dispatched). */
  maxRequestsPerPeer: number;
  /**
   * A KHX/1 job still without a result this long after it was accepted (or recovered) is given up
   * (504: it may have run, it will not run again), and the worker holding it, if any, is disconnected.
   */
  jobDeadline: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxMessageSize: 16 * 1024 * 1024,
  maxFrames: DEFAULT_MDP_LIMITS.maxFrames,
  maxServiceNameBytes: DEFAULT_MDP_LIMITS.maxServiceNameBytes,
  maxServices: 10_000,
  maxRequestsPerPeer: 1_000,
  jobDeadline: 60 * 60_000,
};

export const DEFAULT_BROKER_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  requestExpiry: 30_000,
  retentionMs: 10 * 60_000,
  retentionCount: 100_000,
} as const;


export const DEFAULT_WORKER_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  reconnectInitial: 100,
  reconnectMax: 5000,
} as const;

export const DEFAULT_CLIENT_OPTIONS = {
  timeout: 2500,
  attempts: 3,
  backoffInitial: 100,
  backoffMax: 2000,
  checkService: true,
  serviceCheckTtl: 1000,
} as const;
