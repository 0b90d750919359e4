import { encodeRecorded, type Frame } from './codec';

/** How long a plain request's RECORDED may wait for others to the same worker. */
export const RECORDED_DELAY_MS = 10;
/**
 * Most ids in one RECORDED: with its 3 header frames and the routing frame that stays within the
 * 64 frames a peer may bound a message to (docs/limits.md).
 */
export const RECORDED_MAX_IDS = 60;

interface Pending {
  identity: Frame;
  ids: Frame[];
}

/**
 * RECORDEDs for plain 7/MDP requests (broker-made 0x00 addresses), gathered per worker connection and
 * sent within RECORDED_DELAY_MS, up to RECORDED_MAX_IDS ids in one message. A KHX/1 worker keeps every
 * result until a RECORDED names it, but a plain request's result is never journaled and a late
 * RECORDED only means the worker holds it a few ms longer, so one message per request is not needed:
 * under pipelined load it was a fifth of the broker's messages and half of the worker's receives.
 * Job results (KHX/1 broker rule 2) are not sent through here: their RECORDED follows the durable write at once.
 */
export class RecordedBatches {
  private readonly pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly send: (frames: Frame[]) => void) {}

  /** Queues a RECORDED for `address` to the worker connection `worker` (its hex id) at `identity`. */
  add(worker: string, identity: Frame, address: Frame): void {
    let batch = this.pending.get(worker);
    if (batch === undefined) this.pending.set(worker, (batch = { identity, ids: [] }));
    batch.ids.push(address);
    if (batch.ids.length >= RECORDED_MAX_IDS) {
      this.pending.delete(worker);
      this.send([identity, ...encodeRecorded(batch.ids)]);
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), RECORDED_DELAY_MS);
  }

  /** The connection is gone: its results are handed in again on the next one, and answered then. */
  forget(worker: string): void {
    this.pending.delete(worker);
  }

  /** Sends everything gathered. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const { identity, ids } of this.pending.values()) this.send([identity, ...encodeRecorded(ids)]);
    this.pending.clear();
  }

  /** Drops everything gathered, unsent (the broker is closing). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
