import { performance } from 'node:perf_hooks';
import { decodeAtWorker, decodeJobReply, encodeClientRequest, encodeDisconnect, encodeHeartbeat, encodeJobRequest, encodeReady, encodeReply, KHX_EXTENSION, MdpDecodeError, type WorkerInbound } from '../../reference/mdp/codec';
import { RawPeer } from './raw-peer';

/**
 * Stand-in peers of the harness that speak KHX/1 (or plain 7/MDP) to a broker under test, for the
 * broker rules a node under test cannot be made to provoke: a job given back with DISCONNECT, a job
 * that expires (410), plain peers beside KHX/1 ones.
 */

/** The next message the broker sends a peer listening as a worker that satisfies `matches`, or undefined within `timeoutMs`. */
async function nextAtWorker(worker: RawPeer, timeoutMs: number, matches: (message: WorkerInbound) => boolean): Promise<WorkerInbound | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (let remaining = timeoutMs; remaining > 0; remaining = deadline - performance.now()) {
    const frames = await worker.receive(remaining);
    if (!frames) return undefined;
    try {
      const message = decodeAtWorker(frames);
      if (matches(message)) return message;
    } catch (error) {
      if (!(error instanceof MdpDecodeError)) throw error;
    }
  }
  return undefined;
}

/** A KHX/1 job request from a fresh stand-in client socket, kept open for its answers. */
export class StandInJobClient {
  private readonly peer: RawPeer;

  constructor(
    endpoint: string,
    readonly service: string,
    readonly job: string,
  ) {
    this.peer = new RawPeer(endpoint);
  }

  /** Sends the job (its body's first frame is its id, as the worker driver reports jobs). */
  async send(): Promise<void> {
    await this.peer.send(encodeJobRequest(this.service, this.job, [Buffer.from(this.job)]));
  }

  /** Statuses the broker answers this job with, until one of `final` or `timeoutMs`. */
  async statusesUntil(final: readonly string[], timeoutMs: number): Promise<string[]> {
    const statuses: string[] = [];
    const deadline = performance.now() + timeoutMs;
    for (let remaining = timeoutMs; remaining > 0; remaining = deadline - performance.now()) {
      const frames = await this.peer.receive(remaining);
      if (!frames) break;
      try {
        const reply = decodeJobReply(frames);
        if (reply.job !== this.job) continue;
        statuses.push(reply.status);
        if (final.includes(reply.status)) break;
      } catch (error) {
        if (!(error instanceof MdpDecodeError)) throw error;
        statuses.push('malformed');
      }
    }
    return statuses;
  }

  close(): void {
    this.peer.close();
  }
}

/** A stand-in KHX/1 worker: READY with KHX/1 and an instance id, then it heartbeats and holds whatever REQUEST it gets. */
export class StandInKhxWorker {
  private readonly peer: RawPeer;
  private held?: Buffer;
  private heartbeats?: NodeJS.Timeout;

  constructor(
    endpoint: string,
    private readonly service: string,
    private readonly heartbeatMs: number,
  ) {
    this.peer = new RawPeer(endpoint);
  }

  /** Registers and starts heartbeating (so the broker never takes it for dead); resolves whether the broker welcomed it (an empty RECORDED) within `timeoutMs`. */
  async register(timeoutMs: number): Promise<boolean> {
    await this.peer.send(encodeReady(this.service, [KHX_EXTENSION, `stand-in-${process.pid}-${Math.round(performance.now())}`]));
    this.heartbeats = setInterval(() => void this.peer.send(encodeHeartbeat()).catch(() => undefined), this.heartbeatMs);
    return (await nextAtWorker(this.peer, timeoutMs, (message) => message.kind === 'recorded' && message.jobs.length === 0)) !== undefined;
  }

  /** Waits for a REQUEST and holds it (never runs it); resolves with its job id, or undefined within `timeoutMs`. */
  async takeJob(timeoutMs: number): Promise<string | undefined> {
    const request = await nextAtWorker(this.peer, timeoutMs, (message) => message.kind === 'request');
    if (request?.kind !== 'request') return undefined;
    this.held = request.client;
    return request.client.toString('latin1');
  }

  /** Gives the held job back: DISCONNECT, "given back, not run" (KHX/1 worker rule 5). */
  async giveBack(): Promise<void> {
    clearInterval(this.heartbeats);
    await this.peer.send(encodeDisconnect());
  }

  get holds(): string | undefined {
    return this.held?.toString('latin1');
  }

  close(): void {
    clearInterval(this.heartbeats);
    this.peer.close();
  }
}

/** What a plain 7/MDP worker and client of the harness saw from a broker. */
export interface PlainPeersOutcome {
  /** The plain worker got the plain client's request. */
  dispatched: boolean;
  /** The plain client got the reply, body intact. */
  answered: boolean;
  /** Commands the plain worker got that 7/MDP does not have (RECORDED, CONTROL), by kind. */
  extensions: string[];
}

/**
 * KHX/1's degradation: a plain worker (READY with no extension) and a plain client (MDPC01) of the
 * harness, on a broker under test: the request must reach the worker, which echoes its address, the
 * reply must reach the client, and the worker must hear nothing but 7/MDP within `listenMs` after.
 */
export async function servePlainPeers(endpoint: string, service: string, timeoutMs: number, listenMs: number): Promise<PlainPeersOutcome> {
  const worker = new RawPeer(endpoint);
  const client = new RawPeer(endpoint);
  const extensions: string[] = [];
  const notPlain = (message: WorkerInbound): boolean => {
    if (message.kind === 'recorded' || message.kind === 'control') extensions.push(message.kind.toUpperCase());
    return false;
  };
  try {
    await worker.send(encodeReady(service));
    // Registered once the broker heartbeats it: a request sent earlier could find no worker yet.
    await nextAtWorker(worker, timeoutMs, (message) => notPlain(message) || message.kind === 'heartbeat');
    const body = `plain-${process.pid}`;
    await client.send(encodeClientRequest(service, [Buffer.from(body)]));
    const request = await nextAtWorker(worker, timeoutMs, (message) => notPlain(message) || message.kind === 'request');
    if (request?.kind !== 'request') return { dispatched: false, answered: false, extensions };
    await worker.send(encodeReply(request.client, request.body));
    const reply = await client.receive(timeoutMs);
    const answered = reply !== undefined && reply.slice(3).map((frame) => frame.toString('latin1')).join('|') === body;
    await nextAtWorker(worker, listenMs, notPlain);
    return { dispatched: true, answered, extensions };
  } finally {
    await worker.send(encodeDisconnect()).catch(() => undefined);
    worker.close();
    client.close();
  }
}
