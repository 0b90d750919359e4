import { Dealer, Router, type Socket } from 'zeromq';
import type { RaftMessage } from '../replication/messages';
import type { PeerSecurity } from '../security/peer-security';
import type { Logger } from '../util/log';
import { decodeRaftMessage, encodeRaftMessage, RaftCodecError } from './raft-message-codec';
import { sampled, type ReplicationSecurity } from './replication-security';

export interface PeerTransportOptions {
  /** This broker's id: messages for another id are dropped. */
  self: string;
  /** Where peers send to this broker (a ROUTER). */
  bind: string;
  log: Logger;
  onMessage(message: RaftMessage): void;
  /** Largest message accepted from a peer (ZMQ_MAXMSGSIZE); a snapshot must fit. Default 64 MiB. */
  maxMessageSize?: number;
  /** Secure replication (docs/replication.md): CURVE links to and from replica keys only, each message enveloped. */
  security?: ReplicationSecurity;
}

/** One peer's link: no socket while a secure policy names no key for it (what is sent to it is dropped). */
interface PeerLink {
  endpoint: string;
  security: PeerSecurity | undefined;
  socket: Dealer | undefined;
  tail: Promise<unknown>;
}

/** libzmq's code when one side of a handshake runs CURVE and the other does not. */
const MECHANISM_MISMATCH = 'ERR_ZMTP_MECHANISM_MISMATCH';

/** Messages waiting for one peer (ZMQ_SNDHWM); past it a send is dropped, as Raft tolerates any loss. */
const PEER_HIGH_WATER_MARK = 1000;

/**
 * Raft messages between brokers over ZeroMQ: one ROUTER bound on this broker's replication endpoint
 * receives from every peer; one DEALER per peer sends to that peer's ROUTER. Sends never block
 * (ZMQ_SNDTIMEO 0): a message to a peer that is down is dropped, which Raft treats as any loss.
 */
export class PeerTransport {
  private readonly router: Router;
  private readonly peers = new Map<string, PeerLink>();
  private closed = false;
  /**
   * `refused`: messages dropped by the secure checks (no valid envelope, a revoked key, a key speaking
   * for a node id not its own); `handshakeFailures`: connections to the replication endpoint that
   * failed their handshake (a plain peer at a secure endpoint or the reverse, a key ZAP refused).
   */
  readonly counts = { sent: 0, dropped: 0, received: 0, malformed: 0, refused: 0, handshakeFailures: 0 };

  constructor(private readonly options: PeerTransportOptions) {
    this.router = new Router({ linger: 0, maxMessageSize: options.maxMessageSize ?? 64 * 1024 * 1024, ...(options.security?.socketOptions() ?? {}) });
    this.watchHandshakes(this.router, 'the replication endpoint', () => ++this.counts.handshakeFailures);
  }

  async listen(): Promise<void> {
    await this.router.bind(this.options.bind);
    void this.receiveLoop();
  }

  /** Where `peer` listens; a changed endpoint, or in secure mode a changed key, replaces its socket. */
  setPeer(peer: string, endpoint: string): void {
    if (peer === this.options.self || this.closed) return;
    const security = this.options.security?.link(peer);
    const known = this.peers.get(peer);
    if (known !== undefined && known.endpoint === endpoint && known.security === security) return;
    known?.socket?.close();
    if (this.options.security !== undefined && security === undefined) {
      this.options.log.error({ peer, endpoint }, `the policy names no replica key for ${peer}: nothing is sent to it until a principal says "replicate: [${peer}]"`);
      this.peers.set(peer, { endpoint, security, socket: undefined, tail: Promise.resolve() });
      return;
    }
    const socket = new Dealer({ linger: 0, sendTimeout: 0, sendHighWaterMark: PEER_HIGH_WATER_MARK, immediate: true, ...(security?.socketOptions() ?? {}) });
    let failures = 0;
    this.watchHandshakes(socket, `the link to ${peer} (${endpoint})`, () => ++failures);
    socket.connect(endpoint);
    this.peers.set(peer, { endpoint, security, socket, tail: Promise.resolve() });
  }

  /** After a policy reload: each peer's link follows the key the policy now names for it. */
  refreshKeys(): void {
    for (const [peer, link] of [...this.peers]) this.setPeer(peer, link.endpoint);
  }

  send(messages: readonly RaftMessage[]): void {
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      const socket = peer?.socket;
      if (peer === undefined || socket === undefined || this.closed) {
        this.counts.dropped++;
        continue;
      }
      const bytes = encodeRaftMessage(message);
      const frames = peer.security?.wrap([bytes]) ?? [bytes];
      // zeromq.js allows one send in progress per socket: each waits for the one before (none blocks).
      // A socket closed meanwhile (its peer's endpoint changed) throws at once rather than rejecting:
      // the send is dropped either way, and the chain must never reject, or the process dies of it.
      peer.tail = peer.tail
        .then(() => socket.send(frames))
        .then(
          () => void this.counts.sent++,
          () => void this.counts.dropped++,
        );
    }
  }

  close(): void {
    this.closed = true;
    for (const peer of this.peers.values()) peer.socket?.close();
    this.peers.clear();
    this.router.close();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [, ...received] of this.router) {
        this.counts.received++;
        const opened = this.open(received);
        if (opened === undefined) continue;
        const [payload] = opened.frames;
        let message: RaftMessage;
        try {
          if (opened.frames.length !== 1 || payload === undefined) throw new RaftCodecError(`${opened.frames.length} frames, expected 1`);
          message = decodeRaftMessage(payload);
          if (message.to !== this.options.self) throw new RaftCodecError(`addressed to ${message.to}, this broker is ${this.options.self}`);
        } catch (error) {
          if (!(error instanceof RaftCodecError)) throw error;
          this.counts.malformed++;
          this.options.log.warn({ reason: error.reason }, 'dropped a malformed message from a peer broker');
          continue;
        }
        if (opened.speaksFor !== undefined && !opened.speaksFor(message.from)) {
          this.refuse(`a replica key sent a message as ${message.from}, a node id the policy does not give it`);
          continue;
        }
        this.options.onMessage(message);
      }
    } catch (error) {
      if (!this.closed) this.options.log.error({ err: error }, 'replication receive loop failed');
    }
  }

  /** In secure mode, the message's envelope checked: its payload and who may have sent it, or undefined (refused, counted). */
  private open(frames: Buffer[]): { frames: Buffer[]; speaksFor?: (nodeId: string) => boolean } | undefined {
    const security = this.options.security;
    if (security === undefined) return { frames };
    const opened = security.open(frames);
    if (opened.kind !== 'ok') {
      this.refuse(`${opened.kind}: ${opened.reason}`);
      return undefined;
    }
    return { frames: opened.frames, speaksFor: (nodeId) => security.mayReplicateAs(opened.principal, nodeId) };
  }

  private refuse(reason: string): void {
    this.counts.refused++;
    if (sampled(this.counts.refused)) this.options.log.warn({ reason, count: this.counts.refused }, 'dropped a message on the replication endpoint');
  }

  /**
   * A failed handshake is logged (sampled by `failures`, which counts them) with what it most likely
   * means, so a cluster whose replicas disagree on secure mode says so instead of electing nobody in silence.
   */
  private watchHandshakes(socket: Socket, what: string, failures: () => number): void {
    const secure = this.options.security !== undefined;
    const mode = (peerSecure: boolean): string =>
      `this broker runs ${secure ? 'secure (CURVE)' : 'plain'} and the other side ${peerSecure ? 'secure' : 'plain'}: every replica of a cluster must run in the same mode (all with --curve-key and --policy, or none)`;
    socket.events.on('handshake:error:protocol', (event) => {
      const count = failures();
      if (!sampled(count)) return;
      const mismatch = event.error.code === MECHANISM_MISMATCH;
      const keys = socket === this.router ? 'a peer expected another server key than this broker\'s' : `${this.options.security === undefined ? '' : 'the peer\'s key is not the one the policy names for it'}`;
      const why = mismatch ? mode(!secure) : `${event.error.code}${keys === '' ? '' : `: ${keys}`}`;
      this.options.log.error({ address: event.address, count }, `replication handshake failed on ${what}: ${why}`);
    });
    socket.events.on('handshake:error:auth', (event) => {
      const count = failures();
      if (!sampled(count)) return;
      const why = socket === this.router ? 'a key that is no replica\'s was refused (ZAP)' : `the peer refused this broker's key ${this.options.security?.publicKey ?? ''}: its policy gives it no replicate right`;
      this.options.log.error({ address: event.address, count }, `replication handshake failed on ${what}: ${why}`);
    });
  }
}
