import { Dealer } from 'zeromq';
import { Broker, type BrokerOptions } from '../../reference/broker';
import { decodeAtClient, decodeAtWorker, decodeJobReply, encodeHeartbeat, type ClientReply, type Frame, type JobReply, type WorkerInbound } from '../../reference/mdp/codec';
import { freePort } from '../../harness/runtime/ports';
import type { PeerSecurity } from '../../reference/security/peer-security';

/** Shared by the network tests: raw MDP peers on real sockets, and brokers on free ports. */

export async function freeEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await freePort()}`;
}

export const FAST_BROKER = { heartbeatInterval: 30, heartbeatLiveness: 3, requestExpiry: 5_000 } as const;

/**
 * Starts a broker, retrying the bind for up to `retryMs` (a just-closed broker on the same port
 * may hold it for a moment).
 */
export async function startBroker(endpoint: string, options: Partial<Omit<BrokerOptions, 'endpoint'>> = {}, retryMs = 2_000): Promise<Broker> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await Broker.start({ ...FAST_BROKER, ...options, endpoint });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A DEALER that speaks MDP frame by frame. Frames it sends and receives never include a routing
 * identity (the broker's ROUTER adds and strips it), exactly as the codec's encoders produce them.
 */
export class RawMdpPeer {
  readonly socket: Dealer;
  private heartbeatTimer?: NodeJS.Timeout;

  /** With `security`: a CURVE client of the broker's key that puts the KHA/1 envelope on every message (heartbeats too). */
  constructor(
    endpoint: string,
    routingId?: string,
    private readonly security?: PeerSecurity,
  ) {
    this.socket = new Dealer({ linger: 0, sendTimeout: 1_000, ...(routingId ? { routingId } : {}), ...(security?.socketOptions() ?? {}) });
    this.socket.connect(endpoint);
  }

  async send(frames: Frame[]): Promise<void> {
    await this.socket.send(this.sealed(frames));
  }

  private sealed(frames: Frame[]): Frame[] {
    return this.security?.wrap(frames) ?? frames;
  }

  /** The next message, or undefined when none arrives within `timeoutMs`. */
  async receive(timeoutMs: number): Promise<Frame[] | undefined> {
    this.socket.receiveTimeout = Math.max(1, Math.ceil(timeoutMs));
    try {
      return await this.socket.receive();
    } catch (error) {
      if ((error as { code?: string }).code === 'EAGAIN') return undefined;
      throw error;
    }
  }

  /** The next worker-side message other than HEARTBEAT, or undefined when none arrives in time. */
  async receiveAsWorker(timeoutMs: number): Promise<WorkerInbound | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      const frames = await this.receive(remaining);
      if (!frames) return undefined;
      const message = decodeAtWorker(frames);
      if (message.kind !== 'heartbeat') return message;
    }
  }

  async expectAsWorker(timeoutMs: number, what: string): Promise<WorkerInbound> {
    const message = await this.receiveAsWorker(timeoutMs);
    if (!message) throw new Error(`no ${what} within ${timeoutMs} ms`);
    return message;
  }

  async expectAsClient(timeoutMs: number, what: string): Promise<ClientReply> {
    const frames = await this.receive(timeoutMs);
    if (!frames) throw new Error(`no ${what} within ${timeoutMs} ms`);
    return decodeAtClient(frames);
  }

  /** Sends HEARTBEAT every `intervalMs` until stopHeartbeats() or close(). */
  startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setInterval(() => {
      if (!this.socket.closed) this.socket.send(this.sealed(encodeHeartbeat())).catch(() => undefined);
    }, intervalMs);
  }

  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  close(): void {
    this.stopHeartbeats();
    if (!this.socket.closed) this.socket.close();
  }
}

/** Raw peers a test opens on the endpoint of the moment; `closeAll` (in afterEach) closes every one opened since. */
export function rawPeers(endpoint: () => string): { peer: (routingId?: string) => RawMdpPeer; closeAll: () => void } {
  const opened: RawMdpPeer[] = [];
  return {
    peer: (routingId) => {
      const created = new RawMdpPeer(endpoint(), routingId);
      opened.push(created);
      return created;
    },
    closeAll: () => {
      for (const p of opened.splice(0)) p.close();
    },
  };
}

/** Frames as strings, for readable assertions. */
export function texts(frames: readonly Frame[]): string[] {
  return frames.map((frame) => frame.toString());
}

/** The next KHX/1 answer at a client peer; throws naming `what` when none comes within `timeoutMs`. */
export async function expectJobReplyWithin(peer: RawMdpPeer, what: string, timeoutMs: number): Promise<JobReply> {
  const frames = await peer.receive(timeoutMs);
  if (!frames) throw new Error(`no ${what} within ${timeoutMs} ms`);
  return decodeJobReply(frames);
}

/** The next REQUEST at a worker peer, skipping RECORDED; throws naming `what` when none comes within `timeoutMs` per message. */
export async function expectRequestWithin(worker: RawMdpPeer, what: string, timeoutMs: number): Promise<{ client: Frame; body: Frame[] }> {
  for (;;) {
    const message: WorkerInbound = await worker.expectAsWorker(timeoutMs, what);
    if (message.kind === 'recorded') continue;
    if (message.kind !== 'request') throw new Error(`expected REQUEST (${what}), got ${message.kind}`);
    return message;
  }
}
