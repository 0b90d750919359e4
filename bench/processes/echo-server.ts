import { Router } from 'zeromq';
import { announce, arg, exitWithParent, fail } from './child-io';

/**
 * The floor's server: a bare ZeroMQ ROUTER that sends every message straight back to the peer
 * it came from. No broker, no protocol: what one hop of zeromq.js costs.
 */
async function main(): Promise<void> {
  const router = new Router({ linger: 0 });
  await router.bind(arg('endpoint'));
  exitWithParent(() => router.close());
  announce({ type: 'ready', endpoint: router.lastEndpoint });
  try {
    for await (const message of router) await router.send(message);
  } catch (error) {
    if (!router.closed) throw error;
  }
}

main().catch(fail);
