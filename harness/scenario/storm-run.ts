import { CrashStorm, type CrashStormResult } from '../nemesis/crash-storm';
import { runSeed } from '../util/run-seed';
import { crashStormSchedule, type CrashStormPlan, type FaultSchedule } from '../nemesis/fault-schedule';
import { livenessPeriod, type Timing } from '../cluster/timing';
import { waitFor } from '../util/wait-for';
import type { RpcWorkload, WorkloadSummary } from '../workload/rpc-workload';
import type { Scenario } from './scenario';

export interface StormRunOptions {
  service: string;
  /** Calls each client keeps open at once. */
  concurrency: number;
  /** The workload goes on after the storm until at least this many jobs were submitted. */
  minJobs: number;
  brokerCrashes: number;
  workerCrashes: number;
  workerFreezes: number;
  windowMs: number;
  /** Replays a run; without it one is drawn (and must be printed by the caller). */
  seed?: string;
}

export interface StormRunResult {
  schedule: FaultSchedule;
  storm: CrashStormResult;
  workload: RpcWorkload;
  summary: WorkloadSummary;
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
 * Clients submit jobs for as long as a seeded crash storm lasts (and until `minJobs` were
 * submitted), then every call is given its bound to return. The schedule is a function of the
 * seed and the cluster's node names alone.
 */
export async function runStorm(scenario: Scenario, options: StormRunOptions, onSchedule: (schedule: FaultSchedule) => void): Promise<StormRunResult> {
  const { cluster, timing, history } = scenario;
  if (!cluster.broker) throw new Error('a crash storm needs a broker');
  const plan: CrashStormPlan = {
    hubCrashes: options.brokerCrashes,
    peerCrashes: options.workerCrashes,
    peerFreezes: options.workerFreezes,
    hub: cluster.broker.name,
    peers: cluster.workers.map((worker) => worker.name),
    windowMs: options.windowMs,
    ...stormPacing(timing),
  };
  const schedule = crashStormSchedule(options.seed ?? stormSeed(), plan);
  onSchedule(schedule);

  const perClient = Math.ceil(options.minJobs / cluster.clients.length);
  const workloadOptions = { jobsPerClient: 100 * perClient, concurrency: options.concurrency, service: options.service };
  const workload = scenario.startWorkload(workloadOptions);
  const storm = await new CrashStorm((name) => cluster.node(name), scenario.nemesis, schedule).run();
  const invoked = () => history.events().filter((event) => event.type === 'invoke').length;
  await waitFor(() => invoked() >= options.minJobs, { timeoutMs: scenario.workloadBound({ jobsPerClient: perClient, concurrency: options.concurrency }), what: `${options.minJobs} jobs to be submitted` });
  workload.stop();
  const summary = await workload.wait(scenario.workloadBound({ jobsPerClient: options.concurrency, concurrency: options.concurrency }));
  return { schedule, storm, workload, summary };
}
