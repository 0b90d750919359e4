import path from 'node:path';
import { declareRole, LISTENER_PLACEHOLDERS, listenerValues, type ListenerParams, type NodeParams, type RoleStarters } from '../role';
import { driver, heartbeatArgs, node, reconnectArgs, retryArgs } from '../reference-cli';
import { formatWorkerMode, type WorkerMode } from '../../../reference/control/worker-mode';
import { DERIVED_RETRY_POLICY } from '../../timing/timing';
import { parseClusterMember, type ClusterMember } from '../../../reference/cluster/cluster-members';

/** `{{retentionMs}}` when a scenario sets none: the reference broker's default, 10 minutes, longer than any scenario. */
export const DEFAULT_RETENTION_MS = 10 * 60_000;

/**
 * One replica of a replicated broker (KHR/1): its node id, the `--cluster` value as this replica
 * sees the cluster (its own endpoints as it binds them; the others' replication endpoints through
 * this replica's fault-proxy links) and its data folder, kept across its restarts.
 */
export interface ReplicaParams {
  nodeId: string;
  cluster: string;
  dataDir: string;
  /** A replica added to a running cluster: it starts empty and no voter, until the leader adds it (`--join`). The reference only, for now. */
  join?: boolean;
}

/** The broker's state folder is where a durable broker keeps its journal; a replica also has its cluster settings. */
export interface BrokerParams extends ListenerParams {
  replica?: ReplicaParams;
}

export interface WorkerParams extends NodeParams {
  /** Where the worker finds the broker: for a cluster, every replica's client endpoint as the worker sees it, comma-separated. */
  broker: string;
  /** For a cluster: `<node id>=<endpoint>` per replica, including those not started yet, as this node reaches it (its own fault-proxy links). */
  brokerRoutes?: string;
  service: string;
  /** Simulated work per job, in ms (the reference echo worker sleeps that long). */
  workMs: number;
  /** Chaos mode (docs/drivers.md, "Worker modes"): busy (stuck on its first job) or slow; default normal. The reference worker only, for now. */
  mode?: WorkerMode;
  /** KHR/1 asked of this node whatever its endpoints (`on`), or refused (`off`: KHX/1 only); absent: as the endpoints say. */
  khr?: KhrMode;
}

export interface ClientParams extends NodeParams {
  /** As a worker's: one endpoint, or for a cluster the comma list of the replicas'. */
  broker: string;
  /** As a worker's. */
  brokerRoutes?: string;
  /** As a worker's. */
  khr?: KhrMode;
}

/** `{{khr}}`: whether a worker or client speaks KHR/1 (KHR/1, "Degrading"): `auto` (with several endpoints), `on` or `off`. */
export type KhrMode = 'on' | 'off';

/** The reference client's and worker's `--khr`, when a scenario asks for one. */
function khrArgs(khr: KhrMode | undefined): string[] {
  return khr === undefined ? [] : ['--khr', khr];
}

/** `{{broker}}` is the first endpoint (a single broker's), `{{brokers}}` the whole comma list (a cluster's), `{{brokerRoutes}}` each replica by node id (empty without a cluster). */
function brokerValues(broker: string, brokerRoutes = ''): { broker: string; brokers: string; brokerRoutes: string } {
  return { broker: broker.split(',')[0], brokers: broker, brokerRoutes };
}

/** The reference client's and worker's `--broker-route`, when the harness has routes to give. */
function routeArgs(brokerRoutes: string | undefined): string[] {
  return brokerRoutes === undefined || brokerRoutes === '' ? [] : ['--broker-route', brokerRoutes];
}

/** A replica's `--cluster` value split into its own entry and the others' (`{{peers}}`, as it reaches them). */
export function splitCluster(cluster: string, nodeId: string): { self?: ClusterMember; peers: string } {
  const entries = cluster.split(',').filter((entry) => entry !== '');
  const own = entries.find((entry) => entry.slice(0, entry.indexOf('=')) === nodeId);
  return { ...(own === undefined ? {} : { self: parseClusterMember(own) }), peers: entries.filter((entry) => entry !== own).join(',') };
}

/** `{{peers}}` and `{{replicationBind}}` of a replica (empty for a single broker). */
function replicaValues(replica: ReplicaParams | undefined): { peers: string; replicationBind: string } {
  if (replica === undefined) return { peers: '', replicationBind: '' };
  const { self, peers } = splitCluster(replica.cluster, replica.nodeId);
  return { peers, replicationBind: self?.replication ?? '' };
}

/** The request-reply roles (7/MDP, KHX/1): the one place that says how each is started and what a manifest may fill in. */
export const REQUEST_REPLY_ROLES = {
  broker: declareRole<BrokerParams>()({
    role: 'broker',
    listens: true,
    placeholders: [...LISTENER_PLACEHOLDERS, 'processingTimeout', 'serviceClasses', 'retentionMs', 'nodeId', 'cluster', 'dataDir', 'peers', 'replicationBind', 'join'],
    values: (params) => ({
      ...listenerValues(params),
      processingTimeout: params.timing.processingTimeout ?? 'off',
      serviceClasses: params.timing.serviceClasses ?? 'off',
      retentionMs: params.timing.retentionMs ?? DEFAULT_RETENTION_MS,
      // A single broker is a cluster of itself: its name, no members, its state folder.
      nodeId: params.replica?.nodeId ?? params.name,
      cluster: params.replica?.cluster ?? '',
      dataDir: params.replica?.dataDir ?? params.stateDir,
      ...replicaValues(params.replica),
      // A replica added to a running cluster starts empty and waits to be added; the first replicas boot the cluster.
      join: params.replica?.join === true ? 'true' : 'false',
    }),
    reference: ({ name, bind, timing, stateDir, replica }) =>
      node([
        'broker',
        '--name', name,
        // A replica binds the endpoints its own --cluster entry names.
        ...(replica === undefined ? ['--endpoint', bind] : ['--node-id', replica.nodeId, '--cluster', replica.cluster, '--data-dir', replica.dataDir, ...(replica.join === true ? ['--join'] : [])]),
        ...heartbeatArgs(timing),
        '--request-expiry', String(timing.requestExpiry),
        // A replica keeps its records in its data folder (KHR/1); only a single broker has a journal of its own.
        ...(replica === undefined ? ['--journal', path.join(stateDir, 'journal')] : []),
        '--result-grace', String(timing.resultGrace),
        ...(timing.processingTimeout === undefined ? [] : ['--processing-timeout', String(timing.processingTimeout)]),
        ...(timing.retentionMs === undefined ? [] : ['--retention-ms', String(timing.retentionMs)]),
        ...(timing.serviceClasses === undefined ? [] : ['--service-class', timing.serviceClasses]),
      ]),
  }),
  worker: declareRole<WorkerParams>()({
    role: 'worker',
    placeholders: ['broker', 'brokers', 'brokerRoutes', 'khr', 'service', 'workMs', 'workerMode'],
    values: ({ broker, brokerRoutes, khr, service, workMs, mode }) => ({ ...brokerValues(broker, brokerRoutes), khr: khr ?? 'auto', service, workMs, workerMode: formatWorkerMode(mode ?? { kind: 'normal' }) }),
    reference: ({ name, broker, brokerRoutes, khr, service, workMs, mode, timing }) =>
      node([
        'worker',
        '--name', name,
        '--broker', broker,
        ...routeArgs(brokerRoutes),
        ...khrArgs(khr),
        '--service', service,
        '--work-ms', String(workMs),
        ...(mode === undefined || mode.kind === 'normal' ? [] : ['--mode', formatWorkerMode(mode)]),
        ...heartbeatArgs(timing),
        ...reconnectArgs(timing),
      ]),
  }),
  client: declareRole<ClientParams>()({
    role: 'client',
    placeholders: ['broker', 'brokers', 'brokerRoutes', 'khr', 'serviceClasses', 'retryPolicy'],
    values: ({ broker, brokerRoutes, khr, timing }) => ({ ...brokerValues(broker, brokerRoutes), khr: khr ?? 'auto', serviceClasses: timing.serviceClasses ?? 'off', retryPolicy: timing.retryPolicy ?? DERIVED_RETRY_POLICY }),
    reference: ({ name, broker, brokerRoutes, khr, timing }) =>
      driver([
        'client', '--driver', '--name', name, '--broker', broker, ...routeArgs(brokerRoutes), ...khrArgs(khr), ...retryArgs(timing),
        ...(timing.serviceClasses === undefined ? [] : ['--service-class', timing.serviceClasses]),
        ...(timing.retryPolicy === undefined ? [] : ['--retry', timing.retryPolicy]),
      ]),
  }),
};

/** What the request-reply system needs of an implementation: a way to start each of its roles. */
export type RequestReplyStarters = RoleStarters<typeof REQUEST_REPLY_ROLES>;
