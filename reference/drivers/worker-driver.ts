import { setTimeout as sleep } from 'node:timers/promises';
import { MajordomoWorker, type Handler, type WorkerOptions } from '../worker';
import { report } from './protocol';
import { LeaseLostError } from '../control/lease';
import { parseWorkPlan } from '../control/work-payload';
import { formatWorkerMode, JobPacer, NORMAL_MODE, type WorkerMode } from '../control/worker-mode';

/** The longest a timer may wait (2^31 - 1 ms, about 24.8 days): "until killed" for a busy worker's stuck job. */
const FOREVER_MS = 2_147_483_647;

export interface EchoWorkerOptions extends Omit<WorkerOptions, 'handler'> {
  /** Name reported in exec events, e.g. `worker-2`. */
  name: string;
  /** Simulated work per job, in ms (a payload `work=<ms>` overrides it for its job). */
  workMs: number;
  /** Chaos mode (control/worker-mode.ts): `busy` is stuck on its first job, `slow` multiplies every job's work. Default normal. */
  mode?: WorkerMode;
}

/**
 * An echo worker that reports each execution out of band: exec-start before the handler runs,
 * exec-end once its effect is committed (just before the reply is sent), exec-killed when a KHC/1 kill
 * stopped it first. The body is [job id, payload]; the payload may ask for `work=<ms>` and `unstoppable`
 * (docs/drivers.md); the worker's mode may make it stuck on its first job (busy) or slow on every one.
 */
export function startEchoWorker(options: EchoWorkerOptions): MajordomoWorker {
  const pacer = new JobPacer(options.mode ?? NORMAL_MODE);
  const handler: Handler = async (body, job) => {
    const id = body[0]?.toString() ?? '';
    const plan = parseWorkPlan(body[1]?.toString() ?? '');
    if (plan.unstoppable) job.unstoppable();
    // KHR/1: the term of the broker session that dispatched it, for the checkers' dual-dispatch window.
    report({ type: 'exec-start', job: id, worker: options.name, ...(job.term === undefined ? {} : { term: job.term }) });
    const workMs = pacer.workMs(plan.workMs ?? options.workMs) ?? FOREVER_MS;
    try {
      if (workMs > 0) await sleep(workMs, undefined, plan.unstoppable ? undefined : { signal: job.signal });
    } catch (error) {
      if (!job.signal.aborted) throw error;
    }
    // The commit point: checked and reported in one synchronous block, so no kill or lapse slips between.
    if (job.signal.aborted) {
      report({ type: 'exec-killed', job: id, worker: options.name });
      throw job.signal.reason;
    }
    if (!job.mayCommit()) throw new LeaseLostError(id);
    report({ type: 'exec-end', job: id, worker: options.name });
    return body;
  };
  const worker = new MajordomoWorker({ ...options, handler });
  worker.start();
  report({ type: 'ready', role: 'worker', name: options.name, service: options.service, instance: worker.instanceId, mode: formatWorkerMode(options.mode ?? NORMAL_MODE) });
  return worker;
}
