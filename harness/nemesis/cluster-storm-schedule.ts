import { seededRandom } from '../util/random';
import { CLUSTER_SHAPES, type ClusterShapeName } from './cluster-shape';
import { between, placePeerFaults, sortSchedule, type CrashStormPlan, type FaultSchedule, type ScheduledClusterPartition, type ScheduledFault } from './fault-schedule';
import { LEADER_TARGET, type CrashRestartFault, type FreezeFault } from './fault';

/**
 * What a storm does to a replicated broker (KHR/1) and the workers around it: crashes of whichever
 * replica leads when each strikes, crashes of replicas drawn from the seed (a follower or the leader),
 * freezes of the leader (past the election timeout or not), cluster partitions in the shapes of
 * cluster-shape.ts, and the workers' crashes and freezes.
 */
export interface ClusterStormPlan extends Pick<CrashStormPlan, 'peerCrashes' | 'peerFreezes' | 'peers' | 'windowMs' | 'recoverMs' | 'pauseMs' | 'freezeMs'> {
  leaderCrashes: number;
  replicaCrashes: number;
  leaderFreezes: number;
  partitions: number;
  /** The replicas, `broker-1` … `broker-N`. */
  replicas: readonly string[];
  /** How long a leader freeze lasts, drawn from this range (ms): around the election timeout, so some outlast it and some do not. */
  leaderFreezeMs: readonly [number, number];
  /** How long a cluster partition lasts, drawn from this range (ms). */
  partitionMs: readonly [number, number];
  /**
   * The gap after a fault that may change the leader (a leader crash or freeze, a partition, a crash
   * of a replica that may be the leader), instead of `recoverMs`: a new leader holds the jobs it
   * inherits for its result grace, and one deposed again before that runs out never hands them on,
   * so leader changes closer than this would starve those jobs and test only the clients' patience.
   */
  leaderChangeRecoverMs: number;
}

/**
 * The shapes a storm draws for a cluster of `count` brokers (a majorities ring needs 4 or more). Not
 * leader-cut-from-clients: it changes no leader and only waits out its length, so a storm's seeds
 * keep the schedules they always drew; nor clients-reach-only-deposed, which needs a deposed leader
 * that a step names.
 */
export function shapesFor(count: number): ClusterShapeName[] {
  return CLUSTER_SHAPES.filter((shape) => shape !== 'leader-cut-from-clients' && shape !== 'clients-reach-only-deposed' && (shape === 'majorities-ring' ? count >= 4 : shape === 'bridge' ? count >= 3 : count >= 2));
}

type ClusterFaultKind = 'leader-crash' | 'replica-crash' | 'leader-freeze' | 'partition';

/**
 * A cluster storm drawn from `seed` alone (the same seed and plan, the same faults at the same
 * offsets). The cluster's faults are one lane: spread evenly over the window with jitter, in an order
 * the seed shuffles, each `leaderChangeRecoverMs` after the previous one ended (`recoverMs` after a
 * replica crash), because two at once would often leave no majority and test only waiting. The workers' faults are placed as in a star's storm.
 */
export function clusterStormSchedule(seed: string, plan: ClusterStormPlan): FaultSchedule {
  if (plan.replicas.length === 0) throw new Error('a cluster storm needs the replicas');
  if (plan.peers.length === 0 && plan.peerCrashes + plan.peerFreezes > 0) throw new Error('a cluster storm with worker faults needs workers');
  const shapes = shapesFor(plan.replicas.length);
  if (plan.partitions > 0 && shapes.length === 0) throw new Error(`a cluster of ${plan.replicas.length} broker(s) takes no partition shape`);
  const random = seededRandom(`cluster-storm:${seed}`);
  const replicas = [...plan.replicas].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const peers = [...plan.peers].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

  const kinds: ClusterFaultKind[] = [
    ...Array.from({ length: plan.leaderCrashes }, () => 'leader-crash' as const),
    ...Array.from({ length: plan.replicaCrashes }, () => 'replica-crash' as const),
    ...Array.from({ length: plan.leaderFreezes }, () => 'leader-freeze' as const),
    ...Array.from({ length: plan.partitions }, () => 'partition' as const),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }

  const faults: ScheduledFault[] = [];
  const slot = plan.windowMs / Math.max(1, kinds.length);
  let laneFreeAt = 0;
  kinds.forEach((kind, i) => {
    const fault = clusterFault(kind, random, plan, replicas, shapes);
    const lasting = fault.kind === 'crash-restart' ? fault.pauseMs : fault.durationMs;
    const earliest = Math.max(i * slot, laneFreeAt);
    const at = Math.round(earliest + random() * Math.max(0, (i + 1) * slot - (kind === 'replica-crash' ? plan.recoverMs : plan.leaderChangeRecoverMs) - lasting - earliest));
    faults.push({ at, ...fault });
    // A crash of a replica drawn by the seed leaves the leader in place two times in three: the shorter gap.
    laneFreeAt = at + lasting + (kind === 'replica-crash' ? plan.recoverMs : plan.leaderChangeRecoverMs);
  });

  faults.push(...placePeerFaults(random, { ...plan, peers }, new Map()));
  return { seed, faults: sortSchedule(faults) };
}

/** One cluster fault of `kind`, its node, shape and length drawn from `random`. */
function clusterFault(kind: ClusterFaultKind, random: () => number, plan: ClusterStormPlan, replicas: readonly string[], shapes: readonly ClusterShapeName[]): CrashRestartFault | FreezeFault | ScheduledClusterPartition {
  switch (kind) {
    case 'leader-crash':
      return { kind: 'crash-restart', target: LEADER_TARGET, pauseMs: between(random, plan.pauseMs) };
    case 'replica-crash':
      return { kind: 'crash-restart', target: replicas[Math.floor(random() * replicas.length)], pauseMs: between(random, plan.pauseMs) };
    case 'leader-freeze':
      return { kind: 'freeze', target: LEADER_TARGET, durationMs: between(random, plan.leaderFreezeMs) };
    case 'partition':
      return {
        kind: 'cluster-partition',
        shape: shapes[Math.floor(random() * shapes.length)],
        // random-halves draws its halves from this, so the schedule names them as surely as the rest.
        seed: Math.floor(random() * 2 ** 31),
        durationMs: between(random, plan.partitionMs),
      };
  }
}
