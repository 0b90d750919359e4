import { Dealer, Router } from 'zeromq';
import type { RaftMessage } from '../replication/messages';
import type { Logger } from '../util/log';
import { decodeRaftMessage, encodeRaftMessage, RaftCodecError } from './raft-message-codec';

export interface PeerTransportOptions {
  /** This broker's id: messages for another id are dropped. */
  self: string;
  /** Where peers send to this broker (a ROUTER). */
  bind: string;
  log: Logger;
  onMessage(message: RaftMessage): void;
  /** Largest message accepted from a peer (ZMQ_MAXMSGSIZE); a snapshot must fit. Default 64 MiB. */
  maxMessageSize?: number;
}

/** Messages waiting for one peer (ZMQ_SNDHWM); past it a send is dropped, as Raft tolerates any loss. */
const PEER_HIGH_WATER_MARK = 1000;

/**
 * Raft messages between brokers over ZeroMQ: one ROUTER bound on this broker's replication endpoint
 * receives from every peer; one DEALER per peer sends to that peer's ROUTER. Sends never block
 * (ZMQ_SNDTIMEO 0): a message to a peer that is down is dropped, which Raft treats as any loss.
 */
export class PeerTransport {
  private readonly router: Router;
  private readonly peers = new Map<string, { endpoint: string; socket: Dealer; tail: Promise<unknown> }>();
  private closed = false;
  readonly counts = { sent: 0, dropped: 0, received: 0, malformed: 0 };

  constructor(private readonly options: PeerTransportOptions) {
    this.router = new Router({ linger: 0, maxMessageSize: options.maxMessageSize ?? 64 * 1024 * 1024 });
  }

  async listen(): Promise<void> {
    await this.router.bind(this.options.bind);
    void this.receiveLoop();
  }

  /** Where `peer` listens; a changed endpoint replaces its socket. */
  setPeer(peer: string, endpoint: string): void {
    if (peer === this.options.self || this.closed) return;
    const known = this.peers.get(peer);
    if (known?.endpoint === endpoint) return;
    known?.socket.close();
    const socket = new Dealer({ linger: 0, sendTimeout: 0, sendHighWaterMark: PEER_HIGH_WATER_MARK, immediate: true });
    socket.connect(endpoint);
    this.peers.set(peer, { endpoint, socket, tail: Promise.resolve() });
  }

  send(messages: readonly RaftMessage[]): void {
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined || this.closed) {
        this.counts.dropped++;
        continue;
      }
      const bytes = encodeRaftMessage(message);
      // zeromq.js allows one send in progress per socket: each waits for the one before (none blocks).
      // A socket closed meanwhile (its peer's endpoint changed) throws at once rather than rejecting:
      // the send is dropped either way, and the chain must never reject, or the process dies of it.
      peer.tail = peer.tail
        .then(() => peer.socket.send(bytes))
        .then(
          () => void this.counts.sent++,
          () => void this.counts.dropped++,
        );
    }
  }

  close(): void {
    this.closed = true;
    for (const peer of this.peers.values()) peer.socket.close();
    this.peers.clear();
    this.router.close();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.router) {
        this.counts.received++;
        const payload = frames[1];
        let message: RaftMessage;
        try {
          if (frames.length !== 2 || payload === undefined) throw new RaftCodecError(`${frames.length - 1} frames, expected 1`);
          message = decodeRaftMessage(payload);
          if (message.to !== this.options.self) throw new RaftCodecError(`addressed to ${message.to}, this broker is ${this.options.self}`);
        } catch (error) {
          if (!(error instanceof RaftCodecError)) throw error;
          this.counts.malformed++;
          this.options.log.warn({ reason: error.reason }, 'dropped a malformed message from a peer broker');
          continue;
        }
        this.options.onMessage(message);
      }
    } catch (error) {
      if (!this.closed) this.options.log.error({ err: error }, 'replication receive loop failed');
    }
  }
}
