import { createLogger } from '../../reference/util/log';
import { PubSubProxy } from '../../reference/pubsub/proxy';
import { announce, arg, exitWithParent, fail, onRequest, optionalArg } from './child-io';

/**
 * The reference KHP/1 PubSubProxy, alone in its process, with its default options (window 64,
 * max-pending 10,000, 2.5 s heartbeat), logging only warnings and errors. With `--journal <file>`
 * its state is in that journal, fdatasync'ed before every acknowledgement unless `--fsync off`;
 * without it, in memory. Announces `ready` once bound; answers the parent's `stats` request with
 * `proxy.stats()` (asked only between runs).
 */
async function main(): Promise<void> {
  const journal = optionalArg('journal');
  const fsync = (optionalArg('fsync') ?? 'on') === 'on';
  const proxy = await PubSubProxy.start({
    endpoint: arg('endpoint'),
    ...(journal === undefined ? {} : { journal, fsync }),
    logger: createLogger('pubsub-proxy', 'warn'),
  });
  exitWithParent(() => proxy.close());
  // A failed journal stops the proxy serving: the bench must fail rather than time out on it.
  void proxy.whenFailed().then((error) => fail(error));
  onRequest((type) => (type === 'stats' ? { stats: proxy.stats() } : undefined));
  announce({ type: 'ready', endpoint: proxy.endpoint });
}

main().catch(fail);
