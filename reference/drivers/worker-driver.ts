import { MajordomoWorker, type WorkerOptions } from '../worker';
import { sleep } from '../util/backoff';
import { report } from './protocol';
import type { Frame } from '../mdp/codec';

export interface EchoWorkerOptions extends Omit<WorkerOptions, 'handler'> {
  /** Name reported in exec events, e.g. `worker-2`. */
  name: string;
  /** Simulated work per job, in ms. */
  workMs: number;
}

/**
 * An echo worker that reports each execution out of band: exec-start before the handler runs,
 * exec-end once its effect is committed (just before the reply is sent). The job id is the first
 * body frame, as the workload sends it.
 */
export function startEchoWorker(options: EchoWorkerOptions): MajordomoWorker {
  const handler = async (body: Frame[]): Promise<Frame[]> => {
    const job = body[0]?.toString() ?? '';
    report({ type: 'exec-start', job, worker: options.name });
    if (options.workMs > 0) await sleep(options.workMs);
    report({ type: 'exec-end', job, worker: options.name });
    return body;
  };
  const worker = new MajordomoWorker({ ...options, handler });
  worker.start();
  report({ type: 'ready', role: 'worker', name: options.name, service: options.service });
  return worker;
}
