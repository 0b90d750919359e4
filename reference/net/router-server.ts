import { Router } from 'zeromq';
import type { Logger } from '../util/log';

/** One ZeroMQ message part. */
export type Frame = Buffer;

export interface RouterServerOptions {
  /** Where to bind, e.g. `tcp://127.0.0.1:5555`. */
  endpoint: string;
  /** Milliseconds between ticks (heartbeats, expiry, retransmission: whatever the owner does on a tick). */
  tickInterval: number;
  /**
   * Largest message a peer may send, in bytes (ZMQ_MAXMSGSIZE): libzmq disconnects a peer that sends
   * more, before the message is ever held in memory. Undefined: no limit.
   */
  maxMessageSize?: number;
  /** What the server is called in its own log lines: `broker`, `proxy`. */
  role: string;
  log: Logger;
  /** One message from a peer: its routing identity and the frames after it. Not called once the server failed or closed. */
  onMessage(identity: Frame, frames: Frame[]): void;
  /** Every `tickInterval` ms from listen() until close(). */
  onTick(): void;
}

/**
 * The socket side both journaled servers share (the 7/MDP broker and the KHP/1 pub/sub proxy): one
 * ROUTER bound to an endpoint, a receive loop, a tick timer, fire-and-forget sends, and a latch for
 * the one fatal error (a failed journal) after which the server stops serving. The protocol, the
 * journal and what a tick does stay with the owner.
 */
export class RouterServer {
  // sendTimeout 0: a ROUTER never blocks, and without it zeromq.js may defer a send after a long run of
  // immediate ones, making the next send throw EBUSY (a server that sends twice in a row then dies or goes deaf).
  private readonly socket: Router;
  private tickTimer?: NodeJS.Timeout;
  private receiving?: Promise<void>;
  private isClosed = false;
  private fatal?: Error;
  private readonly failed: Promise<Error>;
  private resolveFailed!: (error: Error) => void;

  constructor(private readonly options: RouterServerOptions) {
    this.socket = new Router({ linger: 0, sendTimeout: 0, ...(options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize }) });
    this.failed = new Promise((resolve) => (this.resolveFailed = resolve));
  }

  /**
   * Binds, then starts ticking and receiving. A bind that fails (the port is taken) closes the socket
   * and rethrows: the owner then closes what it opened before (its journal).
   */
  async listen(): Promise<void> {
    try {
      await this.socket.bind(this.options.endpoint);
    } catch (error) {
      this.isClosed = true;
      this.socket.close();
      throw error;
    }
    this.tickTimer = setInterval(() => this.options.onTick(), this.options.tickInterval);
    this.receiving = this.receiveLoop();
  }

  /** The bound endpoint (with the port the system chose for `:0`). */
  get endpoint(): string {
    return this.socket.lastEndpoint ?? this.options.endpoint;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The fatal error, once there was one. */
  get failure(): Error | undefined {
    return this.fatal;
  }

  /** Neither closed nor failed: the check every deferred answer (after a journal write) makes before it goes out. */
  get serving(): boolean {
    return !this.isClosed && this.fatal === undefined;
  }

  /** Resolves with the error if the server stops serving on its own (fail()). */
  whenFailed(): Promise<Error> {
    return this.failed;
  }

  /**
   * Records the fatal error and resolves whenFailed(). Returns false, doing nothing, when the server
   * already failed or closed, so the owner runs its own shutdown once.
   */
  fail(error: Error): boolean {
    if (this.fatal !== undefined || this.isClosed) return false;
    this.fatal = error;
    this.resolveFailed(error);
    return true;
  }

  /**
   * Sends to the peer named by the first frame. ROUTER sends never block (unroutable messages are
   * dropped), so there is nothing to await. A send that fails, synchronously or not, loses one
   * message (the owners' retry and retransmission paths cover it), never the server.
   */
  send(frames: Frame[]): void {
    const failed = (error: unknown) => {
      if (!this.isClosed) this.options.log.warn({ err: error }, 'send failed');
    };
    try {
      this.socket.send(frames).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * Stops the ticks, sends `farewell` (e.g. DISCONNECT to every worker: sent after the server counts
   * as closed, so a failed one is not logged), closes the socket and waits for the receive loop to end.
   */
  async close(farewell: readonly Frame[][] = []): Promise<void> {
    this.isClosed = true;
    clearInterval(this.tickTimer);
    if (!this.socket.closed) {
      for (const frames of farewell) this.send(frames);
      this.socket.close();
    }
    await this.receiving?.catch(() => undefined);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (this.serving) this.options.onMessage(identity, frames);
      }
    } catch (error) {
      if (!this.isClosed) this.options.log.error({ err: error }, `${this.options.role} receive loop failed`);
    }
  }
}
