import { seededRandom, type Random } from '../util/random';
import { describeFault, type ClusterPartitionFault, type CrashRestartFault, type FreezeFault } from './fault';

// Seeds are the run's business (util/run-seed.ts); re-exported for the front ends that draw one here.
export { drawSeed } from '../util/run-seed';

/** A cluster partition as a storm schedules it: for a time, healed by the storm (a partition left in force would end the run). */
export type ScheduledClusterPartition = ClusterPartitionFault & { durationMs: number };

/** One fault of a schedule, `at` ms after the schedule starts: the same `Fault` data the steps invoke. */
export type ScheduledFault = { at: number } & (CrashRestartFault | FreezeFault | ScheduledClusterPartition);

/** What a scheduled fault acts on, as a fault table's node column names it: a node (or `leader`), or a cluster partition's shape. */
export function scheduledOn(fault: ScheduledFault): string {
  return fault.kind === 'cluster-partition' ? fault.shape : fault.target;
}

/**
 * What a storm does to a star-shaped system: the hub everyone talks through (a broker, a pub/sub
 * proxy) and the peers around it (workers, subscribers).
 */
export interface CrashStormPlan {
  /** Hub crashes (SIGKILL, then a restart after a pause). */
  hubCrashes: number;
  peerCrashes: number;
  peerFreezes: number;
  hub: string;
  peers: readonly string[];
  /** Faults start within this window (ms from the start). */
  windowMs: number;
  /** Shortest time between two faults on the same node, after the first one is over: room to come back. */
  recoverMs: number;
  /** Pause before a crashed node starts again, drawn from this range (ms). */
  pauseMs: readonly [number, number];
  /** How long a freeze lasts, drawn from this range (ms). */
  freezeMs: readonly [number, number];
}

export interface FaultSchedule {
  seed: string;
  /** The faults were given (a feature's fault table), not drawn from the seed. */
  given?: boolean;
  faults: ScheduledFault[];
}

export function between(random: Random, [low, high]: readonly [number, number]): number {
  return Math.round(low + random() * (high - low));
}

/**
 * A crash storm drawn from `seed` alone: the same seed and plan give the same faults, in the same
 * order, at the same offsets, against the same nodes. Faults on one node never overlap, and a node
 * gets `recoverMs` after a fault ends before the next one starts, so every fault acts on a node
 * that is up (a crash of a node still down would test nothing).
 */
export function crashStormSchedule(seed: string, plan: CrashStormPlan): FaultSchedule {
  if (plan.peers.length === 0 && plan.peerCrashes + plan.peerFreezes > 0) throw new Error('a crash storm with peer faults needs peers (workers, subscribers)');
  const random = seededRandom(`crash-storm:${seed}`);
  // In name order: peers start side by side and join the system in whatever order they came up, so
  // the order they are listed in is not the run's to choose, and a seed must name the same nodes.
  const peers = [...plan.peers].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const busyUntil = new Map<string, number>();
  const faults: ScheduledFault[] = [];

  // The hub's crashes are spread evenly with jitter, so the storm lasts the whole window.
  const slot = plan.windowMs / Math.max(1, plan.hubCrashes);
  for (let i = 0; i < plan.hubCrashes; i++) {
    const pauseMs = between(random, plan.pauseMs);
    const earliest = Math.max(i * slot, busyUntil.get(plan.hub) ?? 0);
    const at = Math.round(earliest + random() * Math.max(0, (i + 1) * slot - plan.recoverMs - pauseMs - earliest));
    faults.push({ at, kind: 'crash-restart', target: plan.hub, pauseMs });
    busyUntil.set(plan.hub, at + pauseMs + plan.recoverMs);
  }

  faults.push(...placePeerFaults(random, { ...plan, peers }, busyUntil));
  return { seed, faults: sortSchedule(faults) };
}

/** Faults in time order, ties by what they act on: how every schedule is kept. */
export function sortSchedule(faults: readonly ScheduledFault[]): ScheduledFault[] {
  return [...faults].sort((a, b) => a.at - b.at || scheduledOn(a).localeCompare(scheduledOn(b)));
}

/**
 * The peers' crashes and freezes, each on a peer free at its moment (a few draws to find one; a fault
 * that fits nowhere is placed after the peer's last one). `busyUntil` is updated.
 */
export function placePeerFaults(
  random: Random,
  plan: Pick<CrashStormPlan, 'peerCrashes' | 'peerFreezes' | 'peers' | 'windowMs' | 'recoverMs' | 'pauseMs' | 'freezeMs'>,
  busyUntil: Map<string, number>,
): ScheduledFault[] {
  const { peers } = plan;
  const faults: ScheduledFault[] = [];
  const peerFaults: ('crash-restart' | 'freeze')[] = [
    ...Array.from({ length: plan.peerCrashes }, () => 'crash-restart' as const),
    ...Array.from({ length: plan.peerFreezes }, () => 'freeze' as const),
  ];
  for (const kind of peerFaults) {
    let placed = false;
    for (let attempt = 0; attempt < 20 && !placed; attempt++) {
      const target = peers[Math.floor(random() * peers.length)];
      const at = Math.round(random() * plan.windowMs);
      if (at < (busyUntil.get(target) ?? 0)) continue;
      const length = kind === 'freeze' ? between(random, plan.freezeMs) : between(random, plan.pauseMs);
      faults.push(kind === 'freeze' ? { at, kind, target, durationMs: length } : { at, kind, target, pauseMs: length });
      busyUntil.set(target, at + length + plan.recoverMs);
      placed = true;
    }
    if (!placed) {
      const target = peers[Math.floor(random() * peers.length)];
      const at = busyUntil.get(target) ?? 0;
      const length = kind === 'freeze' ? between(random, plan.freezeMs) : between(random, plan.pauseMs);
      faults.push(kind === 'freeze' ? { at, kind, target, durationMs: length } : { at, kind, target, pauseMs: length });
      busyUntil.set(target, at + length + plan.recoverMs);
    }
  }
  return faults;
}

/** One line per fault, for the report and the console. */
export function describeSchedule(schedule: FaultSchedule): string {
  const lines = schedule.faults.map(({ at, ...fault }) => `${String(at).padStart(6)} ms  ${describeFault(fault)}`);
  const title = schedule.given ? `given schedule (seed ${schedule.seed}): ${schedule.faults.length} faults` : `seed ${schedule.seed}: ${schedule.faults.length} faults`;
  return [title, ...lines].join('\n');
}
