import { Broker } from '../../reference/broker';
import { readKeyPair } from '../../reference/security/key-files';
import { createLogger } from '../../reference/util/log';
import { announce, arg, exitWithParent, fail, intArg, onRequest, optionalArg } from './child-io';

/**
 * The reference Broker, alone in its process, logging only warnings and errors. Announces
 * `ready` once bound and `workers` once `--expect-workers` workers have registered. With
 * `--journal <file>` its KHX/1 job store is that journal file (fsync on, group commit); without it,
 * the in-memory store. With `--curve-key <file.key_secret> --policy <file>`, secure mode. Answers the parent's `stats` request with `broker.stats()`.
 */
async function main(): Promise<void> {
  const journal = optionalArg('journal');
  const curveKey = optionalArg('curve-key');
  const broker = await Broker.start({
    endpoint: arg('endpoint'),
    heartbeatInterval: intArg('heartbeat'),
    heartbeatLiveness: 3,
    requestExpiry: 30_000,
    ...(journal === undefined ? {} : { journal, fsync: true }),
    // Secure mode: CURVE, the ZAP allow-list and the KHA/1 envelope check on every message.
    ...(curveKey === undefined ? {} : { security: { keyPair: readKeyPair(curveKey), policyFile: arg('policy') } }),
    // Warnings and errors only (stderr, shown if the bench fails); nothing is logged per message.
    logger: createLogger('broker', 'warn'),
  });
  exitWithParent(() => broker.close());
  // A failed journal stops the broker serving: the bench must fail rather than time out on it.
  void broker.whenFailed().then((error) => fail(error));
  // Asked only between runs, never while a load is timed.
  onRequest((type) => (type === 'stats' ? { stats: broker.stats() } : undefined));
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
