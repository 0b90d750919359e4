import {
  decodeAtProxy,
  encodeAccepted,
  encodeAcceptedBatch,
  encodeBatch,
  encodeDeliver,
  encodeDeliverBatch,
  encodeForbidden,
  encodeHeartbeat,
  encodeRefused,
  encodeReset,
  encodeSubscribed,
  encodeUnsubscribed,
  encodeWelcome,
  KhpDecodeError,
  KHP_HEADER,
  batchGroups,
  MAX_BATCH_MESSAGES,
  packAccepted,
  packDelivered,
  PUT_FRAME_COUNTS,
  printable,
  type AcceptedPut,
  type Frame,
  type Positions,
  type ProxyInbound,
  type RefusalCode,
} from './codec';
import { PublisherStreams } from './publisher-streams';
import { BatchingPeers } from './batching-peers';
import { PubSubStore, type CompactionFigures, type PubSubStoreStats, type StoredMessage } from './store';
import { DeliveredPositions } from './delivered-positions';
import { AbsentSubscribers } from './absent-subscribers';
import { silentLogger, type Logger } from '../util/log';
import { RouterServer } from '../net/router-server';
import { startServerSecurity, type ServerSecurity, type ServerSecurityOptions } from '../security/server-security';
import type { Policy, Principal, Right } from '../security/policy';
import { decodeOrDrop } from '../net/decode';
import { crashForDefect, type ProxyDefect } from '../defects';
import { monotonicNow } from '../util/monotonic-clock';
import { DEFAULT_PROXY_OPTIONS } from './defaults';

export { DEFAULT_PROXY_OPTIONS };

export interface PubSubProxyOptions {
  /** Where to bind, e.g. `tcp://127.0.0.1:5560`. */
  endpoint: string;
  /** Journal file; without it the proxy keeps its state in memory only (lost on exit). */
  journal?: string;
  /** Milliseconds between heartbeats to each subscriber session. */
  heartbeatInterval?: number;
  /** Heartbeat periods of silence after which a session is dropped (and retransmission kicks in). */
  heartbeatLiveness?: number;
  /** A put on a topic is refused (busy) while one of its subscribers has this many messages pending. */
  maxPending?: number;
  /** Unacknowledged DELIVERs in flight per subscriber and topic. */
  window?: number;
  /** (publisher, message id) pairs remembered for dedup. */
  dedupRetention?: number;
  /** fdatasync the journal before acknowledging (default true; off only for measurements). */
  fsync?: boolean;
  /** Largest message in bytes (ZMQ_MAXMSGSIZE): a peer that sends more is disconnected by libzmq (docs/limits.md). */
  maxMessageSize?: number;
  /**
   * Most topics known at once. Topics are never removed (their sequence numbers must outlive their
   * subscribers), so past the bound a put on a new topic is refused (busy) and a SUBSCRIBE to one dropped.
   */
  maxTopics?: number;
  /**
   * Milliseconds a subscriber id may have no session before its subscriptions are removed durably
   * and its pending messages released (KHP/1 proxy rule 13; default one hour).
   */
  subscriberEviction?: number;
  /** Seeded defects (reference/defects.ts), only to prove the suite catches them. */
  defects?: readonly ProxyDefect[];
  /** The journal is compacted once it holds at least this many records (and 4 times the live state). */
  compactionMinRecords?: number;
  /** Called after each journal compaction (the CLI reports it, so scenarios can tell it happened). */
  onCompacted?: (figures: CompactionFigures) => void;
  /**
   * Secure mode (docs/security.md): the proxy's key pair and policy file. CURVE with the ZAP
   * allow-list, every message's KHA/1 envelope checked, and the principal's rights enforced:
   * `REFUSED forbidden` for a PUT it may not publish, `FORBIDDEN` for a subscriber id or topic it may
   * not use, no DELIVER of a topic it may no longer subscribe to, and its sessions dropped when its
   * key is revoked. Undefined: unauthenticated mode.
   */
  security?: Omit<ServerSecurityOptions, 'log'>;
  logger?: Logger;
}


type PutMessage = Extract<ProxyInbound, { kind: 'put' }>;

/** A connected subscriber: one ROUTER identity bound to a subscriber id by HELLO. */
interface Session {
  /** Hex of the ROUTER identity: the map key. */
  key: string;
  identity: Frame;
  subscriber: string;
  /** Secure mode: the principal whose HELLO started the session; only its messages count for it. */
  principal?: Principal;
  expiresAt: number;
  /** Topics announced to this session (WELCOME or SUBSCRIBED): only those are delivered. */
  sent: Map<string, number>;
  /** Last time the acknowledged position of a topic moved (or delivery began): drives retransmission. */
  progressAt: Map<string, number>;
}

export interface PubSubProxyStats {
  sessions: number;
  accepted: number;
  deduplicated: number;
  refusedBusy: number;
  refusedBad: number;
  delivered: number;
  retransmitted: number;
  malformed: number;
  resets: number;
  /** Puts and SUBSCRIBEs refused because the topic table was full (docs/limits.md). */
  refusedTopics: number;
  /** Subscriber ids whose subscriptions were removed after they stayed away (rule 13). */
  evicted: number;
  /** Secure mode: puts refused `forbidden` and FORBIDDEN answers (a subscriber id or topic not the principal's). */
  forbidden: number;
  /** ACK messages received from subscribers with a session. */
  acks: number;
  /** Windowed puts dropped because an earlier put of their publisher stream was still undecided (rule 14). */
  outOfOrder: number;
  /** Secure mode: sessions dropped because their principal was revoked or lost the right to their subscriber id. */
  revokedSessions: number;
  /** Secure mode: messages dropped without a valid envelope, and with the envelope of a key no longer in the policy. */
  security?: { unauthenticated: number; unauthorized: number };
  store: PubSubStoreStats;
}

/**
 * The KHP/1 reliable pub/sub proxy (docs/protocol.md, "Reliable pub/sub: KHP/1"). One ROUTER serves
 * publishers and subscribers. Puts are journaled before they are acknowledged or delivered;
 * subscribers get messages in sequence order within a credit window and acknowledge them; what is
 * not acknowledged is sent again after a reconnect or a quiet spell, and released once everybody
 * who is owed it has acknowledged it.
 */
export class PubSubProxy {
  private readonly server: RouterServer;
  private readonly sessions = new Map<string, Session>();
  /** subscriber id → its current session. */
  private readonly bySubscriber = new Map<string, Session>();
  private readonly log: Logger;
  private readonly options: Required<Omit<PubSubProxyOptions, 'journal' | 'logger' | 'fsync' | 'security' | 'defects' | 'compactionMinRecords' | 'onCompacted'>> & Pick<PubSubProxyOptions, 'journal' | 'fsync'>;
  /** Puts and SUBSCRIBEs refused because the topic table is full. */
  private refusedTopics = 0;
  private readonly counters = { accepted: 0, deduplicated: 0, refusedBusy: 0, refusedBad: 0, delivered: 0, retransmitted: 0, malformed: 0, resets: 0, evicted: 0, forbidden: 0, revokedSessions: 0, outOfOrder: 0, acks: 0 };
  /** Encoded DELIVERs of retained messages; an entry goes when the store releases its message. */
  private readonly encodedDelivers = new WeakMap<StoredMessage, Frame[]>();
  /** Revision 4: retained messages' frames in a DELIVER of several, likewise. */
  private readonly encodedMessages = new WeakMap<StoredMessage, Frame>();
  /** Revision 4: connections that said BATCH. */
  private readonly batching = new BatchingPeers();
  /** ACCEPTED answers of this turn for connections that said BATCH, sent together once the turn's durable puts are all in. */
  private readonly acceptsDue = new Map<string, { identity: Frame; puts: AcceptedPut[] }>();
  /** Rule 14: per windowed publisher stream, how far its puts are decided. */
  private readonly streams = new PublisherStreams();
  /** The cap on HELLO positions and ACKs (rule 6). */
  private readonly delivered = new DeliveredPositions();
  private readonly defects: readonly ProxyDefect[];

  private constructor(
    options: PubSubProxyOptions,
    private readonly store: PubSubStore,
    private readonly absent: AbsentSubscribers,
    security: ServerSecurity | undefined,
  ) {
    this.options = { ...DEFAULT_PROXY_OPTIONS, ...options };
    this.defects = options.defects ?? [];
    this.log = options.logger ?? silentLogger();
    this.server = new RouterServer({
      endpoint: options.endpoint,
      maxMessageSize: this.options.maxMessageSize,
      tickInterval: this.options.heartbeatInterval,
      role: 'proxy',
      log: this.log,
      security,
      onMessage: (identity, frames, principal) => this.onMessage(identity, frames, principal),
      onRevokedSender: (identity) => this.dropSession(identity.toString('hex'), 'its key is no longer in the policy'),
      onTick: () => this.onTick(),
    });
    security?.onReload((policy) => this.revoke(policy));
    store.onFailure((error) => this.onJournalFailure(error));
  }

  static async start(options: PubSubProxyOptions): Promise<PubSubProxy> {
    const full = { ...DEFAULT_PROXY_OPTIONS, ...options };
    const absent = new AbsentSubscribers(full.subscriberEviction); // checks the option before anything opens
    const ignoreSyncErrors = full.defects?.includes('ignore-sync-errors') === true;
    const storeOptions = {
      maxPending: full.maxPending,
      dedupRetention: full.dedupRetention,
      fsync: full.fsync,
      logger: full.logger,
      ...(full.compactionMinRecords !== undefined && { compactionMinRecords: full.compactionMinRecords }),
      ...(full.onCompacted !== undefined && { onCompacted: full.onCompacted }),
      ...(ignoreSyncErrors && { ignoreSyncErrors }),
    };
    const store = full.journal === undefined ? PubSubStore.inMemory(storeOptions) : await PubSubStore.open(full.journal, storeOptions);
    const security = await startServerSecurity(full.security, full.logger ?? silentLogger(), () => store.close());
    const proxy = new PubSubProxy(full, store, absent, security);
    try {
      await proxy.server.listen();
    } catch (error) {
      await store.close();
      throw error;
    }
    const recovered = store.stats();
    proxy.log.info({ endpoint: options.endpoint, secure: security !== undefined, journal: full.journal ?? null, topics: recovered.topics, retained: recovered.retained, subscriptions: recovered.subscriptions }, 'pub/sub proxy listening');
    return proxy;
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Resolves with the error if the proxy stops serving on its own (its journal failed). */
  whenFailed(): Promise<Error> {
    return this.server.whenFailed();
  }

  stats(): PubSubProxyStats {
    const security = this.server.security;
    return {
      sessions: this.sessions.size,
      ...this.counters,
      refusedTopics: this.refusedTopics,
      ...(security === undefined ? {} : { security: { ...security.counts } }),
      store: this.store.stats(),
    };
  }

  async close(): Promise<void> {
    if (this.server.closed) return;
    await this.server.close();
    await this.store.close().catch((error: unknown) => this.log.error({ err: error }, 'closing the journal failed'));
  }

  private onMessage(identity: Frame, frames: Frame[], principal?: Principal): void {
    const message = decodeOrDrop(frames, decodeAtProxy, KhpDecodeError, (error) => {
      this.counters.malformed++;
      this.log.warn({ peer: printable(identity), reason: error.reason }, 'dropped malformed message');
      if (this.defective('crash-on-malformed')) crashForDefect('crash-on-malformed', error.reason);
      // A well-formed PUT carrying an id or topic we will not take gets a definite answer, so the
      // publisher does not retry in vain (its own checks normally catch this before sending).
      if (PUT_FRAME_COUNTS.includes(frames.length) && frames[0].toString('latin1') === KHP_HEADER && frames[1].toString('latin1') === 'PUT' && frames[3].length > 0 && frames[3].length <= 255) {
        this.counters.refusedBad++;
        this.send([identity, ...encodeRefused(frames[3], 'bad-request', error.reason)]);
      }
    });
    if (message === undefined) return;
    if (message.kind === 'put') return this.onPut(identity, message, principal);
    if (message.kind === 'puts') {
      // Each as if it had come alone, in the order sent: rule 14 decides them one after the other.
      for (const put of message.puts) this.onPut(identity, { kind: 'put', ...put }, principal);
      return;
    }
    if (message.kind === 'hello') return this.onHello(identity, message.subscriber, message.positions, principal);
    if (message.kind === 'batch') {
      // Revision 4: a property of the connection (publishers have no session), read at each send.
      const max = Math.min(message.max, MAX_BATCH_MESSAGES);
      this.batching.set(identity.toString('hex'), max);
      this.send([identity, ...encodeBatch(max)]);
      return;
    }
    const session = this.sessions.get(identity.toString('hex'));
    // Secure mode: a session answers to the key that said HELLO, and to no other.
    if (session === undefined || session.principal?.key !== principal?.key) {
      // A peer we do not know: we restarted, or ZeroMQ reconnected it under a new identity (rule 6).
      // A publisher never sends these commands, so only subscribers get RESET.
      this.counters.resets++;
      this.log.debug({ peer: printable(identity), command: message.kind }, 'command from a peer with no session: RESET');
      this.send([identity, ...encodeReset()]);
      return;
    }
    session.expiresAt = this.nextExpiry();
    switch (message.kind) {
      case 'heartbeat':
        return;
      case 'subscribe':
        return this.onSubscribe(session, message.topic);
      case 'unsubscribe':
        return this.onUnsubscribe(session, message.topic);
      case 'ack':
        return this.onAck(session, message.topic, message.seq);
    }
  }

  private onPut(identity: Frame, put: PutMessage, principal?: Principal): void {
    const { publisher, msg, topic, payload, order } = put;
    // Secure mode scopes dedup (and publisher streams) by the principal: another key reusing these ids makes a put of its own.
    const owner = principal?.key ?? '';
    // Rule 14: a windowed publisher's put is decided only in its stream's order. A duplicate is
    // decided already (its original was accepted, after everything before it).
    const found = order === undefined || this.store.duplicate(publisher, msg, owner) !== undefined ? 'next' : this.streams.place(owner, publisher, order);
    const place = found === 'ahead' && this.defective('accept-ahead') ? 'next' : found;
    const decided = (): void => {
      if (order !== undefined) this.streams.decide(owner, publisher, order);
    };
    const refuse = (code: RefusalCode, reason: string): void => {
      if (place === 'next') decided();
      this.send([identity, ...encodeRefused(msg, code, reason)]);
    };
    if (!this.allowed(principal, 'publish', topic)) {
      this.counters.forbidden++;
      this.log.info({ principal: principal?.name, publisher, msg, topic }, 'refused a put: the principal may not publish on the topic');
      return refuse('forbidden', `${principal?.name ?? 'this key'} may not publish on ${topic}`);
    }
    if (place === 'ahead') {
      // Held by nobody: the publisher sends its window again from its floor after its timeout.
      this.counters.outOfOrder++;
      this.log.debug({ publisher, msg, topic, order }, 'dropped a put ahead of its publisher stream: an earlier one is missing');
      return;
    }
    if (place === 'behind') {
      this.counters.refusedBad++;
      return refuse('bad-request', `publisher sequence ${order?.seq ?? 0} of stream ${order?.stream ?? ''} was decided already and is not an accepted message: not accepted`);
    }
    if (this.topicTableFull(topic)) return refuse('busy', `the topic table is full (${this.options.maxTopics} topics)`);
    const outcome = this.store.put(publisher, msg, topic, payload, owner);
    if (outcome.outcome === 'busy') {
      this.counters.refusedBusy++;
      this.log.info({ publisher, msg, topic, reason: outcome.reason }, 'refused a put: a subscriber is full');
      return refuse('busy', `topic ${topic}: ${outcome.reason}`);
    }
    decided();
    if (outcome.outcome === 'duplicate') this.counters.deduplicated++;
    else this.counters.accepted++;
    // Acknowledged and delivered only once durable (rule 1); a duplicate waits for the original's write.
    outcome.durable.then(
      () => {
        if (!this.server.serving) return;
        this.accepted(identity, { msg, topic: outcome.topic, seq: outcome.seq });
        if (outcome.outcome === 'new') for (const session of this.sessions.values()) if (session.sent.has(topic)) this.pump(session, topic);
      },
      () => undefined, // the store reported the failure; the publisher's retry finds nobody home
    );
  }

  private onHello(identity: Frame, subscriber: string, positions: Positions, principal?: Principal): void {
    const key = identity.toString('hex');
    if (!this.allowed(principal, 'subscriberId', subscriber)) {
      // Refused before anything changes: the session of the id's rightful owner goes on untouched.
      this.counters.forbidden++;
      this.log.warn({ principal: principal?.name, subscriber }, 'refused a HELLO: the principal may not use this subscriber id');
      this.send([identity, ...encodeForbidden(subscriber)]);
      return;
    }
    const previous = this.bySubscriber.get(subscriber);
    if (previous !== undefined) this.sessions.delete(previous.key);
    // A new session starts unbatched: a revision 4 subscriber says BATCH again after this WELCOME.
    this.batching.forget(key);
    const sameIdentity = this.sessions.get(key);
    if (sameIdentity !== undefined && this.bySubscriber.get(sameIdentity.subscriber) === sameIdentity) this.bySubscriber.delete(sameIdentity.subscriber);
    // The subscriber's processed positions count as acknowledgements (rule 6), but only of what this
    // process delivered to that id: a HELLO cannot acknowledge what was never sent to it. After our
    // crash they may be ahead of what we journaled; then we deliver again and the subscriber drops
    // the repeats and acknowledges them.
    for (const [topic, position] of positions) this.store.ack(subscriber, topic, this.delivered.cap(subscriber, topic, position));
    // A subscription the principal may no longer subscribe to stays durable but is neither announced nor delivered.
    const subscriptions = new Map([...this.store.subscriptionsOf(subscriber)].filter(([topic]) => this.allowed(principal, 'subscribe', topic)));
    const now = monotonicNow();
    const session: Session = { key, identity, subscriber, principal, expiresAt: this.nextExpiry(), sent: new Map(), progressAt: new Map() };
    for (const [topic, acked] of subscriptions) {
      session.sent.set(topic, acked);
      session.progressAt.set(topic, now);
    }
    this.sessions.set(key, session);
    this.bySubscriber.set(subscriber, session);
    this.log.info({ subscriber, peer: key, topics: subscriptions.size, replaced: previous !== undefined }, 'subscriber session started');
    this.send([identity, ...encodeWelcome(subscriptions)]);
    for (const topic of subscriptions.keys()) this.pump(session, topic);
  }

  private onSubscribe(session: Session, topic: string): void {
    if (!this.allowed(session.principal, 'subscribe', topic)) {
      this.counters.forbidden++;
      this.log.info({ principal: session.principal?.name, subscriber: session.subscriber, topic }, 'refused a SUBSCRIBE: the principal may not subscribe to the topic');
      this.send([session.identity, ...encodeForbidden(topic)]);
      return;
    }
    if (this.topicTableFull(topic)) return;
    const { position, durable } = this.store.subscribe(session.subscriber, topic);
    durable.then(
      () => {
        if (!this.server.serving || this.bySubscriber.get(session.subscriber) !== session) return;
        this.send([session.identity, ...encodeSubscribed(topic, this.store.acked(session.subscriber, topic) ?? position)]);
        if (!session.sent.has(topic)) {
          session.sent.set(topic, this.store.acked(session.subscriber, topic) ?? position);
          session.progressAt.set(topic, monotonicNow());
        }
        this.pump(session, topic);
      },
      () => undefined,
    );
  }

  private onUnsubscribe(session: Session, topic: string): void {
    // Delivery stops at once; pending messages are released by the store (rule 5).
    session.sent.delete(topic);
    session.progressAt.delete(topic);
    this.delivered.forget(session.subscriber, topic);
    this.store.unsubscribe(session.subscriber, topic).then(
      () => {
        if (this.server.serving) this.send([session.identity, ...encodeUnsubscribed(topic)]);
      },
      () => undefined,
    );
  }

  private defective(defect: ProxyDefect): boolean {
    return this.defects.includes(defect);
  }

  private onAck(session: Session, topic: string, seq: number): void {
    this.counters.acks++;
    if (this.store.ack(session.subscriber, topic, this.defective('uncapped-ack') ? seq : this.delivered.cap(session.subscriber, topic, seq))) session.progressAt.set(topic, monotonicNow());
    if (session.sent.has(topic)) this.pump(session, topic);
  }

  /** Sends what the window allows: durable messages after the last sent, at most `window` past the acknowledged position. */
  private pump(session: Session, topic: string): void {
    const acked = this.store.acked(session.subscriber, topic);
    let sent = session.sent.get(topic);
    if (acked === undefined || sent === undefined) return;
    // Checked against the policy in force at each send: a right taken away stops deliveries at once.
    if (!this.allowed(session.principal, 'subscribe', topic)) return;
    if (sent < acked) sent = acked;
    const limit = Math.min(this.store.durableLast(topic), acked + this.options.window);
    if (sent === acked && limit > sent) session.progressAt.set(topic, monotonicNow()); // the retransmit clock starts with the first unacknowledged send
    const due: StoredMessage[] = [];
    while (sent < limit) {
      const message = this.store.message(topic, sent + 1);
      if (message === undefined) break; // released meanwhile (cannot happen below the limit; defensive)
      due.push(message);
      sent = message.seq;
    }
    for (const group of batchGroups(due, this.batching.size(session.key))) {
      if (group.length === 1) this.send([session.identity, ...this.deliverFrames(group[0])]);
      else this.send([session.identity, ...encodeDeliverBatch(topic, group[0].seq, group.map((message) => this.packedMessage(message)))]);
      this.counters.delivered += group.length;
    }
    session.sent.set(topic, sent);
    this.delivered.record(session.subscriber, topic, sent);
  }

  /**
   * ACCEPTED for one put: at once to a connection that never said BATCH; otherwise gathered, so that
   * the puts one journal flush made durable (their callbacks run in one microtask run) go out in as
   * few ACCEPTEDs as the connection's batch size allows.
   */
  private accepted(identity: Frame, put: AcceptedPut): void {
    const key = identity.toString('hex');
    if (this.batching.size(key) === 1) return this.send([identity, ...encodeAccepted(put.msg, put.topic, put.seq)]);
    let due = this.acceptsDue.get(key);
    if (due === undefined) {
      if (this.acceptsDue.size === 0) queueMicrotask(() => this.sendAcceptsDue());
      this.acceptsDue.set(key, (due = { identity, puts: [] }));
    }
    due.puts.push(put);
  }

  private sendAcceptsDue(): void {
    const due = [...this.acceptsDue.values()];
    this.acceptsDue.clear();
    if (!this.server.serving) return;
    for (const { identity, puts } of due) {
      const most = this.batching.size(identity.toString('hex'));
      for (let at = 0; at < puts.length; at += most) {
        const chunk = puts.slice(at, at + most);
        this.send([identity, ...(chunk.length === 1 ? encodeAccepted(chunk[0].msg, chunk[0].topic, chunk[0].seq) : encodeAcceptedBatch(chunk.map(packAccepted)))]);
      }
    }
  }

  /** A message's frame in a DELIVER of several (revision 4), packed once like deliverFrames(). */
  private packedMessage(message: StoredMessage): Frame {
    let frame = this.encodedMessages.get(message);
    if (frame === undefined) this.encodedMessages.set(message, (frame = packDelivered(message)));
    return frame;
  }

  /** A message's DELIVER, encoded once for all the sessions it goes to (and its retransmissions). */
  private deliverFrames(message: StoredMessage): Frame[] {
    let frames = this.encodedDelivers.get(message);
    if (frames === undefined) {
      frames = encodeDeliver(message.topic, message.seq, message.publisher, message.msg, message.payload);
      this.encodedDelivers.set(message, frames);
    }
    return frames;
  }

  private onTick(): void {
    const now = monotonicNow();
    const quiet = this.options.heartbeatInterval * this.options.heartbeatLiveness;
    for (const session of [...this.sessions.values()]) {
      if (session.expiresAt < now) {
        this.dropSession(session.key, 'it expired');
        continue;
      }
      this.send([session.identity, ...encodeHeartbeat()]);
      for (const [topic, sent] of session.sent) {
        const acked = this.store.acked(session.subscriber, topic) ?? sent;
        if (sent > acked && now - (session.progressAt.get(topic) ?? now) > quiet) {
          // Rule 9: something in flight went missing (or the subscriber is slow): send again from the acknowledged position.
          this.counters.retransmitted += sent - acked;
          this.log.info({ subscriber: session.subscriber, topic, from: acked + 1, to: sent }, 'no acknowledgement progress: retransmitting');
          session.sent.set(topic, acked);
          session.progressAt.set(topic, now);
          this.pump(session, topic);
        }
      }
    }
    this.evictAbsent(now);
  }

  /** Rule 13: subscriptions of an id with no session for longer than `subscriberEviction` go, durably. */
  private evictAbsent(now: number): void {
    if (this.defective('never-evict')) return;
    for (const { subscriber, absentMs } of this.absent.due(this.store.subscribers(), (id) => this.bySubscriber.has(id), now)) {
      const { topics, durable } = this.store.evict(subscriber);
      this.delivered.forget(subscriber);
      this.counters.evicted++;
      this.log.info({ subscriber, topics: topics.length, absentMs }, 'evicted a subscriber with no session for longer than subscriber-eviction: its subscriptions are removed and its pending messages released');
      durable.catch(() => undefined); // a failed write is the store's failure: the proxy stops serving
    }
  }

  /** True in unauthenticated mode; in secure mode, when the policy in force gives `principal` the right. */
  private allowed(principal: Principal | undefined, right: Right, name: string): boolean {
    const security = this.server.security;
    return security === undefined || (principal !== undefined && security.allows(principal, right, name));
  }

  /**
   * After a policy reload: sessions whose principal is gone, or may no longer use its subscriber id,
   * are dropped (no DELIVER after this); topics it may no longer subscribe to stop in pump().
   */
  private revoke(policy: Policy): void {
    for (const session of [...this.sessions.values()]) {
      const principal = session.principal;
      if (principal === undefined) continue;
      if (!policy.lists(principal.key)) this.dropSession(session.key, `principal ${principal.name} was revoked`, true);
      else if (!policy.allows(principal, 'subscriberId', session.subscriber)) this.dropSession(session.key, `principal ${principal.name} may no longer use subscriber id ${session.subscriber}`, true);
    }
  }

  /** Forgets a session (its subscriptions stay); its peer's next command gets RESET. */
  private dropSession(key: string, why: string, revoked = false): void {
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    if (this.bySubscriber.get(session.subscriber) === session) this.bySubscriber.delete(session.subscriber);
    if (revoked) this.counters.revokedSessions++;
    this.log.info({ subscriber: session.subscriber, peer: key, principal: session.principal?.name }, `subscriber session dropped: ${why}`);
  }

  private topicTableFull(topic: string): boolean {
    if (this.store.hasTopic(topic) || this.store.topicCount < this.options.maxTopics) return false;
    this.refusedTopics++;
    this.log.warn({ topic, topics: this.store.topicCount }, 'refused a new topic: the topic table is full');
    return true;
  }

  /**
   * After a failed write or fdatasync nothing about the journal can be trusted (docs/journal.md):
   * the proxy stops serving rather than acknowledge what it cannot keep, and its owner (the CLI) exits.
   */
  private onJournalFailure(error: Error): void {
    if (!this.server.fail(error)) return;
    this.log.error({ err: error }, 'journal failed: the proxy stops serving');
    void this.close();
  }

  private nextExpiry(): number {
    return monotonicNow() + this.options.heartbeatInterval * this.options.heartbeatLiveness;
  }

  private send(frames: Frame[]): void {
    this.server.send(frames);
  }
}
