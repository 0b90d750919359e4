import { Broker } from '../../reference/broker';
import { createLogger } from '../../reference/log';
import { announce, arg, exitWithParent, fail, intArg } from './child-io';

/**
 * The reference Broker, alone in its process, logging only warnings and errors. Announces
 * `ready` once bound and `workers` once `--expect-workers` workers have registered.
 */
async function main(): Promise<void> {
  const broker = await Broker.start({
    endpoint: arg('endpoint'),
    heartbeatInterval: intArg('heartbeat'),
    heartbeatLiveness: 3,
    requestExpiry: 30_000,
    // Warnings and errors only (stderr, shown if the bench fails); nothing is logged per message.
    logger: createLogger('broker', 'warn'),
  });
  exitWithParent(() => broker.close());
  announce({ type: 'ready', endpoint: broker.endpoint });
  const expected = intArg('expect-workers');
  // Polls only until the workers are in; nothing runs beside the broker while it is measured.
  const poll = setInterval(() => {
    const { workers } = broker.stats();
    if (workers >= expected) {
      clearInterval(poll);
      announce({ type: 'workers', count: workers });
    }
  }, 10);
}

main().catch(fail);
