import { Fifo } from './fifo';
import type { Chunk, ChunkSink, Held, Stage, StageContext, StageTimer } from './toxic';

/**
 * A stage that holds entries in order and lets each go when it is due (latency, bandwidth, slicer).
 * Subclasses say when the head is due and what releasing it means; the queue, the one timer, the
 * end of the stream (it follows the last entry) and handing back what is held live here once.
 */
export abstract class PacedStage<E> implements Stage {
  protected readonly queue = new Fifo<E>();
  private timer: StageTimer | undefined;
  private endPending = false;

  constructor(
    protected readonly out: ChunkSink,
    protected readonly context: StageContext,
  ) {}

  abstract write(chunk: Chunk): void;

  /** Milliseconds until `head` may go; below 1 counts as now (timers have millisecond resolution). */
  protected abstract wait(head: E, now: number): number;

  /** Sends `head`, already taken off the queue. */
  protected abstract release(head: E): void;

  /** The chunk an entry holds, to hand back when the stage stops. */
  protected abstract chunkOf(entry: E): Chunk;

  /** True when nothing is queued and no timer runs: a write must start the pump itself. */
  protected get idle(): boolean {
    return this.queue.length === 0 && this.timer === undefined;
  }

  protected pump(): void {
    this.timer = undefined;
    const now = this.context.now();
    for (let head = this.queue.peek(); head !== undefined; head = this.queue.peek()) {
      const wait = this.wait(head, now);
      if (wait >= 1) {
        this.timer = this.context.setTimer(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      this.release(head);
    }
    if (this.endPending) {
      this.endPending = false;
      this.out.end();
    }
  }

  end(): void {
    if (this.idle) this.out.end();
    else this.endPending = true;
  }

  stop(): Held {
    this.context.clearTimer(this.timer);
    this.timer = undefined;
    return { chunks: this.queue.drain().map((entry) => this.chunkOf(entry)), ended: this.endPending };
  }
}
