import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import { decodeAtPublisher, encodePut, KhpDecodeError, nameProblem, type Frame, type PublisherInbound, type RefusalCode } from './codec';
import type { PeerSecurity } from '../security/peer-security';
import { backoffDelay, sleep } from '../util/backoff';
import { silentLogger, type Logger } from '../util/log';
import { decodeOrDrop } from '../net/decode';

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
   * Secure mode (docs/security.md): the socket is a CURVE client of the proxy's key and every PUT
   * carries the KHA/1 envelope. Undefined: unauthenticated mode.
   */
  security?: PeerSecurity;
  logger?: Logger;
}

export const DEFAULT_PUBLISHER_OPTIONS = { timeout: 2500, attempts: 5, backoffInitial: 100, backoffMax: 2000 } as const;

/** The longest one put can take once it is its turn: every attempt timing out, every backoff at its ceiling. */
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

/**
 * A KHP/1 publisher (docs/protocol.md). Puts run one at a time, in call order, each retried with
 * the same message id on the same DEALER socket until the proxy answers: the proxy dedups by
 * (publisher id, message id), and one put in flight at a time keeps per-publisher order.
 */
export class Publisher {
  readonly id: string;
  private readonly socket: Dealer;
  private readonly options: Required<Omit<PublisherOptions, 'id' | 'security'>>;
  private readonly security?: PeerSecurity;
  private readonly log: Logger;
  /** Serialises puts: each waits for the one before it (rule 2). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The answer the put in flight is waiting for. */
  private waiting?: { msg: string; resolve: (answer: Answer) => void };
  private closed = false;
  private readonly receiving: Promise<void>;

  constructor(options: PublisherOptions) {
    const { security, ...rest } = options;
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, logger: silentLogger(), ...rest };
    this.security = security;
    this.log = this.options.logger;
    this.id = options.id ?? randomUUID();
    const problem = nameProblem(this.id, 'publisher id');
    if (problem !== undefined) throw new RangeError(problem);
    // One socket for the publisher's life: attempts of a put (and successive puts) leave in order on
    // one pipe, and ZeroMQ reconnects it by itself when the proxy comes back. sendTimeout 0: a send
    // that cannot be queued counts as a lost attempt rather than blocking.
    this.socket = new Dealer({ linger: 0, sendTimeout: 0, ...(security?.socketOptions() ?? {}) });
    this.socket.connect(this.options.proxy);
    this.receiving = this.receiveLoop();
  }

  /** Resolves once the proxy accepted the message durably; rejects with PutDefiniteFailure or PutIndefiniteFailure. */
  put(topic: string, payload: Frame | string, options: PutOptions = {}): Promise<PutResult> {
    const msg = options.msg ?? randomUUID();
    const run = this.queue.then(() => this.putNow(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, msg));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    await this.receiving;
  }

  private async putNow(topic: string, payload: Frame, msg: string): Promise<PutResult> {
    if (this.closed) throw new PutDefiniteFailure('publisher is closed', 'closed');
    const problem = nameProblem(topic, 'topic') ?? nameProblem(msg, 'message id');
    if (problem !== undefined) throw new PutDefiniteFailure(`put refused before sending: ${problem}`, 'bad-request');
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt - 1, { initial: this.options.backoffInitial, max: this.options.backoffMax }));
      if (this.closed) break;
      const put = encodePut(this.id, msg, topic, payload);
      const answer = await this.attempt(this.security?.wrap(put) ?? put, msg);
      if (answer === undefined) {
        this.log.info({ topic, msg, attempt: attempt + 1 }, 'no answer to put within timeout: sending it again');
        continue;
      }
      if (answer.kind === 'accepted') return { msg, topic: answer.topic, seq: answer.seq };
      throw new PutDefiniteFailure(`put ${msg} on ${topic} refused (${answer.code}): ${answer.reason}`, answer.code);
    }
    throw new PutIndefiniteFailure(`no answer for put ${msg} on ${topic} after ${this.options.attempts} attempts: it may have been accepted`, this.options.attempts);
  }

  private attempt(request: Frame[], msg: string): Promise<Answer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, this.options.timeout);
      this.waiting = {
        msg,
        resolve: (answer) => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve(answer);
        },
      };
      this.socket.send(request).catch((error: unknown) => this.log.debug({ err: error }, 'put attempt not sent'));
    });
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const answer = decodeOrDrop(frames, decodeAtPublisher, KhpDecodeError, (error) => this.log.warn({ reason: error.reason }, 'dropped malformed message from the proxy'));
        if (answer === undefined) continue;
        // Answers to earlier attempts of earlier puts arrive late; only the one we wait for counts.
        if (this.waiting !== undefined && this.waiting.msg === answer.msg) this.waiting.resolve(answer);
      }
    } catch (error) {
      if (!this.closed) this.log.warn({ err: error }, 'publisher receive loop failed');
    }
  }
}
