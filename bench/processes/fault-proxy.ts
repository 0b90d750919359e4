import { FaultProxyServer } from '../../harness/toxiproxy/server';
import { createFaultProxyLogger } from '../../harness/toxiproxy/logger';
import { announce, exitWithParent, fail } from './child-io';

/** The built-in fault proxy in its own process, as the harness's proxies would be in a separate server. */
async function main(): Promise<void> {
  const server = await FaultProxyServer.start({ host: '127.0.0.1', port: 0, logger: createFaultProxyLogger('silent') });
  exitWithParent(() => server.close());
  announce({ type: 'ready', url: server.url });
}

main().catch(fail);
