import { Dealer, Router } from 'zeromq';
import { HOST, createProxy, freePort, startFaultProxy, type Defer } from '../support';

/** A zeromq.js DEALER talking through a fault proxy (`p`) to a ROUTER, real TCP on 127.0.0.1: the message toxics' test bench. */

export const RECEIVE_TIMEOUT_MS = 3000;
export const heartbeat = (): Buffer[] => [Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([4])];
export const reply = (job: string): Buffer[] => [Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([3]), Buffer.from(job), Buffer.alloc(0), Buffer.from(`result of ${job}`)];
export const deliver = (sequence: number): Buffer[] => ['KHP01', 'DELIVER', 't', String(sequence), 'pub-1', `m-${sequence}`, 'payload'].map((text) => Buffer.from(text));

export interface Pair {
  base: string;
  router: Router;
  dealer: Dealer;
  /** The ROUTER's routing id for the dealer, learnt from its first message. */
  peer: Buffer;
}

export async function receive<T>(socket: { receive(): Promise<T> }, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${RECEIVE_TIMEOUT_MS} ms`)), RECEIVE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([socket.receive(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function pair(defer: Defer): Promise<Pair> {
  const server = await startFaultProxy();
  defer(() => server.close());
  const port = await freePort();
  const router = new Router({ linger: 0 });
  const dealer = new Dealer({ linger: 0 });
  defer(() => router.close());
  defer(() => dealer.close());
  await router.bind(`tcp://${HOST}:${port}`);
  const proxyPort = await createProxy(server.url, 'p', `${HOST}:${port}`);
  dealer.connect(`tcp://${HOST}:${proxyPort}`);
  await dealer.send([Buffer.alloc(0), Buffer.from('hello')]);
  const [peer] = await receive(router, 'hello');
  return { base: server.url, router, dealer, peer };
}

export const text = (frames: Buffer[]): string => frames.map((frame) => (frame.length === 1 && frame[0] < 32 ? `0x0${frame[0]}` : frame.toString())).join('|');
