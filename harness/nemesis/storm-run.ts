import { CrashStorm, type CrashStormResult } from './crash-storm';
import { crashStormSchedule, type CrashStormPlan, type FaultSchedule, type ScheduledFault } from './fault-schedule';
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

export type StormOptions = SeededStormOptions | GivenStormOptions;

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

/** The run's seed (KEELHAUL_SEED, or drawn once per run), so a printed seed replays the same schedule. */
export function stormSeed(): string {
  return runSeed();
}

/**
 * The faults a storm plays: drawn from the seed, or the given ones, whose every target must be the
 * system's hub or one of its peers (a fault on a node the system lacks would silently test nothing).
 */
export function stormSchedule(system: Pick<System, 'name' | 'hub' | 'peers'>, timing: Timing, options: StormOptions): FaultSchedule {
  const hub = system.hub;
  if (!hub) throw new Error(`a crash storm of the ${system.name} system needs its hub started`);
  const peers = system.peers.map((peer) => peer.name);
  const seed = options.seed ?? stormSeed();
  if ('faults' in options) {
    const known = [hub.name, ...peers];
    const strangers = [...new Set(options.faults.map((fault) => fault.target).filter((target) => !known.includes(target)))];
    if (strangers.length > 0) throw new Error(`the fault schedule names ${strangers.join(', ')}, which the ${system.name} system does not have (its hub and peers: ${known.join(', ')})`);
    return { seed, given: true, faults: [...options.faults].sort((a, b) => a.at - b.at || a.target.localeCompare(b.target)) };
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
  const storm = await new CrashStorm((name) => system.node(name), nemesis, schedule).run();
  await waitFor(() => load.enough(), { timeoutMs: load.enoughBoundMs, what: load.what }).finally(() => load.stop());
  return { schedule, storm, load: await load.settle() };
}
