import { readKeyPair } from '../../reference/security/key-files';
import { PeerSecurity } from '../../reference/security/peer-security';
import { createLogger } from '../../reference/util/log';
import { MajordomoWorker } from '../../reference/worker';
import { announce, arg, exitWithParent, fail, intArg, optionalArg } from './child-io';

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
  // Secure mode: `--curve-key <file.key_secret> --server-key <z85>`, one key for all the workers.
  const curveKey = optionalArg('curve-key');
  const security = curveKey === undefined ? undefined : new PeerSecurity(readKeyPair(curveKey), arg('server-key'));
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
      security,
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
