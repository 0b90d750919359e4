import pino from 'pino';
import { HistoryRecorder } from '../../harness/history/recorder';
import { LinkNemesis } from '../../harness/nemesis/link-nemesis';
import { ProxiedNetwork, type Link } from '../../harness/network/proxied-network';
import { freePort } from '../../harness/runtime/ports';
import { acquireFaultProxy } from '../../harness/toxiproxy/endpoint';
import { startEchoServer, withCleanup } from '../toxiproxy/support';

/** One link `client->server` through the built-in fault proxy to a TCP echo server, faulted through LinkNemesis. */
export interface LinkSetup {
  nemesis: LinkNemesis;
  history: HistoryRecorder;
  /** The port the client connects to (the proxy's listener). */
  port: number;
  network: ProxiedNetwork;
}

export async function withLink(body: (setup: LinkSetup) => Promise<void>): Promise<void> {
  await withCleanup(async (defer) => {
    const echo = await startEchoServer();
    defer(() => echo.close());
    const proxy = await acquireFaultProxy({ host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    const network = await ProxiedNetwork.create(
      {
        faultProxy: async () => ({
          url: proxy.url,
          allocatePort: freePort,
          listenAddress: (port) => `127.0.0.1:${port}`,
          endpoint: (port) => `tcp://127.0.0.1:${port}`,
          close: () => proxy.close(),
        }),
      },
      '/dev/null',
    );
    defer(() => network.close());
    const link: Link = await network.link('client', 'server', `tcp://${echo.address}`);
    const history = new HistoryRecorder();
    const nemesis = new LinkNemesis(network, () => [], history);
    await body({ nemesis, history, network, port: Number(link.endpoint.split(':').pop()) });
  });
}
