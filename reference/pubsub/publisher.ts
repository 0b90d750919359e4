import { randomBytes, randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import { batchGroups, decodeAtPublisher, encodeBatch, encodePut, encodePuts, KhpDecodeError, MAX_BATCH_MESSAGES, nameProblem, type Frame, type PublisherInbound, type RefusalCode } from './codec';
import type { PeerSecurity } from '../security/peer-security';
import { backoffDelay } from '../util/backoff';
import { silentLogger, type Logger } from '../util/log';
import { decodeOrDrop } from '../net/decode';
import { monotonicNow } from '../util/monotonic-clock';
import { DEFAULT_PUBLISHER_OPTIONS, MAX_PUBLISHER_WINDOW } from './defaults';

export { DEFAULT_PUBLISHER_OPTIONS, MAX_PUBLISHER_WINDOW };

export interface PublisherOptions {
  /** The proxy to connect to, e.g. `tcp://127.0.0.1:5560`. */
  proxy: string;
  /** Names this publisher in dedup keys and deliveries (default: a random UUID). Keep it across restarts to dedup retries across them. */
  id?: string;
  /** Milliseconds to wait for an answer to one attempt. */
  timeout?: number;
  /** Attempts per put, the first included. */
  attempts?: number;
  backoffInitial?: number;
  backoffMax?: number;
  /**
   * Puts in flight at once (default 128, at most MAX_PUBLISHER_WINDOW). Above 1 the PUTs carry this publisher's order (KHP/1
   * revision 3) and need a revision 3 proxy; 1 sends revision 1 PUTs, one at a time, for older proxies.
   */
  window?: number;
  /**
   * Secure mode (docs/security.md): the socket is a CURVE client of the proxy's key and every PUT
   * carries the KHA/1 envelope. Undefined: unauthenticated mode.
   */
  security?: PeerSecurity;
  logger?: Logger;
}



/** The longest one put can take once it is in the window: every attempt timing out, every backoff at its ceiling. */
export function putBound(options: Pick<PublisherOptions, 'timeout' | 'attempts' | 'backoffInitial' | 'backoffMax'>): number {
  const full = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
  let total = 0;
  for (let attempt = 0; attempt < full.attempts; attempt++) {
    total += full.timeout;
    if (attempt > 0) total += backoffDelay(attempt - 1, { initial: full.backoffInitial, max: full.backoffMax }, () => 1);
  }
  return total;
}

/** The message was not accepted and will never be delivered. */
export class PutDefiniteFailure extends Error {
  readonly definite = true;
  constructor(message: string, readonly code: RefusalCode | 'closed') {
    super(message);
    this.name = 'PutDefiniteFailure';
  }
}

/** The put gave up without an answer: the message may have been accepted (and then will be delivered). */
export class PutIndefiniteFailure extends Error {
  readonly definite = false;
  constructor(message: string, readonly attempts: number) {
    super(message);
    this.name = 'PutIndefiniteFailure';
  }
}

export interface PutResult {
  msg: string;
  topic: string;
  /** The message's sequence number on its topic. */
  seq: number;
}

export interface PutOptions {
  /** Message id, 1-255 printable ASCII bytes, unique per publisher (default: a random UUID). */
  msg?: string;
}

type Answer = Extract<PublisherInbound, { kind: 'accepted' | 'refused' }>;


/** A put waiting for room in the window. */
interface QueuedPut {
  topic: string;
  msg: string;
  payload: Frame;
  resolve: (result: PutResult) => void;
  reject: (error: Error) => void;
}

/** A put in the window: sent at least once (or about to be, after a backoff), not yet answered. */
interface WindowPut extends QueuedPut {
  /** Its place in this publisher's stream (publisher rule 2): 1, 2, 3, … in put() call order. */
  seq: number;
  /** Attempts sent so far. */
  attempts: number;
  /** When the last attempt's answer is due (ms since the epoch). */
  deadline: number;
}

/**
 * A KHP/1 publisher (docs/protocol.md). Up to `window` puts are in flight at once, each attempt of a
 * put sent with the same message id on the same DEALER socket: the proxy dedups by (publisher id,
 * message id). With a window above 1 every PUT carries this publisher's stream id, its sequence in
 * put() call order and the floor (the lowest sequence still unanswered), and the proxy decides puts
 * only in that order (proxy rule 14), so per-publisher order holds even when an early attempt is
 * lost and a later one is not. When the oldest unanswered put times out, the whole window is sent
 * again after a backoff (go-back-N). A window of 1 sends revision 1 PUTs, one at a time, for a proxy
 * older than KHP/1 revision 3.
 */
export class Publisher {
  readonly id: string;
  /** Names this instance's order at the proxy: a new Publisher starts a new stream at sequence 1. */
  readonly stream = randomBytes(8).toString('hex');
  private readonly socket: Dealer;
  private readonly options: Required<Omit<PublisherOptions, 'id' | 'security'>>;
  private readonly security?: PeerSecurity;
  private readonly log: Logger;
  /** Puts called but not yet in the window, in call order. */
  private readonly queued: QueuedPut[] = [];
  /** Puts in the window, in sequence order (the first one's sequence is the floor). */
  private readonly inFlight: WindowPut[] = [];
  private lastSeq = 0;
  /** The one timer: the next answer deadline, or the backoff before a retransmission. */
  private timer?: NodeJS.Timeout;
  /** True during the backoff before the window is sent again: new puts wait for that send. */
  private retransmitting = false;
  private closed = false;
  private readonly receiving: Promise<void>;
  /**
   * The proxy answered BATCH (revision 4): it takes several puts in one PUT. Forgotten at each
   * retransmission round, which goes out one put per PUT and asks again.
   */
  private proxyBatches = false;

  constructor(options: PublisherOptions) {
    const { security, ...rest } = options;
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, logger: silentLogger(), ...rest };
    this.security = security;
    this.log = this.options.logger;
    this.id = options.id ?? randomUUID();
    const problem = nameProblem(this.id, 'publisher id');
    if (problem !== undefined) throw new RangeError(problem);
    if (!Number.isSafeInteger(this.options.window) || this.options.window < 1 || this.options.window > MAX_PUBLISHER_WINDOW) {
      throw new RangeError(`window must be a whole number from 1 to ${MAX_PUBLISHER_WINDOW}, not ${this.options.window}`);
    }
    // One socket for the publisher's life: attempts and puts leave in order on one pipe, and ZeroMQ
    // reconnects it by itself when the proxy comes back. sendTimeout 0: a send that cannot be queued
    // counts as a lost attempt rather than blocking (and never makes a second send wait for a first).
    this.socket = new Dealer({ linger: 0, sendTimeout: 0, ...(security?.socketOptions() ?? {}) });
    this.socket.connect(this.options.proxy);
    this.receiving = this.receiveLoop();
    this.sayBatch();
  }

  /** Resolves once the proxy accepted the message durably; rejects with PutDefiniteFailure or PutIndefiniteFailure. */
  put(topic: string, payload: Frame | string, options: PutOptions = {}): Promise<PutResult> {
    const msg = options.msg ?? randomUUID();
    if (this.closed) return Promise.reject(new PutDefiniteFailure('publisher is closed', 'closed'));
    const problem = nameProblem(topic, 'topic') ?? nameProblem(msg, 'message id');
    if (problem !== undefined) return Promise.reject(new PutDefiniteFailure(`put refused before sending: ${problem}`, 'bad-request'));
    return new Promise((resolve, reject) => {
      this.queued.push({ topic, msg, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, resolve, reject });
      this.fillSoon();
    });
  }

  /** Puts still unanswered or waiting for room, for a caller that wants to know how far it is ahead. */
  get outstanding(): number {
    return this.inFlight.length + this.queued.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.socket.close();
    for (const put of this.inFlight.splice(0)) {
      if (put.attempts === 0) put.reject(new PutDefiniteFailure('publisher is closed', 'closed'));
      else put.reject(new PutIndefiniteFailure(`publisher closed before an answer for put ${put.msg} on ${put.topic}: it may have been accepted`, put.attempts));
    }
    for (const put of this.queued.splice(0)) put.reject(new PutDefiniteFailure('publisher is closed', 'closed'));
    await this.receiving;
  }

  /**
   * fill(), once the microtasks queued so far have run: put() calls made in one turn (an application
   * that puts again from each settled put's callback makes as many as an ACCEPTED of several settled)
   * then go out together, one PUT of several, at the cost of no timer.
   */
  private fillSoon(): void {
    if (this.fillDue) return;
    this.fillDue = true;
    queueMicrotask(() => {
      this.fillDue = false;
      this.fill();
    });
  }

  private fillDue = false;

  /** Moves queued puts into the window while it has room, and sends them (unless a retransmission is due). */
  private fill(): void {
    const fresh: WindowPut[] = [];
    while (!this.closed && this.queued.length > 0 && this.inFlight.length < this.options.window) {
      const put: WindowPut = { ...this.queued.shift()!, seq: ++this.lastSeq, attempts: 0, deadline: 0 };
      this.inFlight.push(put);
      fresh.push(put);
    }
    if (!this.retransmitting && fresh.length > 0) this.sendAll(fresh);
    if (this.timer === undefined && this.inFlight.length > 0 && !this.closed) this.arm();
  }

  /** Puts in sequence order: several to one PUT when the proxy takes that (revision 4), else one by one. */
  private sendAll(puts: WindowPut[]): void {
    if (!this.proxyBatches || puts.length === 1) {
      for (const put of puts) this.send(put);
      return;
    }
    // The window (at most 500) is below the most a PUT of several may carry.
    for (const group of batchGroups(puts, MAX_BATCH_MESSAGES)) this.sendTogether(group);
  }

  private sendTogether(puts: WindowPut[]): void {
    if (puts.length === 1) return this.send(puts[0]);
    const floor = this.inFlight[0].seq;
    const now = monotonicNow();
    for (const put of puts) {
      put.attempts++;
      put.deadline = now + this.options.timeout;
    }
    const frames = encodePuts(puts.map(({ topic, msg, payload, seq }) => ({ publisher: this.id, msg, topic, payload, order: { stream: this.stream, seq, floor } })));
    this.socket.send(this.security?.wrap(frames) ?? frames).catch((error: unknown) => this.log.debug({ err: error }, 'puts not sent'));
  }

  /**
   * Revision 4: answers for up to a window of puts may come in one ACCEPTED. Sent first on the
   * socket, so it reaches the proxy before the PUTs; a proxy older than revision 4 drops it as an
   * unknown command and answers one by one. A window of 1 never has two answers due, so it says nothing.
   */
  private sayBatch(): void {
    if (this.options.window === 1) return;
    const frames = encodeBatch(this.options.window);
    this.socket.send(this.security?.wrap(frames) ?? frames).catch((error: unknown) => this.log.debug({ err: error }, 'BATCH not sent'));
  }

  private send(put: WindowPut): void {
    put.attempts++;
    put.deadline = monotonicNow() + this.options.timeout;
    // Window 1 speaks revision 1 (no order frames): one put in flight keeps the order by itself.
    const order = this.options.window === 1 ? undefined : { stream: this.stream, seq: put.seq, floor: this.inFlight[0].seq };
    const frames = encodePut(this.id, put.msg, put.topic, put.payload, order);
    this.socket.send(this.security?.wrap(frames) ?? frames).catch((error: unknown) => this.log.debug({ err: error }, 'put attempt not sent'));
  }

  /** Sets the timer for the earliest answer deadline in the window. */
  private arm(): void {
    let due = Infinity;
    for (const put of this.inFlight) due = Math.min(due, put.deadline);
    if (due === Infinity) return;
    this.timer = setTimeout(() => this.onDeadline(), Math.max(0, due - monotonicNow()));
  }

  /**
   * An answer is overdue (or the timer fired early, after answers came). Puts out of attempts fail
   * indefinitely; the rest of the window is sent again, in order, after a backoff: the proxy
   * dropped whatever came after the lost one (proxy rule 14), so all of it goes again.
   */
  private onDeadline(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = monotonicNow();
    const overdue = this.inFlight.filter((put) => put.deadline <= now);
    if (overdue.length === 0) return this.arm();
    for (const put of overdue) {
      if (put.attempts < this.options.attempts) {
        this.log.info({ topic: put.topic, msg: put.msg, attempt: put.attempts }, 'no answer to put within timeout: sending it again');
        continue;
      }
      this.inFlight.splice(this.inFlight.indexOf(put), 1);
      put.reject(new PutIndefiniteFailure(`no answer for put ${put.msg} on ${put.topic} after ${put.attempts} attempts: it may have been accepted`, put.attempts));
    }
    if (this.inFlight.length === 0) return this.fill();
    this.retransmitting = true;
    const delay = backoffDelay(Math.max(0, this.inFlight[0].attempts - 1), { initial: this.options.backoffInitial, max: this.options.backoffMax });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retransmitting = false;
      if (this.closed) return;
      // ZeroMQ may have reconnected the socket (the proxy knows a new connection as unbatched), or the proxy may
      // have been replaced by an older one: one put per PUT until it answers BATCH again.
      this.proxyBatches = false;
      this.sayBatch();
      for (const put of this.inFlight) if (put.attempts < this.options.attempts) this.send(put);
      this.fill();
    }, delay);
  }

  private onAnswer(answer: Answer): void {
    // Answers to earlier attempts of settled puts arrive late; only one for a put in the window counts.
    if (answer.kind === 'accepted') for (const accepted of answer.puts) this.answered(accepted.msg)?.resolve(accepted);
    else {
      const put = this.answered(answer.msg);
      put?.reject(new PutDefiniteFailure(`put ${put.msg} on ${put.topic} refused (${answer.code}): ${answer.reason}`, answer.code));
    }
    // After the callbacks of the puts this answer settled: the puts they make go out with the ones it made room for.
    this.fillSoon();
  }

  /** Takes the put `msg` out of the window; undefined when nothing in it waits for that answer. */
  private answered(msg: string): WindowPut | undefined {
    const at = this.inFlight.findIndex((put) => put.msg === msg);
    return at < 0 ? undefined : this.inFlight.splice(at, 1)[0];
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const answer = decodeOrDrop(frames, decodeAtPublisher, KhpDecodeError, (error) => this.log.warn({ reason: error.reason }, 'dropped malformed message from the proxy'));
        if (answer?.kind === 'batch') this.proxyBatches = true;
        else if (answer !== undefined) this.onAnswer(answer);
      }
    } catch (error) {
      if (!this.closed) this.log.warn({ err: error }, 'publisher receive loop failed');
    }
  }
}
