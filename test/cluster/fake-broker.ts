import { Router } from 'zeromq';
import type { Frame } from '../../reference/mdp/codec';
import { freeEndpoint } from '../reference/helpers';

/** A fake broker: a bound ROUTER whose every message is handed to `answer`, bounded by the test's own waits. */
export async function fakeBroker(answer: (identity: Frame, frames: Frame[], send: (frames: Frame[]) => Promise<void>) => Promise<void>): Promise<{ endpoint: string; close: () => void }> {
  const endpoint = await freeEndpoint();
  const router = new Router({ linger: 0 });
  await router.bind(endpoint);
  void (async () => {
    try {
      for await (const [identity, ...frames] of router) await answer(identity, frames, (reply) => router.send([identity, ...reply]));
    } catch {
      // closed
    }
  })();
  return { endpoint, close: () => router.close() };
}
