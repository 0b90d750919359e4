import {
  decodeAtProxy,
  encodeAccepted,
  encodeDeliver,
  encodeHeartbeat,
  encodeRefused,
  encodeReset,
  encodeSubscribed,
  encodeUnsubscribed,
  encodeWelcome,
  KhpDecodeError,
  KHP_HEADER,
  printable,
  type Frame,
  type Positions,
} from './codec';
import { PubSubStore, type PubSubStoreStats } from './store';
import { DeliveredPositions } from './delivered-positions';
import { AbsentSubscribers } from './absent-subscribers';
import { silentLogger, type Logger } from '../util/log';
import { RouterServer } from '../net/router-server';
import { decodeOrDrop } from '../net/decode';

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
  logger?: Logger;
}

export const DEFAULT_PROXY_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  maxPending: 10_000,
  window: 64,
  dedupRetention: 100_000,
  maxMessageSize: 16 * 1024 * 1024,
  maxTopics: 10_000,
  subscriberEviction: 60 * 60 * 1000,
} as const;

/** A connected subscriber: one ROUTER identity bound to a subscriber id by HELLO. */
interface Session {
  /** Hex of the ROUTER identity: the map key. */
  key: string;
  identity: Frame;
  subscriber: string;
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
  private readonly options: Required<Omit<PubSubProxyOptions, 'journal' | 'logger' | 'fsync'>> & Pick<PubSubProxyOptions, 'journal' | 'fsync'>;
  /** Puts and SUBSCRIBEs refused because the topic table is full. */
  private refusedTopics = 0;
  private readonly counters = { accepted: 0, deduplicated: 0, refusedBusy: 0, refusedBad: 0, delivered: 0, retransmitted: 0, malformed: 0, resets: 0, evicted: 0 };
  /** The cap on HELLO positions and ACKs (rule 6). */
  private readonly delivered = new DeliveredPositions();

  private constructor(
    options: PubSubProxyOptions,
    private readonly store: PubSubStore,
    private readonly absent: AbsentSubscribers,
  ) {
    this.options = { ...DEFAULT_PROXY_OPTIONS, ...options };
    this.log = options.logger ?? silentLogger();
    this.server = new RouterServer({
      endpoint: options.endpoint,
      maxMessageSize: this.options.maxMessageSize,
      tickInterval: this.options.heartbeatInterval,
      role: 'proxy',
      log: this.log,
      onMessage: (identity, frames) => this.onMessage(identity, frames),
      onTick: () => this.onTick(),
    });
    store.onFailure((error) => this.onJournalFailure(error));
  }

  static async start(options: PubSubProxyOptions): Promise<PubSubProxy> {
    const full = { ...DEFAULT_PROXY_OPTIONS, ...options };
    const absent = new AbsentSubscribers(full.subscriberEviction); // checks the option before anything opens
    const storeOptions = { maxPending: full.maxPending, dedupRetention: full.dedupRetention, fsync: full.fsync, logger: full.logger };
    const store = full.journal === undefined ? PubSubStore.inMemory(storeOptions) : await PubSubStore.open(full.journal, storeOptions);
    const proxy = new PubSubProxy(full, store, absent);
    try {
      await proxy.server.listen();
    } catch (error) {
      await store.close();
      throw error;
    }
    const recovered = store.stats();
    proxy.log.info({ endpoint: options.endpoint, journal: full.journal ?? null, topics: recovered.topics, retained: recovered.retained, subscriptions: recovered.subscriptions }, 'pub/sub proxy listening');
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
    return { sessions: this.sessions.size, ...this.counters, refusedTopics: this.refusedTopics, store: this.store.stats() };
  }

  async close(): Promise<void> {
    if (this.server.closed) return;
    await this.server.close();
    await this.store.close().catch((error: unknown) => this.log.error({ err: error }, 'closing the journal failed'));
  }

  private onMessage(identity: Frame, frames: Frame[]): void {
    const message = decodeOrDrop(frames, decodeAtProxy, KhpDecodeError, (error) => {
      this.counters.malformed++;
      this.log.warn({ peer: printable(identity), reason: error.reason }, 'dropped malformed message');
      // A well-formed PUT carrying an id or topic we will not take gets a definite answer, so the
      // publisher does not retry in vain (its own checks normally catch this before sending).
      if (frames.length === 6 && frames[0].toString('latin1') === KHP_HEADER && frames[1].toString('latin1') === 'PUT' && frames[3].length > 0 && frames[3].length <= 255) {
        this.counters.refusedBad++;
        this.send([identity, ...encodeRefused(frames[3], 'bad-request', error.reason)]);
      }
    });
    if (message === undefined) return;
    if (message.kind === 'put') return this.onPut(identity, message.publisher, message.msg, message.topic, message.payload);
    if (message.kind === 'hello') return this.onHello(identity, message.subscriber, message.positions);
    const session = this.sessions.get(identity.toString('hex'));
    if (session === undefined) {
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

  private onPut(identity: Frame, publisher: string, msg: string, topic: string, payload: Frame): void {
    if (this.topicTableFull(topic)) {
      this.send([identity, ...encodeRefused(msg, 'busy', `the topic table is full (${this.options.maxTopics} topics)`)]);
      return;
    }
    const outcome = this.store.put(publisher, msg, topic, payload);
    if (outcome.outcome === 'busy') {
      this.counters.refusedBusy++;
      this.log.info({ publisher, msg, topic, reason: outcome.reason }, 'refused a put: a subscriber is full');
      this.send([identity, ...encodeRefused(msg, 'busy', `topic ${topic}: ${outcome.reason}`)]);
      return;
    }
    if (outcome.outcome === 'duplicate') this.counters.deduplicated++;
    else this.counters.accepted++;
    // Acknowledged and delivered only once durable (rule 1); a duplicate waits for the original's write.
    outcome.durable.then(
      () => {
        if (!this.server.serving) return;
        this.send([identity, ...encodeAccepted(msg, outcome.topic, outcome.seq)]);
        if (outcome.outcome === 'new') for (const session of this.sessions.values()) if (session.sent.has(topic)) this.pump(session, topic);
      },
      () => undefined, // the store reported the failure; the publisher's retry finds nobody home
    );
  }

  private onHello(identity: Frame, subscriber: string, positions: Positions): void {
    const key = identity.toString('hex');
    const previous = this.bySubscriber.get(subscriber);
    if (previous !== undefined) this.sessions.delete(previous.key);
    const sameIdentity = this.sessions.get(key);
    if (sameIdentity !== undefined && this.bySubscriber.get(sameIdentity.subscriber) === sameIdentity) this.bySubscriber.delete(sameIdentity.subscriber);
    // The subscriber's processed positions count as acknowledgements (rule 6), but only of what this
    // process delivered to that id: a HELLO cannot acknowledge what was never sent to it. After our
    // crash they may be ahead of what we journaled; then we deliver again and the subscriber drops
    // the repeats and acknowledges them.
    for (const [topic, position] of positions) this.store.ack(subscriber, topic, this.delivered.cap(subscriber, topic, position));
    const subscriptions = this.store.subscriptionsOf(subscriber);
    const now = Date.now();
    const session: Session = { key, identity, subscriber, expiresAt: this.nextExpiry(), sent: new Map(), progressAt: new Map() };
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
    if (this.topicTableFull(topic)) return;
    const { position, durable } = this.store.subscribe(session.subscriber, topic);
    durable.then(
      () => {
        if (!this.server.serving || this.bySubscriber.get(session.subscriber) !== session) return;
        this.send([session.identity, ...encodeSubscribed(topic, this.store.acked(session.subscriber, topic) ?? position)]);
        if (!session.sent.has(topic)) {
          session.sent.set(topic, this.store.acked(session.subscriber, topic) ?? position);
          session.progressAt.set(topic, Date.now());
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

  private onAck(session: Session, topic: string, seq: number): void {
    if (this.store.ack(session.subscriber, topic, this.delivered.cap(session.subscriber, topic, seq))) session.progressAt.set(topic, Date.now());
    if (session.sent.has(topic)) this.pump(session, topic);
  }

  /** Sends what the window allows: durable messages after the last sent, at most `window` past the acknowledged position. */
  private pump(session: Session, topic: string): void {
    const acked = this.store.acked(session.subscriber, topic);
    let sent = session.sent.get(topic);
    if (acked === undefined || sent === undefined) return;
    if (sent < acked) sent = acked;
    const limit = Math.min(this.store.durableLast(topic), acked + this.options.window);
    if (sent === acked && limit > sent) session.progressAt.set(topic, Date.now()); // the retransmit clock starts with the first unacknowledged send
    while (sent < limit) {
      const message = this.store.message(topic, sent + 1);
      if (message === undefined) break; // released meanwhile (cannot happen below the limit; defensive)
      this.send([session.identity, ...encodeDeliver(topic, message.seq, message.publisher, message.msg, message.payload)]);
      this.counters.delivered++;
      sent = message.seq;
    }
    session.sent.set(topic, sent);
    this.delivered.record(session.subscriber, topic, sent);
  }

  private onTick(): void {
    const now = Date.now();
    const quiet = this.options.heartbeatInterval * this.options.heartbeatLiveness;
    for (const session of [...this.sessions.values()]) {
      if (session.expiresAt < now) {
        this.log.info({ subscriber: session.subscriber, peer: session.key }, 'subscriber session expired');
        this.sessions.delete(session.key);
        if (this.bySubscriber.get(session.subscriber) === session) this.bySubscriber.delete(session.subscriber);
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
    for (const { subscriber, absentMs } of this.absent.due(this.store.subscribers(), (id) => this.bySubscriber.has(id), now)) {
      const { topics, durable } = this.store.evict(subscriber);
      this.delivered.forget(subscriber);
      this.counters.evicted++;
      this.log.info({ subscriber, topics: topics.length, absentMs }, 'evicted a subscriber with no session for longer than subscriber-eviction: its subscriptions are removed and its pending messages released');
      durable.catch(() => undefined); // a failed write is the store's failure: the proxy stops serving
    }
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
    return Date.now() + this.options.heartbeatInterval * this.options.heartbeatLiveness;
  }

  private send(frames: Frame[]): void {
    this.server.send(frames);
  }
}
