import { createLogger } from '../../reference/util/log';
import { MajordomoWorker } from '../../reference/worker';
import { announce, arg, exitWithParent, fail, intArg } from './child-io';

/**
 * `--count` reference MajordomoWorkers in ONE process, each on its own DEALER connection to the
 * broker, each echoing the request body. No stdout per job (unlike the CLI worker), so the
 * workers cost only what MajordomoWorker itself costs.
 */
function main(): void {
  const broker = arg('broker');
  const service = arg('service');
  const heartbeatInterval = intArg('heartbeat');
  const logger = createLogger('workers', 'warn');
  const workers: MajordomoWorker[] = [];
  for (let i = 0; i < intArg('count'); i++) {
    const worker = new MajordomoWorker({
      broker,
      service,
      handler: async (body) => body,
      heartbeatInterval,
      heartbeatLiveness: 3,
      reconnectInitial: 100,
      reconnectMax: 1000,
      logger,
    });
    worker.start();
    workers.push(worker);
  }
  exitWithParent(() => workers.forEach((w) => w.close()));
  announce({ type: 'ready', count: workers.length });
}

try {
  main();
} catch (error) {
  fail(error);
}
