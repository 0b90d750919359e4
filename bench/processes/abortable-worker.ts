import { createLogger } from '../../reference/util/log';
import { MajordomoWorker, type JobContext } from '../../reference/worker';
import type { Frame } from '../../reference/mdp/codec';
import { announce, arg, exitWithParent, fail, intArg, onRequest } from './child-io';

/**
 * One reference MajordomoWorker (KHC/1 on, the default) whose handler runs until the broker kills
 * its job: it rejects with the signal's reason as soon as the job's AbortSignal fires, as a
 * stoppable handler should. Answers the parent's `stats` request with how many handlers started and
 * how many of them were stopped by a kill, so the bench can tell a kill that reached a running
 * handler from one that found the job still in the worker's queue.
 */

/** A handler nobody kills gives up after this and completes, which fails the bench (`finished`, a 200) instead of hanging it. */
const UNKILLED_BOUND_MS = 10_000;

function main(): void {
  const counts = { started: 0, aborted: 0 };
  const handler = (body: Frame[], job: JobContext): Promise<Frame[]> =>
    new Promise((resolve, reject) => {
      counts.started++;
      const timer = setTimeout(() => {
        job.signal.removeEventListener('abort', onAbort);
        resolve(body);
      }, UNKILLED_BOUND_MS);
      const onAbort = (): void => {
        clearTimeout(timer);
        counts.aborted++;
        reject(job.signal.reason);
      };
      job.signal.addEventListener('abort', onAbort, { once: true });
    });
  const worker = new MajordomoWorker({
    broker: arg('broker'),
    service: arg('service'),
    handler,
    heartbeatInterval: intArg('heartbeat'),
    heartbeatLiveness: 3,
    reconnectInitial: 100,
    reconnectMax: 1000,
    logger: createLogger('abortable-worker', 'warn'),
  });
  worker.start();
  exitWithParent(() => worker.close());
  onRequest((type) => (type === 'stats' ? { ...counts } : undefined));
  announce({ type: 'ready', count: 1 });
}

try {
  main();
} catch (error) {
  fail(error);
}
