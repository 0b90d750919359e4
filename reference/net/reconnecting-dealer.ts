import { setTimeout as sleep } from 'node:timers/promises';
import { Dealer } from 'zeromq';
import { backoffDelay } from '../util/backoff';
import type { Logger } from '../util/log';
import type { PeerSecurity } from '../security/peer-security';
import type { Frame } from './router-server';
import { monotonicNow } from '../util/monotonic-clock';

export interface ReconnectingDealerOptions {
  /** The server to connect to, e.g. `tcp://127.0.0.1:5555`. */
  endpoint: string;
  /**
   * KHR/1 failover: servers to try in turn, `endpoint` first. Every reconnect (DISCONNECT, a silent
   * peer, the owner's wish) moves to the next one. Absent or one: always `endpoint`.
   */
  endpoints?: readonly string[];
  /** Milliseconds between ticks (the owner sends its heartbeat on each). */
  heartbeatInterval: number;
  /** Heartbeat periods of silence after which the peer is taken for dead and the socket replaced. */
  heartbeatLiveness: number;
  /** First reconnect delay in ms; it doubles (with jitter) up to `reconnectMax`. */
  reconnectInitial: number;
  reconnectMax: number;
  /** Names in log lines: `self` (`worker`, `subscriber`) and `peer` (`broker`, `proxy`). */
  self: string;
  peer: string;
  log: Logger;
  /**
   * Secure mode (docs/security.md): every socket a CURVE client of the server's key, and every message
   * sent with the KHA/1 envelope in front. Undefined: unauthenticated mode.
   */
  security?: PeerSecurity;
  /** A fresh socket is connected (on start and after every reconnect): say hello on it (READY, HELLO). */
  onConnect(): void;
  /** A message on the current connection (messages still queued on a dropped one are not passed on). */
  onMessage(frames: Frame[]): void;
  /** Every `heartbeatInterval` while the peer is alive and no reconnect is under way: heartbeat and whatever else is due. */
  onTick(): void;
  /** The socket was dropped, before the delay: forget what belonged to the old session. */
  onDisconnect?(): void;
}

/** True when the peer has been silent for longer than its liveness allows. */
export function pastLiveness(silenceMs: number, heartbeatInterval: number, heartbeatLiveness: number): boolean {
  return silenceMs > heartbeatInterval * heartbeatLiveness;
}

/**
 * The client side both heartbeating peers share (the 7/MDP worker and the KHP/1 subscriber): a DEALER
 * that is thrown away and replaced by a fresh one, after a growing backoff, when the peer falls silent
 * past its liveness or the owner asks (DISCONNECT, a given-back job). A fresh socket rather than
 * ZeroMQ's own reconnect, because the peer must see a new session (a new routing identity) it will
 * greet anew, and nothing queued for the old one may leak into it. Each socket has a generation, so
 * late messages of an old socket, and work computed for one, can be told apart.
 */
export class ReconnectingDealer {
  private socket?: Dealer;
  private currentGeneration = 0;
  private lastHeard = 0;
  /** Silent-peer reconnects in a row; any message heard resets it, so the backoff starts small again. */
  private silentReconnects = 0;
  private reconnecting = false;
  private stopped = false;
  private tickTimer?: NodeJS.Timeout;
  /** When the last tick ran, and whether it was a late one that gave no verdict (onTick). */
  private lastTickAt = 0;
  private skippedLateTick = false;
  /** Which of `endpoints` the current socket is connected to. */
  private endpointAt = 0;
  private readonly endpoints: string[];

  constructor(private readonly options: ReconnectingDealerOptions) {
    this.endpoints = [...(options.endpoints !== undefined && options.endpoints.length > 0 ? options.endpoints : [options.endpoint])];
  }

  /** The server the current socket is connected to. */
  get endpoint(): string {
    return this.endpoints[this.endpointAt];
  }

  /** Connects and starts ticking. */
  start(): void {
    this.connect();
    this.lastTickAt = monotonicNow();
    this.tickTimer = setInterval(() => this.onTick(), this.options.heartbeatInterval);
  }

  /** Bumped on every new socket: a reply computed for an older generation belongs to a session that is gone. */
  get generation(): number {
    return this.currentGeneration;
  }

  /** The backoff before the `attempt`-th reconnect in a row (0-based), with jitter. */
  backoff(attempt: number): number {
    return backoffDelay(attempt, { initial: this.options.reconnectInitial, max: this.options.reconnectMax });
  }

  /**
   * Sends on the current socket, if any. sendTimeout 0: a full pipe means the peer is gone, and the
   * heartbeats will notice, so the message is dropped rather than waited on.
   */
  send(frames: Frame[]): void {
    const socket = this.socket;
    if (!socket) return;
    socket.send(this.sealed(frames)).catch((error: unknown) => {
      if (!socket.closed) this.options.log.debug({ err: error }, 'send dropped');
    });
  }

  /**
   * Drops the socket and connects a new one after `delayMs` (none when 0): to `to` when given (KHR/1:
   * the leader a TERM named; one not yet in the list joins its round robin), else to the next endpoint.
   * `to` may be a bounded look-up, done once the old socket is closed (nothing more goes out on it
   * meanwhile); undefined from it means the next endpoint. Ignored while one is under way or after close().
   */
  async reconnect(delayMs: number, target?: string | (() => Promise<string | undefined>)): Promise<void> {
    if (this.reconnecting || this.stopped) return;
    this.reconnecting = true;
    try {
      this.socket?.close();
      this.socket = undefined;
      this.options.onDisconnect?.();
      const to = typeof target === 'function' ? await target() : target;
      if (to !== undefined && !this.endpoints.includes(to)) this.endpoints.push(to);
      this.endpointAt = to !== undefined ? this.endpoints.indexOf(to) : (this.endpointAt + 1) % this.endpoints.length;
      if (delayMs > 0) await sleep(delayMs);
      if (!this.stopped) this.connect();
    } finally {
      this.reconnecting = false;
    }
  }

  /** Stops ticking and closes the socket for good. */
  close(): void {
    this.stopped = true;
    clearInterval(this.tickTimer);
    this.socket?.close();
    this.socket = undefined;
  }

  /**
   * Stops ticking, sends `frames` as the last message (a goodbye) and closes the socket, letting
   * ZeroMQ flush it for at most `lingerMs`.
   */
  async closeAfter(frames: Frame[], lingerMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await socket.send(this.sealed(frames)).catch((error: unknown) => this.options.log.debug({ err: error }, 'goodbye dropped'));
    socket.linger = lingerMs;
    socket.close();
  }

  private sealed(frames: Frame[]): Frame[] {
    return this.options.security?.wrap(frames) ?? frames;
  }

  private connect(): void {
    this.socket?.close();
    const socket = new Dealer({ linger: 0, sendTimeout: 0, ...(this.options.security?.socketOptions() ?? {}) });
    socket.connect(this.endpoint);
    this.socket = socket;
    this.currentGeneration++;
    this.lastHeard = monotonicNow();
    this.options.onConnect();
    void this.receiveLoop(socket, this.currentGeneration);
  }

  private async receiveLoop(socket: Dealer, generation: number): Promise<void> {
    try {
      for await (const frames of socket) {
        if (generation !== this.currentGeneration) return;
        this.lastHeard = monotonicNow();
        this.silentReconnects = 0;
        this.options.onMessage(frames);
      }
    } catch (error) {
      if (!socket.closed) this.options.log.warn({ err: error }, `${this.options.self} receive loop failed`);
    }
  }

  private onTick(): void {
    const now = monotonicNow();
    // A tick more than an interval late means this process stood still (frozen, starved, a long pause),
    // and what the peer sent meanwhile may sit unread in the socket: the silence is ours, not the peer's.
    // That tick sends the heartbeat but gives no verdict; the next one, after the socket was read, does.
    // Never two in a row: on a machine so loaded that every tick is late, a silent peer is still found.
    const late = now - this.lastTickAt > 2 * this.options.heartbeatInterval && !this.skippedLateTick;
    this.lastTickAt = now;
    this.skippedLateTick = late;
    if (this.stopped || this.reconnecting) return;
    const silence = now - this.lastHeard;
    if (!late && pastLiveness(silence, this.options.heartbeatInterval, this.options.heartbeatLiveness)) {
      this.options.log.warn({ silenceMs: silence }, `${this.options.peer} silent past liveness: reconnecting`);
      void this.reconnect(this.backoff(this.silentReconnects++));
      return;
    }
    this.options.onTick();
  }
}
