/**
 * A KHC/1 worker's lease (docs/protocol.md, "Control"): it may commit a job only while it has heard from
 * the broker within `liveness × heartbeat` ms. Past that window the broker may already have taken the
 * worker for lost and, after its result grace, answered a kill `killed`; a commit then would contradict it.
 */
export class Lease {
  /** When the broker was last heard; 0 = never, so no lease is held before the first message. */
  private lastHeard = 0;

  constructor(private readonly windowMs: number) {}

  /** Any message from the broker renews it. */
  renew(now = Date.now()): void {
    this.lastHeard = now;
  }

  held(now = Date.now()): boolean {
    return now - this.lastHeard <= this.windowMs;
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
