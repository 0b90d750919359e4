import path from 'node:path';
import { declareRole, LISTENER_PLACEHOLDERS, listenerValues, type ListenerParams, type NodeParams, type RoleStarters } from '../role';
import { driver, heartbeatArgs, node, reconnectArgs, retryArgs } from '../reference-cli';

/** The proxy's state folder is where it keeps its journal. */
export interface PubSubProxyParams extends ListenerParams {
  /** Messages one subscriber may have pending before puts on its topics are refused (KHP/1 proxy rule 4). */
  maxPending: number;
  /** ms without a session after which a subscriber id loses its subscriptions (KHP/1 proxy rule 13). */
  subscriberEviction: number;
  /** (publisher, message id) pairs the proxy remembers for dedup (KHP/1 proxy rule 2). */
  dedupRetention: number;
  /** Journal records past which the proxy compacts (proxy rule 11); small, so a scenario reaches compaction in seconds. */
  compactionThreshold: number;
}

export interface PublisherParams extends NodeParams {
  /** Where the publisher finds the proxy. The name is also the publisher's id: deliveries name the publisher by it. */
  proxy: string;
}

export interface SubscriberParams extends NodeParams {
  /** The name is also the durable subscriber id, the same across restarts so it gets what it missed. */
  proxy: string;
  /** The subscriber's own directory that outlives its restarts: where it keeps its positions. */
  stateDir: string;
}

/** The pub/sub roles (KHP/1): the one place that says how each is started and what a manifest may fill in. */
export const PUBSUB_ROLES = {
  pubsubProxy: declareRole<PubSubProxyParams>()({
    role: 'pubsub-proxy',
    listens: true,
    placeholders: [...LISTENER_PLACEHOLDERS, 'maxPending', 'subscriberEviction', 'dedupRetention', 'compactionThreshold'],
    values: (params) => ({
      ...listenerValues(params),
      maxPending: params.maxPending,
      subscriberEviction: params.subscriberEviction,
      dedupRetention: params.dedupRetention,
      compactionThreshold: params.compactionThreshold,
    }),
    reference: ({ name, bind, timing, stateDir, maxPending, subscriberEviction, dedupRetention, compactionThreshold }) =>
      node([
        'pubsub-proxy', '--name', name, '--endpoint', bind, '--journal', path.join(stateDir, 'journal'),
        '--max-pending', String(maxPending), '--subscriber-eviction', String(subscriberEviction),
        '--dedup-retention', String(dedupRetention), '--compaction-min-records', String(compactionThreshold), ...heartbeatArgs(timing),
      ]),
  }),
  publisher: declareRole<PublisherParams>()({
    role: 'publisher',
    placeholders: ['proxy'],
    reference: ({ name, proxy, timing }) => driver(['publish', '--driver', '--name', name, '--id', name, '--proxy', proxy, ...retryArgs(timing)]),
    withForeignHub: { hub: 'pubsub-proxy', args: ['--window', '1'] },
  }),
  subscriber: declareRole<SubscriberParams>()({
    role: 'subscriber',
    placeholders: ['proxy', 'stateDir'],
    reference: ({ name, proxy, timing, stateDir }) =>
      node(['subscribe', '--driver', '--name', name, '--id', name, '--proxy', proxy, '--positions', path.join(stateDir, 'positions'), ...heartbeatArgs(timing), ...reconnectArgs(timing)]),
  }),
};

/** What the pub/sub system needs of an implementation: a way to start each of its roles. */
export type PubSubStarters = RoleStarters<typeof PUBSUB_ROLES>;
