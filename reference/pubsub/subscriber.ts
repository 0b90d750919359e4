import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  decodeAtSubscriber,
  encodeAck,
  encodeBatch,
  encodeHeartbeat,
  encodeHello,
  encodeSubscribe,
  encodeUnsubscribe,
  KhpDecodeError,
  MAX_BATCH_MESSAGES,
  nameProblem,
  type Frame,
  type SubscriberInbound,
} from './codec';
import { silentLogger, type Logger } from '../util/log';
import { ReconnectingDealer } from '../net/reconnecting-dealer';
import { decodeOrDrop } from '../net/decode';
import type { PeerSecurity } from '../security/peer-security';
import type { SubscriberDefect } from '../defects';
import { monotonicNow } from '../util/monotonic-clock';
import { DEFAULT_SUBSCRIBER_OPTIONS } from './defaults';

export { DEFAULT_SUBSCRIBER_OPTIONS };

/**
 * Where a subscriber keeps its processed positions (topic → last sequence get() handed out), in
 * three steps so that the moment a position takes effect is one synchronous call: get() runs the
 * application's `onTake` right after `commit()`, with no I/O wait in between. An application that
 * wants no gap at all implements this over its own store and commits its effect in `commit()`.
 */
export interface PositionStore {
  load(): Promise<Map<string, number>>;
  /**
   * Makes `positions` durable but not yet in effect (a restart still loads the previous ones).
   * `handedOut` is the message whose position this is, kept with it so that after a crash the
   * application can tell which message it last took on each topic (see PositionFile.lastTaken).
   */
  prepare(positions: ReadonlyMap<string, number>, handedOut?: TakenMessage): Promise<void>;
  /** Puts the prepared positions in effect, synchronously. */
  commit(): void;
  /** Resolves once the committed positions survive a power loss too (not only a process crash). */
  sync(): Promise<void>;
}

/** What a position file remembers of the last message handed out on a topic. */
export interface TakenMessage {
  topic: string;
  seq: number;
  msg: string;
  publisher: string;
}

export interface SubscriberOptions {
  /** The proxy to connect to, e.g. `tcp://127.0.0.1:5560`. */
  proxy: string;
  /** The durable subscriber id (e.g. `sub-1`): the same after a restart, to get what was missed. */
  id: string;
  /**
   * Processed positions, kept durably (a file path, or a PositionStore): makes delivery exactly-once
   * across restarts of the subscriber process too. Without it, positions live in memory only.
   */
  positions?: string | PositionStore;
  heartbeatInterval?: number;
  heartbeatLiveness?: number;
  reconnectInitial?: number;
  reconnectMax?: number;
  /** An unanswered SUBSCRIBE/UNSUBSCRIBE is sent again after this many ms. */
  requestTimeout?: number;
  /** subscribe()/unsubscribe() reject after this many ms without an answer. */
  operationTimeout?: number;
  /**
   * KHP/1 revision 4: most messages the proxy may put in one DELIVER (said in BATCH after each
   * WELCOME). 1 asks for none, as a revision 1–3 subscriber.
   */
  batch?: number;
  /**
   * Secure mode (docs/security.md): every socket a CURVE client of the proxy's key, every message
   * with the KHA/1 envelope. Undefined: unauthenticated mode.
   */
  security?: PeerSecurity;
  logger?: Logger;
  /** Seeded defects (reference/defects.ts), only to prove the suite catches them. */
  defects?: readonly SubscriberDefect[];
}


export interface Delivery {
  topic: string;
  seq: number;
  publisher: string;
  msg: string;
  payload: Buffer;
}

export interface GetOptions {
  timeoutMs: number;
  /**
   * Called synchronously the moment the message's position takes effect, before get() resolves:
   * the place for an effect that must not be separated from the position by a crash (the
   * subscriber driver writes its `deliver` report here).
   */
  onTake?: (delivery: Delivery) => void;
}

interface Operation {
  kind: 'subscribe' | 'unsubscribe';
  topic: string;
  sentAt: number;
  deadline: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The proxy refused something for good (secure mode, docs/security.md): `KHP01 FORBIDDEN` for this
 * subscriber id (the whole session fails: get() and subscribe() reject with it from then on) or for
 * one topic (that subscribe() call fails). Definite: asking again will not change the answer.
 */
export class SubscriberForbidden extends Error {
  readonly definite = true;
  constructor(
    message: string,
    readonly refused: 'subscriber id' | 'topic',
    readonly value: string,
  ) {
    super(message);
    this.name = 'SubscriberForbidden';
  }
}

/** A position file: JSON `{"positions":{topic: seq}}`, replaced atomically (write, fdatasync, rename, directory fsync). */
export class PositionFile implements PositionStore {
  private readonly tempPath: string;

  constructor(readonly path: string) {
    this.tempPath = `${path}.tmp`;
  }

  async load(): Promise<Map<string, number>> {
    // The folder may not exist yet (a first start): the file is created there on the first commit.
    await mkdir(dirname(this.path), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const parsed = JSON.parse(text) as { positions?: Record<string, unknown>; last?: Record<string, TakenMessage> };
    for (const [topic, taken] of Object.entries(parsed.last ?? {})) {
      if (typeof taken?.msg === 'string' && typeof taken.publisher === 'string' && Number.isSafeInteger(taken.seq)) this.lastTaken.set(topic, { topic, seq: taken.seq, msg: taken.msg, publisher: taken.publisher });
    }
    const positions = new Map<string, number>();
    for (const [topic, seq] of Object.entries(parsed.positions ?? {})) {
      if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new Error(`position file ${this.path}: bad position for ${topic}`);
      positions.set(topic, seq as number);
    }
    return positions;
  }

  /** The last message handed out on each topic, as committed with its position (after load()). */
  readonly lastTaken = new Map<string, TakenMessage>();

  async prepare(positions: ReadonlyMap<string, number>, handedOut?: TakenMessage): Promise<void> {
    const last = new Map(this.lastTaken);
    if (handedOut) last.set(handedOut.topic, handedOut);
    this.pendingLast = last;
    const handle = await open(this.tempPath, 'w');
    try {
      await handle.writeFile(JSON.stringify({ positions: Object.fromEntries(positions), last: Object.fromEntries(last) }));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /**
   * One rename(2) and its folder's fsync, both synchronous: after it a restart, of the process or
   * after a power cut, loads the new positions; before it the old. The fsync is here, not in
   * sync(), because the application takes the message right after commit(): a power cut between a
   * rename and its folder's fsync brings the old position back, and with it the message the
   * application already took (found by the power-loss feature, docs/power-loss.md).
   */
  commit(): void {
    renameSync(this.tempPath, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    if (this.pendingLast) for (const [topic, taken] of this.pendingLast) this.lastTaken.set(topic, taken);
  }

  private pendingLast?: Map<string, TakenMessage>;

  /** commit() made the positions durable already. */
  async sync(): Promise<void> {}
}

/** At most this many messages of a topic go unacknowledged while more of it are queued. */
const ACK_EVERY = 16;

/**
 * A KHP/1 subscriber (docs/protocol.md). It says HELLO with its id and processed positions on every
 * connection, queues DELIVERs strictly in sequence order (dropping duplicates and gaps, which the
 * proxy retransmits), hands them out through get() and acknowledges each after recording it as
 * processed. Heartbeats both ways; a silent proxy means a new socket after a backoff.
 */
export class Subscriber {
  /** The connection to the proxy, replaced by a fresh one (and a new HELLO) when the proxy falls silent. */
  private readonly dealer: ReconnectingDealer;
  private closed = false;
  /** Set when the proxy said FORBIDDEN to our subscriber id: the session is over for good. */
  private failure?: SubscriberForbidden;
  /** The current connection got WELCOME: commands may go out. */
  private welcomed = false;
  /** Topics the proxy says we are subscribed to (WELCOME, SUBSCRIBED), minus unsubscribe() calls. */
  private readonly subscribed = new Set<string>();
  /** topic → last sequence handed out by get() (and recorded). */
  private readonly processed = new Map<string, number>();
  /** topic → last sequence queued (≥ processed). */
  private readonly received = new Map<string, number>();
  private readonly queue: Delivery[] = [];
  /** topic → the latest processed sequence not yet acknowledged, and how many takes it covers. */
  private readonly unacked = new Map<string, { seq: number; takes: number }>();
  private readonly getters: { topic?: string; wake: () => void }[] = [];
  private readonly operations = new Map<string, Operation>();
  /** Serialises get(): positions are recorded one after the other, in hand-out order. */
  private handing: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly options: Required<Omit<SubscriberOptions, 'positions' | 'logger' | 'security' | 'defects'>>;
  private readonly defects: ReadonlySet<SubscriberDefect>;
  /** Where processed positions are kept (a driver reads what it last took after a restart). */
  readonly positionStore?: PositionStore;

  private constructor(options: SubscriberOptions) {
    const problem = nameProblem(options.id, 'subscriber id');
    if (problem !== undefined) throw new RangeError(problem);
    this.options = { ...DEFAULT_SUBSCRIBER_OPTIONS, ...options };
    const { batch } = this.options;
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > MAX_BATCH_MESSAGES) throw new RangeError(`batch must be a whole number from 1 to ${MAX_BATCH_MESSAGES}, not ${batch}`);
    this.log = options.logger ?? silentLogger();
    this.defects = new Set(options.defects ?? []);
    this.positionStore = typeof options.positions === 'string' ? new PositionFile(options.positions) : options.positions;
    this.dealer = new ReconnectingDealer({
      endpoint: this.options.proxy,
      heartbeatInterval: this.options.heartbeatInterval,
      heartbeatLiveness: this.options.heartbeatLiveness,
      reconnectInitial: this.options.reconnectInitial,
      reconnectMax: this.options.reconnectMax,
      self: 'subscriber',
      peer: 'proxy',
      log: this.log,
      security: options.security,
      onConnect: () => this.hello(),
      onMessage: (frames) => this.onFrames(frames),
      onTick: () => this.onTick(),
      onDisconnect: () => (this.welcomed = false),
    });
  }

  /** Loads the positions (if kept durably) and connects. */
  static async open(options: SubscriberOptions): Promise<Subscriber> {
    const subscriber = new Subscriber(options);
    if (subscriber.positionStore !== undefined) {
      for (const [topic, seq] of await subscriber.positionStore.load()) {
        subscriber.processed.set(topic, seq);
        subscriber.received.set(topic, seq);
      }
    }
    subscriber.dealer.start();
    return subscriber;
  }

  get id(): string {
    return this.options.id;
  }

  /** Resolves once the subscription is durable at the proxy. */
  subscribe(topic: string): Promise<void> {
    return this.operate('subscribe', topic);
  }

  /** Resolves once the proxy durably dropped the subscription; from the call on, get() returns nothing of `topic`. */
  unsubscribe(topic: string): Promise<void> {
    if (!this.defects.has('keep-unsubscribed')) this.subscribed.delete(topic);
    // Queued messages of the topic are discarded unacknowledged: the proxy releases them (rule 6).
    for (let at = this.queue.length - 1; at >= 0; at--) if (this.queue[at].topic === topic) this.queue.splice(at, 1);
    if (!this.defects.has('keep-unsubscribed')) this.received.set(topic, this.processed.get(topic) ?? 0);
    this.unacked.delete(topic);
    return this.operate('unsubscribe', topic);
  }

  /**
   * The next message (of `topic`, if given) in sequence order, or undefined when none comes within
   * `timeoutMs`. Its position is recorded (durably with a position store) before it is returned,
   * and acknowledged after; a message is never handed out twice.
   */
  async get(topic?: string, { timeoutMs, onTake }: GetOptions = { timeoutMs: 1000 }): Promise<Delivery | undefined> {
    const deadline = monotonicNow() + timeoutMs;
    const turn = this.handing.then(() => this.take(topic, deadline, onTake));
    this.handing = turn.catch(() => undefined);
    return turn;
  }

  /** Messages as they come, until close(). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Delivery> {
    while (!this.closed) {
      const delivery = await this.get(undefined, { timeoutMs: this.options.heartbeatInterval });
      if (delivery !== undefined) yield delivery;
    }
  }

  /** Processed positions, topic → last sequence handed out. */
  positions(): Map<string, number> {
    return new Map(this.processed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // What was handed out is recorded already; telling the proxy spares a redelivery after a reconnect.
    this.flushAcks();
    this.closed = true;
    this.dealer.close();
    for (const getter of this.getters.splice(0)) getter.wake();
    for (const operation of this.operations.values()) operation.reject(new Error('subscriber is closed'));
    this.operations.clear();
    await this.handing;
  }

  private async take(topic: string | undefined, deadline: number, onTake?: (delivery: Delivery) => void): Promise<Delivery | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) return undefined;
      const at = this.queue.findIndex((delivery) => topic === undefined || delivery.topic === topic);
      if (at >= 0) {
        const [delivery] = this.queue.splice(at, 1);
        const store = this.positionStore;
        if (store !== undefined) {
          const { topic: on, seq, msg, publisher } = delivery;
          await store.prepare(new Map(this.processed).set(on, seq), { topic: on, seq, msg, publisher });
        }
        // Rule 5. From commit() on, a restart counts the message as processed: the application's
        // onTake follows in the same synchronous block, so no I/O wait separates the two.
        store?.commit();
        this.processed.set(delivery.topic, delivery.seq);
        try {
          onTake?.(delivery);
        } finally {
          // The proxy may release the message once acknowledged, so the position must outlive a power loss first.
          if (store !== undefined) await store.sync();
          this.acknowledge(delivery.topic, delivery.seq);
        }
        return delivery;
      }
      const remaining = deadline - monotonicNow();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining);
        const getter = { topic, wake };
        this.getters.push(getter);
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
      });
      const self = this.getters.findIndex((getter) => getter.topic === topic);
      if (self >= 0) this.getters.splice(self, 1);
    }
  }

  /**
   * Rule 5. ACK is cumulative, so under load one covers several messages: it goes out when no more
   * of the topic is queued, every ACK_EVERY takes, or at the next heartbeat, whichever comes first
   * (well within the proxy's retransmission quiet period of a whole liveness).
   */
  private acknowledge(topic: string, seq: number): void {
    const takes = (this.unacked.get(topic)?.takes ?? 0) + 1;
    if (takes < ACK_EVERY && this.queue.some((delivery) => delivery.topic === topic)) {
      this.unacked.set(topic, { seq, takes });
      return;
    }
    this.unacked.delete(topic);
    this.send(encodeAck(topic, seq));
  }

  private flushAcks(): void {
    for (const [topic, { seq }] of this.unacked) this.send(encodeAck(topic, seq));
    this.unacked.clear();
  }

  private operate(kind: Operation['kind'], topic: string): Promise<void> {
    const problem = nameProblem(topic, 'topic');
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('subscriber is closed'));
    // A newer call for the topic supersedes an unanswered older one: only the latest intent is sent.
    this.operations.get(topic)?.reject(new Error(`${kind} ${topic} superseded the pending request`));
    return new Promise((resolve, reject) => {
      const operation: Operation = { kind, topic, sentAt: 0, deadline: monotonicNow() + this.options.operationTimeout, resolve, reject };
      this.operations.set(topic, operation);
      if (this.welcomed || this.defects.has('subscribe-before-welcome')) this.sendOperation(operation);
    });
  }

  private sendOperation(operation: Operation): void {
    operation.sentAt = monotonicNow();
    this.send(operation.kind === 'subscribe' ? encodeSubscribe(operation.topic) : encodeUnsubscribe(operation.topic));
  }

  private finish(topic: string, kind: Operation['kind']): void {
    const operation = this.operations.get(topic);
    if (operation === undefined || operation.kind !== kind) return;
    this.operations.delete(topic);
    operation.resolve();
  }

  /** Rule 1: HELLO with the processed positions; commands wait for WELCOME. */
  private hello(): void {
    if (this.failure !== undefined) return;
    this.welcomed = false;
    // HELLO carries the processed positions, which acknowledge all of it.
    this.unacked.clear();
    this.send(encodeHello(this.options.id, this.processed));
  }

  private onFrames(frames: Frame[]): void {
    const message = decodeOrDrop(frames, decodeAtSubscriber, KhpDecodeError, (error) => this.log.warn({ reason: error.reason }, 'dropped malformed message from the proxy'));
    if (message !== undefined) this.onMessage(message);
  }

  private onMessage(message: SubscriberInbound): void {
    switch (message.kind) {
      case 'heartbeat':
      case 'batch': // the proxy takes BATCH: DELIVERs of several may come
        return;
      case 'reset':
        this.log.info('proxy sent RESET: saying HELLO again');
        return this.hello();
      case 'welcome': {
        this.welcomed = true;
        // Revision 4: several messages per DELIVER from here on (a revision 1–3 proxy drops this unknown command and goes on one by one).
        if (this.options.batch > 1) this.send(encodeBatch(this.options.batch));
        // Evicted after a long absence (proxy rule 13), or no longer allowed (secure mode): the
        // application has to subscribe again, and what was accepted meanwhile is not owed to it.
        const gone = [...this.subscribed].filter((topic) => !message.positions.has(topic) && this.operations.get(topic)?.kind !== 'unsubscribe');
        if (gone.length > 0) this.log.warn({ topics: gone.slice(0, 10), count: gone.length }, 'the proxy no longer has these subscriptions (evicted, or not allowed): subscribe again to receive them');
        this.subscribed.clear();
        for (const [topic, acked] of message.positions) {
          // A topic being unsubscribed stays out, whatever the proxy still has.
          if (this.operations.get(topic)?.kind === 'unsubscribe') continue;
          this.subscribed.add(topic);
          this.advanceTo(topic, acked);
        }
        if (!this.defects.has('subscribe-before-welcome')) for (const operation of this.operations.values()) this.sendOperation(operation);
        return;
      }
      case 'subscribed':
        if (this.operations.get(message.topic)?.kind !== 'subscribe') return;
        this.subscribed.add(message.topic);
        this.advanceTo(message.topic, message.position);
        return this.finish(message.topic, 'subscribe');
      case 'unsubscribed':
        if (this.defects.has('keep-unsubscribed') && this.operations.get(message.topic)?.kind === 'unsubscribe') this.subscribed.delete(message.topic);
        return this.finish(message.topic, 'unsubscribe');
      case 'deliver':
        message.messages.forEach(({ publisher, msg, payload }, at) => this.onDeliver({ topic: message.topic, seq: message.seq + at, publisher, msg, payload }));
        return;
      case 'forbidden':
        if (this.defects.has('forbidden-is-transient')) return;
        return this.onForbidden(message.name);
    }
  }

  /**
   * FORBIDDEN answers a HELLO (naming our id; we are not welcomed yet) or a SUBSCRIBE (naming its
   * topic). Either is definite: the policy, not a fault, says no.
   */
  private onForbidden(name: string): void {
    if (!this.welcomed && name === this.options.id) {
      this.failure = new SubscriberForbidden(`the proxy refused subscriber id ${name}: this key may not use it (docs/security.md)`, 'subscriber id', name);
      this.log.error({ subscriber: name }, 'the proxy refused our subscriber id (FORBIDDEN): the session has failed for good');
      this.dealer.close();
      for (const operation of this.operations.values()) operation.reject(this.failure);
      this.operations.clear();
      for (const getter of this.getters.splice(0)) getter.wake();
      return;
    }
    const operation = this.operations.get(name);
    if (operation?.kind !== 'subscribe') {
      this.log.warn({ name }, 'FORBIDDEN for nothing we asked: ignored');
      return;
    }
    this.operations.delete(name);
    this.subscribed.delete(name);
    operation.reject(new SubscriberForbidden(`subscribe ${name}: the proxy says this key may not subscribe to it (docs/security.md)`, 'topic', name));
  }

  /** The proxy's acknowledged position is a floor for ours (e.g. when we lost our positions). */
  private advanceTo(topic: string, position: number): void {
    if ((this.processed.get(topic) ?? 0) < position) this.processed.set(topic, position);
    if ((this.received.get(topic) ?? 0) < position) this.received.set(topic, position);
  }

  /** Rule 4: strictly in order; duplicates and gaps dropped. */
  private onDeliver(delivery: Delivery): void {
    if (!this.subscribed.has(delivery.topic)) return;
    const processed = this.processed.get(delivery.topic) ?? 0;
    const received = this.received.get(delivery.topic) ?? processed;
    if (delivery.seq <= processed) {
      // The proxy has not seen (or lost) our acknowledgement: say it again.
      this.send(encodeAck(delivery.topic, processed));
      return;
    }
    if (delivery.seq <= received) return; // queued already
    if (delivery.seq > received + 1 && !this.defects.has('queue-gaps')) {
      this.log.debug({ topic: delivery.topic, expected: received + 1, got: delivery.seq }, 'gap in deliveries: dropped; the proxy retransmits');
      return;
    }
    this.received.set(delivery.topic, delivery.seq);
    this.queue.push(delivery);
    const getter = this.getters.find((waiting) => waiting.topic === undefined || waiting.topic === delivery.topic);
    getter?.wake();
  }

  /** Each heartbeat interval while the proxy is alive (the dealer checks its liveness first). */
  private onTick(): void {
    if (this.closed) return;
    const now = monotonicNow();
    this.send(encodeHeartbeat());
    this.flushAcks();
    if (!this.welcomed) this.hello(); // HELLO or WELCOME lost: ask again (not after FORBIDDEN: hello() checks)
    for (const operation of [...this.operations.values()]) {
      if (now > operation.deadline) {
        this.operations.delete(operation.topic);
        operation.reject(new Error(`${operation.kind} ${operation.topic}: no answer from the proxy within ${this.options.operationTimeout} ms`));
      } else if (this.welcomed && now - operation.sentAt > this.options.requestTimeout) {
        this.sendOperation(operation);
      }
    }
  }

  private send(frames: Frame[]): void {
    this.dealer.send(frames);
  }
}
