import { Dealer } from 'zeromq';
import { encodeClientRequest, type Frame } from './mdp/codec';
import { monotonicNow } from './util/monotonic-clock';
import type { PeerSecurity } from './security/peer-security';

export interface BestEffortOptions {
  broker: string;
  /** At most this many messages wait in the socket for the broker (ZMQ_SNDHWM); past it a send is dropped. Default 1000. */
  highWaterMark?: number;
  security?: PeerSecurity;
  /** How long close() lets queued messages still go out (ZMQ_LINGER); default 0: a driver's queue dies with it. */
  lingerMs?: number;
}

export type BestEffortOutcome = { sent: true; ms: number } | { sent: false; reason: 'would-block' | 'closed' };

const DEFAULT_HIGH_WATER_MARK = 1000;

/**
 * The `best-effort` class's sender (docs/protocol.md, KHX/1 rule 10): fire-and-forget plain 7/MDP
 * requests on one DEALER shared by a whole client process, never read. A send never blocks
 * (ZMQ_SNDTIMEO 0) and what waits for the broker is bounded (ZMQ_SNDHWM), so a sender whose broker
 * is down neither stalls nor grows: a message that cannot be queued is dropped here and counted.
 */
export class BestEffortSender {
  private readonly socket: Dealer;
  /** zeromq.js allows one send in progress per socket: sends queue behind each other, each returning at once. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly counts = { sent: 0, dropped: 0 };

  constructor(private readonly options: BestEffortOptions) {
    this.socket = new Dealer({
      linger: options.lingerMs ?? 0,
      sendTimeout: 0,
      sendHighWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      // Replies are never read: keep what a broker might still send bounded too.
      receiveHighWaterMark: 1,
      ...(options.security?.socketOptions() ?? {}),
    });
    // KHR/1 lists several brokers; fire-and-forget has no failover, so the first is used.
    this.socket.connect(options.broker.split(',')[0]);
  }

  send(service: string, body: Frame[]): Promise<BestEffortOutcome> {
    const started = monotonicNow();
    const request = encodeClientRequest(service, body);
    const outcome = this.tail.then(async (): Promise<BestEffortOutcome> => {
      if (this.closed) return { sent: false, reason: 'closed' };
      try {
        await this.socket.send(this.options.security?.wrap(request) ?? request);
      } catch {
        // EAGAIN: the queue to the broker is full (or there is no peer to queue for).
        this.counts.dropped++;
        return { sent: false, reason: 'would-block' };
      }
      this.counts.sent++;
      return { sent: true, ms: monotonicNow() - started };
    });
    this.tail = outcome;
    return outcome;
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}
