import { Toxiproxy } from 'toxiproxy-node-client';
import { freePort } from '../../harness/runtime/ports';
import { echoFloor, floorPipelinedVia, floorSyncVia, type EchoFloor } from './echo-floor';
import type { Environment } from '../measurement';

/**
 * The echo floor reached through one proxy of the built-in fault proxy (no toxics), set up through
 * toxiproxy-node-client as the harness does it: what every proxied link in a scenario costs.
 */
export const proxyHop: Environment<EchoFloor> = {
  id: 'proxy-hop',
  description: 'ROUTER echo server and the fault proxy, one process each',
  async start(context) {
    const echo = await echoFloor.start(context);
    const proxyServer = context.children.spawn('fault-proxy', 'fault-proxy', []);
    const { url } = await proxyServer.waitFor('ready', context.timeoutMs, 'the fault proxy to listen');
    if (typeof url !== 'string') throw new Error('the fault proxy announced no url');
    const proxy = await new Toxiproxy(url).createProxy({
      name: 'bench-hop',
      listen: `127.0.0.1:${await freePort()}`,
      upstream: echo.endpoint.replace(/^tcp:\/\//, ''),
    });
    return { endpoint: `tcp://${proxy.listen}` };
  },
};

export const proxySync = floorSyncVia({ environment: proxyHop, id: 'proxy.sync', title: 'Floor through one fault-proxy hop', baseline: 'floor.sync' });
export const proxyPipelined = floorPipelinedVia({ environment: proxyHop, id: 'proxy.pipelined', title: 'Floor through one fault-proxy hop', baseline: 'floor.pipelined' });
