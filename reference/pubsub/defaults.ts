/*
 * The KHP/1 reference nodes' defaults and bounds, apart from the nodes: the CLI shows them in its
 * --help, and a node command should not load the other nodes to do so. The nodes' modules re-export them.
 */

export const DEFAULT_PROXY_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  maxPending: 10_000,
  window: 64,
  dedupRetention: 100_000,
  maxMessageSize: 16 * 1024 * 1024,
  maxTopics: 10_000,
  subscriberEviction: 60 * 60 * 1000,
} as const;

/**
 * The largest window: a window sent again behind its first copies still queued (proxy unreachable)
 * must fit in the DEALER's send high-water mark of 1000, or sends fail and count as lost attempts.
 */
export const MAX_PUBLISHER_WINDOW = 500;

export const DEFAULT_PUBLISHER_OPTIONS = { timeout: 2500, attempts: 5, backoffInitial: 100, backoffMax: 2000, window: 128 } as const;

export const DEFAULT_SUBSCRIBER_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  reconnectInitial: 100,
  reconnectMax: 5000,
  requestTimeout: 1000,
  operationTimeout: 10_000,
  batch: 64,
} as const;
