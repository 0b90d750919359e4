import { performance } from 'node:perf_hooks';
import { KilledFailure, MajordomoClient } from '../../reference/client';
import type { BenchChild } from '../children';
import { sampledLoop } from '../load/sync-loop';
import { defineMeasurement, type Environment, type Measurement, type Settings } from '../measurement';
import { khxSync, nextJobId, storeCounters, withStoreCounters, type KhxBroker } from './durable-broker';
import { startBrokerAndWorkers } from './reference-broker';

/**
 * Kill latency (KHC/1, issue 18): the time from a client's KILL to the broker's definite answer, for
 * a queued job and for a running one, against a plain KHX/1 request round trip on the same broker in
 * the same run. The layout of the KHX/1 in-memory rows (the reference Broker with its in-memory job
 * store in one process, `settings.workers` echo workers in another) plus one more process: one
 * KHC/1 MajordomoWorker for the service `hold`, whose handler runs until its job is killed
 * (processes/abortable-worker.ts). The service `parked` has no worker, so a job sent to it stays queued.
 */
export interface KillBroker extends KhxBroker {
  /** Counters of the broker and of the abortable worker, asked over their stdin; only between runs. */
  killCounters(): Promise<KillCounters>;
}

interface KillCounters {
  /** Jobs the broker killed on request. */
  killed: number;
  /** Jobs in the broker's queues now. */
  queued: number;
  /** Handlers the abortable worker started, and how many of them a kill stopped. */
  started: number;
  aborted: number;
}

const HELD_SERVICE = 'hold';
const PARKED_SERVICE = 'parked';
const STATS_TIMEOUT_MS = 5000;

export const killBroker: Environment<KillBroker> = {
  id: 'kill-broker',
  description: 'reference Broker, in-memory job store (one process) + MajordomoWorker echo workers (one process) + one worker whose handler runs until killed (one process)',
  async start(context) {
    const { endpoint, broker, extra } = await startBrokerAndWorkers(context, {
      name: 'kill-broker',
      extra: { script: 'abortable-worker', args: ['--service', HELD_SERVICE], count: 1 },
    });
    if (extra === undefined) throw new Error('the abortable worker was not started');
    const worker = extra;
    return { endpoint, stats: () => storeCounters(broker), killCounters: () => killCounters(broker, worker) };
  },
};

async function killCounters(broker: BenchChild, worker: BenchChild): Promise<KillCounters> {
  const brokerAnswer = (await broker.request('stats', STATS_TIMEOUT_MS)).stats as { killed?: unknown; queued?: unknown } | undefined;
  const workerAnswer = await worker.request('stats', STATS_TIMEOUT_MS);
  const counters = { killed: brokerAnswer?.killed, queued: brokerAnswer?.queued, started: workerAnswer.started, aborted: workerAnswer.aborted };
  for (const [name, value] of Object.entries(counters)) if (typeof value !== 'number') throw new Error(`the kill broker's counters have no number "${name}": ${JSON.stringify(counters)}`);
  return counters as KillCounters;
}

/** Where a job must be, as INSPECT says, before it is killed; and the states it may pass through on the way there. */
interface Target {
  service: string;
  state: 'queued' | 'dispatched';
  onTheWay: string[];
}

/** Asks INSPECT until the job is in `target.state` (it may not have reached the broker yet: `unknown`). Outside the timed part. */
async function untilInState(killer: MajordomoClient, job: string, target: Target, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = ((await killer.inspect(job)) as { state?: unknown } | undefined)?.state;
    if (state === target.state) return;
    if (typeof state !== 'string' || !target.onTheWay.includes(state)) throw new Error(`job ${job} is ${JSON.stringify(state)} at the broker, expected ${target.state}`);
    if (performance.now() > deadline) throw new Error(`job ${job} still ${state} after ${timeoutMs} ms, expected ${target.state}`);
  }
}

/**
 * One sample: a client submits a new job (`request(service, [payload], { job })`, the call left
 * pending), another client waits until INSPECT shows it in the target state, then `kill(job)` is timed
 * up to its answer, which must be `killed`; the submitting call must then end with a KilledFailure (409).
 * Both are the reference MajordomoClient with one attempt: a lost answer fails the run instead of a retry hiding it.
 */
function killMeasurement(spec: { id: string; title: string; target: Target; check(before: KillCounters, after: KillCounters, kills: number): string | undefined }): Measurement {
  const base = (figure: string) => `kill.request.${figure}`;
  return defineMeasurement<KillBroker>({
    id: spec.id,
    title: spec.title,
    environment: killBroker,
    figures: [
      { id: `${spec.id}.p50`, label: `${spec.title}: KILL → answer p50`, unit: 'µs', baseline: base('p50') },
      { id: `${spec.id}.p99`, label: `${spec.title}: KILL → answer p99`, unit: 'µs', baseline: base('p99') },
      { id: `${spec.id}.samples`, label: `${spec.title}: kills timed`, unit: 'samples' },
    ],
    async run(environment, settings: Settings) {
      const { endpoint } = environment;
      const { payload, replyTimeoutMs } = settings;
      const submitter = new MajordomoClient({ broker: endpoint, checkService: false, timeout: replyTimeoutMs, attempts: 1 });
      const killer = new MajordomoClient({ broker: endpoint, timeout: replyTimeoutMs, attempts: 1 });
      const before = await environment.killCounters();
      let kills = 0;
      try {
        const result = await sampledLoop(async () => {
          const job = nextJobId(spec.id);
          const submitted = submitter.request(spec.target.service, [payload], { job }).then(
            () => new Error(`job ${job} completed (200): the kill did not stop it`),
            (error: unknown) => error,
          );
          await untilInState(killer, job, spec.target, replyTimeoutMs);
          const start = performance.now();
          const outcome = await killer.kill(job);
          const latencyUs = (performance.now() - start) * 1000;
          kills++;
          if (outcome !== 'killed') throw new Error(`KILL ${job} answered ${outcome}, expected killed`);
          const ending = await submitted;
          if (!(ending instanceof KilledFailure)) throw new Error(`the submitting call of job ${job} ended with "${String(ending)}", expected a KilledFailure (409)`);
          return latencyUs;
        }, settings);
        const after = await environment.killCounters();
        if (after.killed - before.killed !== kills) throw new Error(`the broker counted ${after.killed - before.killed} kills, the bench made ${kills}`);
        if (after.queued !== 0) throw new Error(`${after.queued} jobs are still queued at the broker after the run`);
        const problem = spec.check(before, after, kills);
        if (problem !== undefined) throw new Error(problem);
        return { [`${spec.id}.p50`]: result.p50Us, [`${spec.id}.p99`]: result.p99Us, [`${spec.id}.samples`]: result.samples };
      } finally {
        submitter.close();
        killer.close();
      }
    },
  });
}

/** The floor: a plain KHX/1 request round trip (the `khx.memory.sync` load) on this broker, in the same run. */
export const killRequest = withStoreCounters(khxSync({ environment: killBroker, id: 'kill.request', title: 'KHC/1 kill broker: KHX/1 request (MajordomoClient)', baseline: 'khx.memory.sync' }));

/** Rule 1: a job never dispatched is journaled `killed` and answered at once; no worker hears of it. */
export const killQueued = killMeasurement({
  id: 'kill.queued',
  title: 'KHC/1 kill of a queued job (MajordomoClient.kill)',
  target: { service: PARKED_SERVICE, state: 'queued', onTheWay: ['unknown'] },
  check: (before, after) => (after.started !== before.started ? `the abortable worker started ${after.started - before.started} handlers during queued kills` : undefined),
});

/**
 * Rule 3: `kill-pending`, CONTROL KILL to the holding worker over its connection, its handler's signal
 * aborts, the handler rejects, the worker acks `killed`, the broker journals `killed` and answers.
 */
export const killRunning = killMeasurement({
  id: 'kill.running',
  title: 'KHC/1 kill of a running job (MajordomoClient.kill)',
  target: { service: HELD_SERVICE, state: 'dispatched', onTheWay: ['unknown', 'queued'] },
  check: (before, after, kills) => {
    const aborted = after.aborted - before.aborted;
    const started = after.started - before.started;
    if (aborted !== kills || started !== kills) return `${kills} running jobs were killed, but the worker's handler started ${started} times and was stopped by a kill ${aborted} times: a kill must reach a running handler`;
    return undefined;
  },
});
