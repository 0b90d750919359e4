import { performance } from 'node:perf_hooks';
import type { Dealer } from 'zeromq';
import { sleep } from '../deadline';

/** One DEALER connection of a pipelined load: what it sends, and how a reply is checked. */
export interface PipelinedConnection {
  socket: Dealer;
  /** The request to send, or a function making each one (e.g. a KHX/1 job request with a fresh job id). */
  request: Buffer[] | (() => Buffer[]);
  /** Throws if `reply` is not a correct answer to `request`. */
  check(reply: Buffer[]): void;
}

export interface PipelinedResult {
  perSecond: number;
  completed: number;
}

/**
 * Keeps `inFlight` requests outstanding on every connection (a reply triggers the next request),
 * counts replies over `durationMs` after `warmupMs`, then stops sending and waits until every
 * outstanding request is answered, so nothing is left queued for the next measurement. Each
 * socket needs a `receiveTimeout`: a lost reply fails the run instead of hanging it.
 */
export async function pipelinedLoad(
  connections: PipelinedConnection[],
  { inFlight, warmupMs, durationMs }: { inFlight: number; warmupMs: number; durationMs: number },
): Promise<PipelinedResult> {
  let completed = 0;
  let stopping = false;

  const drive = async (connection: PipelinedConnection, index: number): Promise<void> => {
    const { socket, request, check } = connection;
    const next = typeof request === 'function' ? request : () => request;
    for (let i = 0; i < inFlight; i++) await socket.send(next());
    let outstanding = inFlight;
    while (outstanding > 0) {
      let reply: Buffer[];
      try {
        reply = await socket.receive();
      } catch (error) {
        throw new Error(`connection ${index}: no reply within ${socket.receiveTimeout} ms with ${outstanding} outstanding (${(error as Error).message})`);
      }
      check(reply);
      completed++;
      outstanding--;
      if (!stopping) {
        await socket.send(next());
        outstanding++;
      }
    }
  };

  const all = Promise.all(connections.map(drive));
  // Surfaces a failed connection during the timed sleeps rather than after them.
  const failed = all.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error),
  );
  try {
    await Promise.race([sleep(warmupMs), failed]);
    const c0 = completed;
    const t0 = performance.now();
    await Promise.race([sleep(durationMs), failed]);
    const c1 = completed;
    const t1 = performance.now();
    stopping = true;
    await all;
    return { perSecond: (c1 - c0) / ((t1 - t0) / 1000), completed: c1 - c0 };
  } finally {
    stopping = true;
    failed.catch(() => undefined);
  }
}
