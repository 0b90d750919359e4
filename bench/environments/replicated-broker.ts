import { decodeKhrJobReply, encodeKhrJobRequest } from '../../reference/mdp/codec';
import type { Environment } from '../measurement';
import { khxPipelined, khxSync, storeCounters, withStoreCounters, type KhxBroker } from './durable-broker';
import { ReplicaSet, type ClusterTimings } from './replica-set';

/**
 * The replicated broker (KHR/1, issue 20) under the load of the durable KHX/1 rows: a 3-replica
 * cluster (replica-set.ts, fsync on every replica) against the single broker with its journal. The
 * sync row's MajordomoClient gets all three endpoints (it asks `mmi.khr`, goes to the leader and
 * speaks KHRC01); the pipelined DEALERs go to the leader found at start, in KHRC01. Every job is
 * answered only once a majority has its records durably (rule 3), so each answer waits for the
 * leader's fsync and a follower's, one network round trip apart.
 */
interface ReplicatedBroker extends KhxBroker {
  pipelinedEndpoint: string;
}

/** The CLI's defaults (`keelhaul broker --cluster`); the 7/MDP heartbeat of the other broker rows. */
const TIMINGS: ClusterTimings = { electionTimeoutMs: 1000, raftHeartbeatMs: 100, heartbeatMs: 1000 };

const replicatedBroker: Environment<ReplicatedBroker> = {
  id: 'khr-cluster',
  description: '3-replica reference broker cluster, fsync on (3 processes) + MajordomoWorker echo workers (one process)',
  async start(context) {
    const cluster = await ReplicaSet.start(context, 'khr', TIMINGS);
    const leader = await cluster.leaderWithWorkers(context.timeoutMs);
    return {
      endpoint: cluster.endpoints,
      pipelinedEndpoint: leader.client,
      // The leader's job store counts the records it replicated; a leader change fails the run anyway (replies time out).
      stats: () => storeCounters(leader.child),
    };
  },
};

const TITLE = 'KHR/1 cluster, 3 replicas + fsync';

export const khrSync = withStoreCounters(khxSync({ environment: replicatedBroker, id: 'khr.sync', title: `${TITLE} (MajordomoClient, 3 endpoints)`, baseline: 'khx.durable.sync' }));
export const khrPipelined = withStoreCounters(
  khxPipelined({ environment: replicatedBroker, id: 'khr.pipelined', title: `${TITLE} (raw KHRC01 DEALERs to the leader)`, baseline: 'khx.durable.pipelined' }, { encode: encodeKhrJobRequest, decode: decodeKhrJobReply }),
);
