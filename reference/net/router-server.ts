import { Router } from 'zeromq';
import type { Logger } from '../util/log';
import type { Principal } from '../security/policy';
import type { ServerSecurity } from '../security/server-security';

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
  /**
   * Secure mode (docs/security.md): CURVE server options and a ZAP domain on the socket, and every
   * message's KHA/1 envelope opened before `onMessage`, which then gets the sender's principal. A
   * message without a valid envelope, or from a key the policy no longer lists, is dropped, counted
   * (`security.counts`) and logged. The server owns it from here: close() closes it. Undefined:
   * unauthenticated mode, `onMessage` gets no principal.
   */
  security?: ServerSecurity;
  /**
   * One message from a peer: its routing identity, the frames after it (after the envelope in secure
   * mode) and, in secure mode, the principal that sent it. Not called once the server failed or closed.
   */
  onMessage(identity: Frame, frames: Frame[], principal?: Principal): void;
  /** Secure mode: a message with the valid envelope of a key the policy no longer lists (revoked): forget that peer's session. */
  onRevokedSender?(identity: Frame, key: string): void;
  /** Every `tickInterval` ms from listen() until close(). */
  onTick(): void;
  /**
   * Set: the socket is ZMQ_ROUTER_MANDATORY, and a send to a routing id with no connection behind it
   * (the peer closed it, or never had it) calls this with the frames that could not go, on a later
   * microtask (never inside the owner's own call to send()). The broker learns a worker is gone the
   * moment it writes to it, instead of a liveness period later. Unset: such sends vanish silently.
   */
  onUnroutable?(frames: Frame[]): void;
}

/** A full pipe to one peer, reported by a mandatory ROUTER: that message is dropped, as without the option. */
const EAGAIN = 'EAGAIN';
const EHOSTUNREACH = 'EHOSTUNREACH';

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
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
  private fullPipeDrops = 0;
  private fatal?: Error;
  private readonly failed: Promise<Error>;
  private resolveFailed!: (error: Error) => void;

  constructor(private readonly options: RouterServerOptions) {
    this.socket = new Router({
      linger: 0,
      sendTimeout: 0,
      ...(options.onUnroutable === undefined ? {} : { mandatory: true }),
      ...(options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize }),
      ...(options.security?.socketOptions() ?? {}),
    });
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
      this.options.security?.close();
      throw error;
    }
    this.tickTimer = setInterval(() => {
      // The policy first, so a revocation is in force before the owner's tick looks at its peers.
      this.options.security?.tick();
      this.options.onTick();
    }, this.options.tickInterval);
    this.receiving = this.receiveLoop();
  }

  /** The bound endpoint (with the port the system chose for `:0`). */
  get endpoint(): string {
    return this.socket.lastEndpoint ?? this.options.endpoint;
  }

  /** Secure mode's state (counts, policy in force), or undefined in unauthenticated mode. */
  get security(): ServerSecurity | undefined {
    return this.options.security;
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
   * dropped, or reported to `onUnroutable`), so there is nothing to await. A send that fails,
   * synchronously or not, loses one message (the owners' retry and retransmission paths cover it),
   * never the server.
   */
  send(frames: Frame[]): void {
    const failed = (error: unknown) => {
      if (this.isClosed) return;
      const code = errorCode(error);
      if (code === EHOSTUNREACH && this.options.onUnroutable !== undefined) {
        const onUnroutable = this.options.onUnroutable;
        queueMicrotask(() => {
          if (this.serving) onUnroutable(frames);
        });
        return;
      }
      // A full pipe drops the message, as a ROUTER without the option does silently: counted in the log, not one line each.
      if (code === EAGAIN) {
        this.fullPipeDrops++;
        if (this.fullPipeDrops <= 10 || this.fullPipeDrops % 1000 === 0) this.options.log.warn({ count: this.fullPipeDrops }, 'a peer\'s pipe was full: message dropped');
        return;
      }
      this.options.log.warn({ err: error }, 'send failed');
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
    this.options.security?.close();
    await this.receiving?.catch(() => undefined);
  }

  private deliver(identity: Frame, frames: Frame[]): void {
    const security = this.options.security;
    if (security === undefined) {
      this.options.onMessage(identity, frames);
      return;
    }
    const opened = security.open(frames);
    if (opened.kind === 'ok') {
      this.options.onMessage(identity, opened.frames, opened.principal);
      return;
    }
    const count = security.counts[opened.kind];
    // Bounded: a flood of bad envelopes costs a counter, not a log line each.
    if (count <= 10 || count % 1000 === 0) this.options.log.warn({ reason: opened.reason, count }, `${this.options.role} dropped an ${opened.kind} message`);
    if (opened.kind === 'unauthorized') this.options.onRevokedSender?.(identity, opened.key);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) {
        if (this.serving) this.deliver(identity!, frames);
      }
    } catch (error) {
      if (!this.isClosed) this.options.log.error({ err: error }, `${this.options.role} receive loop failed`);
    }
  }
}
