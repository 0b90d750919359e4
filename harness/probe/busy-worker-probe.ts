import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeAtClient, decodeAtWorker, encodeClientRequest, encodeHeartbeat, encodeReady, encodeReply, MdpDecodeError, type WorkerInbound } from '../../reference/mdp/codec';
import { StallWatch, type Stall } from '../timing/stall-watch';
import { kindAtWorker } from './mdp-probe';
import { RawPeer } from './raw-peer';

/** How long each part of a stand-in worker's long job may take or lasts (ms). */
export interface BusyWorkerTiming {
  /** The interval at which the stand-in worker heartbeats, from its READY until it replies. */
  heartbeatMs: number;
  /** How long to wait for the broker's first HEARTBEAT after READY, and for the stand-in client's REQUEST. */
  registerTimeoutMs: number;
  dispatchTimeoutMs: number;
  /** How long the stand-in worker holds the request before it replies. */
  holdMs: number;
  /** How long the stand-in client waits for the reply once the worker sent it. */
  replyTimeoutMs: number;
}

/** What a stand-in worker that held a request for a long time heard from the broker, and what its client got. */
export interface BusyWorkerHeard {
  /** A HEARTBEAT came after READY, before the stand-in client's request went out. */
  heartbeatBeforeRequest: boolean;
  /** When the REQUEST reached the stand-in worker (performance.now()); absent if none came. */
  requestAt?: number;
  /** When the stand-in stopped holding the request and replied. */
  holdEnd?: number;
  /** What the broker sent the stand-in worker while it held the request, in order. */
  duringHold: { at: number; kind: WorkerInbound['kind'] | 'malformed' }[];
  /** When the stand-in worker itself heartbeated, from READY on: its own silence could make the broker expire it. */
  sentHeartbeats: number[];
  /** What the stand-in client got: the reply with its job in it, another answer, or nothing within the timeout. */
  reply: 'answered' | 'nothing' | string;
  /** When the harness was starved meanwhile (harness/timing/stall-watch.ts). */
  stalls: readonly Stall[];
}

/**
 * 7/MDP's broker half of "Both broker and worker MUST send heartbeats at regular and agreed-upon
 * intervals", whatever the worker is doing. A stand-in worker of the harness registers `service`,
 * heartbeats every `heartbeatMs` as a live worker does, and waits for the broker's first HEARTBEAT
 * (up to `registerTimeoutMs`); a stand-in client then sends `job` to `service`. The worker takes the
 * REQUEST, holds it for `holdMs` (several liveness periods) without a REPLY, heartbeating all along,
 * and records every command the broker sends it meanwhile; then it replies with the job, and the
 * client must get it.
 */
export async function holdRequestLong(endpoint: string, service: string, job: string, timing: BusyWorkerTiming): Promise<BusyWorkerHeard> {
  const watch = new StallWatch();
  const worker = new RawPeer(endpoint);
  const client = new RawPeer(endpoint);
  const sentHeartbeats: number[] = [];
  const duringHold: BusyWorkerHeard['duringHold'] = [];
  let heartbeating = true;
  const heartbeats = (async () => {
    while (heartbeating) {
      await sleep(timing.heartbeatMs);
      if (!heartbeating) break;
      sentHeartbeats.push(performance.now());
      // A send that fails (the broker gone) is not this loop's to report: the broker's silence shows in what the worker heard.
      await worker.send(encodeHeartbeat()).catch(() => undefined);
    }
  })();
  let heartbeatBeforeRequest = false;
  const heard = (): BusyWorkerHeard => ({ heartbeatBeforeRequest, duringHold, sentHeartbeats, reply: 'nothing', stalls: watch.stalls() });
  try {
    await worker.send(encodeReady(service));
    // A HEARTBEAT shows the READY was taken; a broker that never sends one is still given the request, and judged by the hold.
    heartbeatBeforeRequest = (await awaitFirst(worker, timing.registerTimeoutMs, heartbeat)) === true;
    await client.send(encodeClientRequest(service, [Buffer.from(job)]));
    const taken = await awaitFirst(worker, timing.dispatchTimeoutMs, request);
    if (taken === undefined) return heard();
    const requestAt = performance.now();
    const holdEnd = requestAt + timing.holdMs;
    for (let remaining = timing.holdMs; remaining > 0; remaining = holdEnd - performance.now()) {
      const frames = await worker.receive(remaining);
      if (frames) duringHold.push({ at: performance.now(), kind: kindAtWorker(frames) });
    }
    const heldUntil = performance.now();
    heartbeating = false;
    await heartbeats;
    await worker.send(encodeReply(taken.client, taken.body));
    const answer = await client.receive(timing.replyTimeoutMs);
    return { ...heard(), requestAt, holdEnd: heldUntil, reply: replyOutcome(answer, job) };
  } finally {
    heartbeating = false;
    await heartbeats.catch(() => undefined);
    watch.stop();
    worker.close();
    client.close();
  }
}

function replyOutcome(frames: Buffer[] | undefined, job: string): BusyWorkerHeard['reply'] {
  if (frames === undefined) return 'nothing';
  try {
    const body = decodeAtClient(frames).body.map((frame) => frame.toString('latin1'));
    return body[0] === job ? 'answered' : `a reply carrying "${body.join('|')}", not "${job}"`;
  } catch (error) {
    if (error instanceof MdpDecodeError) return `a message 7/MDP does not allow a client (${error.reason})`;
    throw error;
  }
}

/** The first message `pick` takes (others skipped), or undefined if none came within `timeoutMs`. */
async function awaitFirst<T>(worker: RawPeer, timeoutMs: number, pick: (frames: Buffer[]) => T | undefined): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (let remaining = timeoutMs; remaining > 0; remaining = deadline - performance.now()) {
    const frames = await worker.receive(remaining);
    if (!frames) return undefined;
    const picked = pick(frames);
    if (picked !== undefined) return picked;
  }
  return undefined;
}

const heartbeat = (frames: Buffer[]): true | undefined => (kindAtWorker(frames) === 'heartbeat' ? true : undefined);

function request(frames: Buffer[]): Extract<WorkerInbound, { kind: 'request' }> | undefined {
  if (kindAtWorker(frames) !== 'request') return undefined;
  const decoded = decodeAtWorker(frames);
  return decoded.kind === 'request' ? decoded : undefined;
}
