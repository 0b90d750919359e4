import { encodeDisconnect, encodeHeartbeat, encodeReady, printable } from '../../reference/mdp/codec';
import { kindAtWorker } from './mdp-probe';
import { RawPeer } from './raw-peer';

/** What a stand-in worker heard from the broker once it had left, by DISCONNECT or by falling silent. */
export interface StandInWorkerHeard {
  /** The broker heartbeated the stand-in after its READY: proof that it had registered it. */
  registered: boolean;
  /** What the broker sent before its first well-formed HEARTBEAT that 7/MDP does not allow (a HEARTBEAT of the wrong frame count, say), if anything. */
  malformedBeforeHeartbeat?: string;
  /** The broker's answer to the HEARTBEAT a stand-in sends after it was expired ('nothing' if none); only after falling silent. */
  staleAnswer?: string;
  /** Every command the broker sent once the leaving had settled (after the stale HEARTBEAT's answer), by kind. */
  heard: string[];
}

export interface StandInWorkerTiming {
  /** How long to wait for the broker's first HEARTBEAT after READY. */
  registerTimeoutMs: number;
  /**
   * After DISCONNECT: how long commands the broker had already sent may still arrive. After falling
   * silent: how long the broker may take to take the stand-in for dead (liveness, a tick and that).
   */
  settleMs: number;
  /** How long to listen afterwards, while `afterwards` runs. */
  listenMs: number;
}

/**
 * 7/MDP: "When the broker receives DISCONNECT from a worker it MUST send no further commands to that
 * worker." A stand-in worker of the harness registers `service`, waits for a HEARTBEAT (so it is
 * surely registered), sends DISCONNECT on the same socket, and listens: after the settle time it must
 * hear nothing, not a HEARTBEAT and not the REQUEST that `afterwards` (e.g. a stand-in client's request
 * for `service`) makes the broker route.
 */
export async function listenAfterWorkerDisconnect(endpoint: string, service: string, timing: StandInWorkerTiming, afterwards: () => Promise<void>): Promise<StandInWorkerHeard> {
  return withStandInWorker(endpoint, service, timing, async (worker) => {
    await worker.send(encodeDisconnect());
    await drain(worker, timing.settleMs);
    await afterwards();
    return { heard: await drain(worker, timing.listenMs) };
  });
}

/**
 * 7/MDP: a worker silent past its liveness is disconnected; the broker SHOULD stop sending it
 * anything, answers any command from it (now unknown) with DISCONNECT, "and then no further commands
 * to that worker". A stand-in worker registers `service`, waits for a HEARTBEAT, falls silent for
 * the settle time (whatever the broker sends meanwhile, a DISCONNECT say, is allowed), sends one
 * HEARTBEAT as a worker back from a freeze would, and listens: the first answer must be DISCONNECT,
 * and after it nothing, not the REQUEST that `afterwards` makes the broker route.
 */
export async function listenAfterWorkerFallsSilent(endpoint: string, service: string, timing: StandInWorkerTiming, afterwards: () => Promise<void>): Promise<StandInWorkerHeard> {
  return withStandInWorker(endpoint, service, timing, async (worker) => {
    await drain(worker, timing.settleMs);
    await worker.send(encodeHeartbeat());
    const answer = await worker.receive(timing.listenMs);
    const staleAnswer = answer ? kindAtWorker(answer) : 'nothing';
    await afterwards();
    return { staleAnswer, heard: await drain(worker, timing.listenMs) };
  });
}

async function withStandInWorker(
  endpoint: string,
  service: string,
  timing: StandInWorkerTiming,
  leave: (worker: RawPeer) => Promise<Omit<StandInWorkerHeard, 'registered'>>,
): Promise<StandInWorkerHeard> {
  const worker = new RawPeer(endpoint);
  try {
    await worker.send(encodeReady(service));
    const { registered, malformed } = await heardHeartbeat(worker, timing.registerTimeoutMs);
    return { registered, ...(malformed !== undefined ? { malformedBeforeHeartbeat: malformed } : {}), ...(await leave(worker)) };
  } finally {
    worker.close();
  }
}

/** Every command that arrives within `forMs`, by kind. */
async function drain(worker: RawPeer, forMs: number): Promise<string[]> {
  const kinds: string[] = [];
  const deadline = Date.now() + forMs;
  for (let remaining = forMs; remaining > 0; remaining = deadline - Date.now()) {
    const frames = await worker.receive(remaining);
    if (frames) kinds.push(kindAtWorker(frames));
  }
  return kinds;
}

/** Whether a well-formed HEARTBEAT came within `timeoutMs`, and the first malformed message before it (frames shown). */
async function heardHeartbeat(worker: RawPeer, timeoutMs: number): Promise<{ registered: boolean; malformed?: string }> {
  const deadline = Date.now() + timeoutMs;
  let malformed: string | undefined;
  for (let remaining = timeoutMs; remaining > 0; remaining = deadline - Date.now()) {
    const frames = await worker.receive(remaining);
    if (!frames) break;
    const kind = kindAtWorker(frames);
    if (kind === 'heartbeat') return { registered: true, malformed };
    if (kind === 'malformed') malformed ??= frames.map((frame) => printable(frame)).join(' | ');
  }
  return { registered: false, malformed };
}
