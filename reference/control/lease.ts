import { monotonicNow } from '../util/monotonic-clock';

/**
 * A KHC/1 worker's lease (docs/protocol.md, "Control"): it may commit a job only while it has heard from
 * the broker within `liveness × heartbeat` ms. Past that window the broker may already have taken the
 * worker for lost and, after its result grace, answered a kill `killed`; a commit then would contradict it.
 *
 * Hearing is not enough after a stall: a process frozen (SIGSTOP, a VM pause) past the window finds the
 * broker's messages of the whole freeze waiting in its socket and reads them as if they were new, while
 * the broker, which heard nothing from it all that time, may have given its job up. So a watchdog notes
 * when the process last ran; a stall past the window voids the lease of every job that was running
 * across it, and a message read before the watchdog has run again renews nothing.
 */
export class Lease {
  /** When the broker was last heard; 0 = never, so no lease is held before the first message. */
  private lastHeard = 0;
  /** When the watchdog last ran: the process was running then. */
  private lastAwake = monotonicNow();
  /** When a stall past the window was last noticed. */
  private lastStall = -Infinity;
  private watchdog?: NodeJS.Timeout;

  constructor(private readonly windowMs: number) {}

  /** Starts the watchdog; it runs often enough that a stall shorter than the window never trips it. */
  start(): void {
    this.lastAwake = monotonicNow();
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.awake(monotonicNow()), Math.max(1, Math.floor(this.windowMs / 4)));
    this.watchdog.unref();
  }

  stop(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Any fresh message from the broker renews it; one read right after a stall past the window does not. */
  renew(now = monotonicNow()): void {
    if (this.stalled(now)) return;
    this.lastHeard = now;
  }

  /** Held for a job that started at `since`: the broker heard within the window, and no stall past it since then. */
  heldSince(since: number, now = monotonicNow()): boolean {
    this.stalled(now);
    return this.lastStall < since && now - this.lastHeard <= this.windowMs;
  }

  private awake(now: number): void {
    if (now - this.lastAwake > this.windowMs) this.lastStall = now;
    this.lastAwake = now;
  }

  /** True (and remembered) when the watchdog has not run for longer than the window: the process was stalled. */
  private stalled(now: number): boolean {
    if (this.watchdog === undefined || now - this.lastAwake <= this.windowMs) return false;
    this.lastStall = now;
    return true;
  }
}

/**
 * Thrown by a handler that reached its commit point without the lease (job.mayCommit() was false): the
 * job is abandoned uncommitted and given back like a failed handler.
 */
export class LeaseLostError extends Error {
  constructor(job: string) {
    super(`lease lost: job ${job} abandoned uncommitted (the broker was not heard from within its liveness window)`);
    this.name = 'LeaseLostError';
  }
}
