import { CrashStorm, type CrashStormResult, type StormTargets } from './crash-storm';
import { crashStormSchedule, scheduledOn, sortSchedule, type CrashStormPlan, type FaultSchedule, type ScheduledFault } from './fault-schedule';
import { clusterStormSchedule, type ClusterStormPlan } from './cluster-storm-schedule';
import { LEADER_TARGET } from './fault';
import type { ReplicaSet } from '../systems/system';
import type { Nemesis } from './nemesis';
import { runSeed } from '../util/run-seed';
import { livenessPeriod, type Timing } from '../timing/timing';
import { waitFor } from '../util/wait-for';
import type { System } from '../systems/system';
import type { StormLoad } from '../systems/storm-load';

/** How many faults of each kind a storm throws at a system's hub and peers, over how long. */
export interface SeededStormOptions {
  hubCrashes: number;
  peerCrashes: number;
  peerFreezes: number;
  windowMs: number;
  /** Replays a run; without it the run's seed is used (and must be printed by the caller). */
  seed?: string;
}

/** A storm that plays exactly these faults (a feature's fault table, a shrunk schedule), offsets already scaled. */
export interface GivenStormOptions {
  faults: readonly ScheduledFault[];
  /** Recorded with the schedule (the load may draw from it); default the run's seed. */
  seed?: string;
}

/** A replicated hub's storm (KHR/1): faults on its leader, its replicas and its links, and its workers' (cluster-storm-schedule.ts). */
export interface ClusterStormOptions extends Pick<ClusterStormPlan, 'leaderCrashes' | 'replicaCrashes' | 'leaderFreezes' | 'partitions' | 'peerCrashes' | 'peerFreezes' | 'windowMs'> {
  seed?: string;
}

export type StormOptions = SeededStormOptions | GivenStormOptions | ClusterStormOptions;

export interface StormRunResult<Outcome> {
  schedule: FaultSchedule;
  storm: CrashStormResult;
  /** The system's own account of the load (its workload and summary). */
  load: Outcome;
}

/** How long faults last and how far apart they are on one node, from the scenario's timing. */
export function stormPacing(timing: Timing): Pick<CrashStormPlan, 'recoverMs' | 'pauseMs' | 'freezeMs'> {
  return {
    // A restarted node takes a few hundred ms to come up, and its peers a liveness period to find it.
    recoverMs: 600 + 2 * livenessPeriod(timing),
    pauseMs: [50, 400],
    // Up to three liveness periods: long enough to be expired by the hub, short of the result grace.
    freezeMs: [livenessPeriod(timing) / 2, 3 * livenessPeriod(timing)],
  };
}

/** The reference's default election timeout (`--election-timeout`): the cluster's own timeouts are not stretched by the time scale. */
const ELECTION_TIMEOUT_MS = 1_000;

/**
 * A cluster storm's pacing: a leader freeze around the election timeout, some outlasting it;
 * partitions shorter than a client's retry window, so a client on the minority side reaches a leader
 * again before it gives up; and after a fault that may change the leader, room for the new leader's
 * result grace (its own grace, a liveness period per voter, an election timeout: the reference's
 * `clusterFailoverAllowance`) and one more election, so jobs it inherits are handed on.
 */
export function clusterStormPacing(timing: Timing, replicas: number): Pick<ClusterStormPlan, 'recoverMs' | 'pauseMs' | 'freezeMs' | 'leaderFreezeMs' | 'partitionMs' | 'leaderChangeRecoverMs'> {
  return {
    ...stormPacing(timing),
    leaderFreezeMs: [400, 2_500],
    partitionMs: [800, 1_500],
    leaderChangeRecoverMs: timing.resultGrace + replicas * livenessPeriod(timing) + 2 * ELECTION_TIMEOUT_MS,
  };
}

/** The run's seed (KEELHAUL_SEED, or drawn once per run), so a printed seed replays the same schedule. */
export function stormSeed(): string {
  return runSeed();
}

/**
 * The faults a storm plays: drawn from the seed, or the given ones, whose every target must be the
 * system's hub or one of its peers (a fault on a node the system lacks would silently test nothing).
 */
export function stormSchedule(system: Pick<System, 'name' | 'hub' | 'peers' | 'replicaSet'>, timing: Timing, options: StormOptions): FaultSchedule {
  const hub = system.hub;
  if (!hub) throw new Error(`a crash storm of the ${system.name} system needs its hub started`);
  const peers = system.peers.map((peer) => peer.name);
  const seed = options.seed ?? stormSeed();
  const replicas = system.replicaSet?.names ?? [];
  if ('faults' in options) {
    // A replicated hub: any replica, or the leader; a cluster partition names its shape.
    const known = [...new Set([hub.name, ...replicas, ...(replicas.length > 0 ? [LEADER_TARGET] : []), ...peers])];
    const named = options.faults.filter((fault) => fault.kind !== 'cluster-partition').map(scheduledOn);
    const strangers = [...new Set(named.filter((target) => !known.includes(target)))];
    if (strangers.length > 0) throw new Error(`the fault schedule names ${strangers.join(', ')}, which the ${system.name} system does not have (its hub and peers: ${known.join(', ')})`);
    if (replicas.length === 0 && options.faults.some((fault) => fault.kind === 'cluster-partition')) throw new Error(`the fault schedule partitions a cluster, and the ${system.name} system's hub is not replicated`);
    // A given partition draws its random halves from the run's seed, as a seeded one does from its schedule.
    const faults = options.faults.map((fault) => (fault.kind === 'cluster-partition' && fault.seed === undefined ? { ...fault, seed: Number(seed) } : fault));
    return { seed, given: true, faults: sortSchedule(faults) };
  }
  if ('leaderCrashes' in options) {
    if (replicas.length === 0) throw new Error(`a cluster storm of the ${system.name} system needs a replicated hub (a broker cluster)`);
    return clusterStormSchedule(seed, { ...options, replicas, peers, ...clusterStormPacing(timing, replicas.length) });
  }
  return crashStormSchedule(seed, {
    hubCrashes: options.hubCrashes,
    peerCrashes: options.peerCrashes,
    peerFreezes: options.peerFreezes,
    hub: hub.name,
    peers,
    windowMs: options.windowMs,
    ...stormPacing(timing),
  });
}

/** How long a fault on a cluster waits for a leader to strike (or shape a partition around) before the nemesis is left to find none. */
function leaderWaitMs(timing: Timing): number {
  return 10_000 + 2 * livenessPeriod(timing);
}

/**
 * The storm's view of the system: its nodes, and for a replicated hub one lane for every fault on the
 * cluster (a replica, the leader, a partition), each waiting for a leader first: right after a leader
 * crash the cluster is electing, and a fault on "the leader" then would strike nothing.
 */
function stormTargets(system: System, timing: Timing): StormTargets {
  const replicaSet = system.replicaSet;
  if (replicaSet === undefined) return { node: (name) => system.node(name) };
  const onCluster = (fault: ScheduledFault): boolean => fault.kind === 'cluster-partition' || fault.target === LEADER_TARGET || replicaSet.names.includes(fault.target);
  return {
    node: (name) => system.node(name),
    laneOf: (fault) => (onCluster(fault) ? 'cluster' : scheduledOn(fault)),
    beforeFault: async (fault) => {
      if (onCluster(fault)) await awaitAnyLeader(replicaSet, leaderWaitMs(timing));
    },
  };
}

/** Resolves once the replicas name a leader, or after `boundMs` (then the nemesis finds none and the fault is skipped, saying so). */
async function awaitAnyLeader(replicas: ReplicaSet, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if ((await replicas.leader(500)) !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Any system's crash storm: its load runs for as long as a seeded storm of hub crashes and peer
 * crashes and freezes lasts (and until the load says it did enough), then what is in flight is given
 * its bound to end. The schedule is a function of the seed and the system's node names alone, so a
 * printed seed replays it.
 */
export async function runCrashStorm<Outcome>(
  system: System,
  nemesis: Pick<Nemesis, 'invoke'>,
  timing: Timing,
  options: StormOptions,
  load: StormLoad<Outcome>,
  onSchedule: (schedule: FaultSchedule) => void,
): Promise<StormRunResult<Outcome>> {
  const schedule = stormSchedule(system, timing, options);
  onSchedule(schedule);

  load.start();
  const storm = await new CrashStorm(stormTargets(system, timing), nemesis, schedule).run();
  await waitFor(() => load.enough(), { timeoutMs: load.enoughBoundMs, what: load.what }).finally(() => load.stop());
  return { schedule, storm, load: await load.settle() };
}
