import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { parsePort, splitHostPort } from './address';
import { Link } from './link';
import type { LinkByteCounter } from './proxy-metrics';
import type { Random } from '../util/random';
import type { Direction, StageTimer, Toxic } from './toxics/toxic';
import { harnessDefectSeeded } from '../util/seeded-harness-defect';

/** The other stream: what the seeded `streams-swapped` defect puts a toxic on. */
const OTHER: Record<Direction, Direction> = { upstream: 'downstream', downstream: 'upstream' };

/** How long a closing socket may take to flush what is still queued for it before it is destroyed anyway. */
const CLOSE_GRACE_MS = 5000;
/** Keepalive as Go's net package sets it on every TCP connection. */
const KEEPALIVE_MS = 15000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ConnectionOptions {
  readonly client: Socket;
  /** `host:port`, resolved now (not when the proxy was created), as the real server dials per client. */
  readonly upstream: string;
  /** The proxy's toxics for a direction at the time the upstream answers. */
  readonly toxics: (direction: Direction) => readonly Toxic[];
  readonly random: Random;
  readonly logger: Logger;
  /** Where each direction's bytes are counted, when the server keeps metrics. */
  readonly counters?: (direction: Direction) => LinkByteCounter;
}

/**
 * One client connection through a proxy: the accepted client socket, the upstream socket dialled
 * for it, and the two links between them (upstream = client→server, downstream = server→client).
 *
 * Closing follows the real server: when one direction's stream ends (EOF from its source, or a
 * toxic closing it), its destination is closed once flushed; the other direction then sees its
 * source close, ends in turn, and closes the other socket. So a half-close from either peer
 * closes the whole connection, after data already read has been delivered.
 */
export class Connection {
  private upstreamSocket: Socket | undefined;
  private links: Link[] = [];
  private readonly timers = new Set<StageTimer>();
  private closed = false;
  private clientClosed = false;
  private upstreamClosed = true;
  /** The toxics the proxy had when this connection was admitted; any other came while it was open. */
  private toxicsAtOpen: ReadonlySet<Toxic> = new Set();
  /** Called once, when both sockets are closed and everything is released. */
  onClosed: (() => void) | undefined;

  constructor(private readonly options: ConnectionOptions) {}

  get client(): Socket {
    return this.options.client;
  }

  /** Dials the upstream; the client (accepted paused) is read only once the links exist. */
  open(): void {
    const { client, logger, toxics } = this.options;
    this.toxicsAtOpen = new Set([...toxics('upstream'), ...toxics('downstream')]);
    client.setNoDelay(true);
    client.setKeepAlive(true, KEEPALIVE_MS);
    client.on('error', (error) => logger.debug({ err: error.message, client: client.remoteAddress }, 'Client connection error'));
    client.on('close', () => {
      this.clientClosed = true;
      this.maybeFinished();
    });

    let host: string;
    let port: number;
    try {
      const target = splitHostPort(this.options.upstream);
      host = target.host;
      port = parsePort(target.port);
      if (port === 0) throw new Error(`dial tcp ${this.options.upstream}: invalid port`);
    } catch (error) {
      this.upstreamFailed(error as Error);
      return;
    }
    const upstream = connect({ host, port, allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });
    this.upstreamSocket = upstream;
    this.upstreamClosed = false;
    let connected = false;
    upstream.on('error', (error) => {
      if (!connected) this.upstreamFailed(error);
      else logger.debug({ err: error.message }, 'Upstream connection error');
    });
    upstream.on('close', () => {
      this.upstreamClosed = true;
      this.maybeFinished();
    });
    upstream.once('connect', () => {
      connected = true;
      if (this.closed || this.options.client.destroyed) {
        upstream.destroy();
        return;
      }
      this.linkUp(upstream);
    });
  }

  /** The upstream is unreachable: the client, already accepted, is closed at once (it sees EOF). */
  private upstreamFailed(error: Error): void {
    this.options.logger.error({ upstream: this.options.upstream, err: error.message }, 'Unable to open connection to upstream');
    this.closeGracefully(this.options.client);
  }

  private linkUp(upstream: Socket): void {
    const { client, toxics, random } = this.options;
    const hooks = {
      client,
      random,
      setTimer: (callback: () => void, ms: number) => this.setTimer(callback, ms),
      clearTimer: (timer: StageTimer | undefined) => this.clearTimer(timer),
      reset: () => this.reset(),
      outputEnded: (link: Link) => this.closeGracefully(link.dest),
    };
    const counter = (direction: Direction): LinkByteCounter | undefined => this.options.counters?.(direction);
    // A toxic added while the upstream was being dialled came while the connection was open.
    const cameWhileOpen = (toxic: Toxic): boolean => !this.toxicsAtOpen.has(toxic);
    const toxicsOf = (direction: Direction): readonly Toxic[] => toxics(harnessDefectSeeded('streams-swapped') ? OTHER[direction] : direction);
    this.links = [
      new Link('upstream', client, upstream, toxicsOf('upstream'), hooks, counter('upstream'), cameWhileOpen),
      new Link('downstream', upstream, client, toxicsOf('downstream'), hooks, counter('downstream'), cameWhileOpen),
    ];
    for (const link of this.links) link.start();
    client.resume();
  }

  private linkFor(direction: Direction): Link | undefined {
    const stream = harnessDefectSeeded('streams-swapped') ? OTHER[direction] : direction;
    return this.links.find((link) => link.direction === stream);
  }

  /** Whether the connection's stream in `direction` is linked and still open: a toxic added now must act on it. */
  carries(direction: Direction): boolean {
    return this.linkFor(direction)?.open === true;
  }

  addToxic(toxic: Toxic): void {
    this.linkFor(toxic.direction)?.addToxic(toxic);
  }

  updateToxic(toxic: Toxic): void {
    this.linkFor(toxic.direction)?.updateToxic(toxic);
  }

  removeToxic(toxic: Toxic): void {
    this.linkFor(toxic.direction)?.removeToxic(toxic);
  }

  /** The names of the toxics with a stage on either stream, once per stage. */
  stageNames(): string[] {
    return this.links.flatMap((link) => link.toxicNames());
  }

  /** Ends the socket once what is queued for it is flushed, then destroys it (bounded). */
  private closeGracefully(socket: Socket): void {
    if (socket.destroyed) return;
    socket.end(() => socket.destroy());
    this.setTimer(() => socket.destroy(), CLOSE_GRACE_MS);
  }

  /** Closes both sockets now (proxy disabled, changed or deleted). */
  close(): void {
    if (this.closed) return;
    this.options.client.destroy();
    this.upstreamSocket?.destroy();
    this.finish();
  }

  /** Closes both sockets with a TCP RST (reset_peer). */
  reset(): void {
    if (this.closed) return;
    for (const socket of [this.options.client, this.upstreamSocket]) {
      if (!socket || socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
    this.finish();
  }

  private maybeFinished(): void {
    if (this.clientClosed && this.upstreamClosed) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const link of this.links) link.detach();
    this.onClosed?.();
  }

  private setTimer(callback: () => void, ms: number): StageTimer {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        callback();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    if (this.closed) clearTimeout(timer);
    else this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: StageTimer | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }
}
