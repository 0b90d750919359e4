import { Fifo } from '../fifo';
import type { AttributeValues, Chunk, ChunkSink, Held, Stage, StageContext, StageTimer, ToxicKind } from '../toxic';

/**
 * latency: each chunk is released `latency` ± `jitter` ms after it was read. Delays run from each
 * chunk's own arrival, so chunks do not queue behind each other's delay; order is kept (a chunk with
 * a shorter jittered delay waits for the one before it). The end of the stream follows the last chunk.
 */
class LatencyStage implements Stage {
  private readonly queue = new Fifo<{ chunk: Chunk; due: number }>();
  private timer: StageTimer | undefined;
  private endPending = false;

  constructor(
    private readonly latency: number,
    private readonly jitter: number,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
  ) {}

  /** latency ± jitter, jitter uniform in [-jitter, jitter) whole milliseconds as in the real server. */
  private delay(): number {
    if (this.jitter <= 0) return this.latency;
    return this.latency + Math.floor(this.context.random() * 2 * this.jitter) - this.jitter;
  }

  write(chunk: Chunk): void {
    this.queue.push({ chunk, due: chunk.at + this.delay() });
    if (this.timer === undefined) this.release();
  }

  end(): void {
    if (this.queue.length === 0 && this.timer === undefined) this.out.end();
    else this.endPending = true;
  }

  private release(): void {
    this.timer = undefined;
    const now = this.context.now();
    for (let next = this.queue.peek(); next; next = this.queue.peek()) {
      // Timers have millisecond resolution: within 1 ms counts as due.
      if (next.due - now >= 1) {
        this.timer = this.context.setTimer(() => this.release(), next.due - now);
        return;
      }
      this.queue.shift();
      next.chunk.at = Math.max(next.chunk.at, next.due);
      this.out.write(next.chunk);
    }
    if (this.endPending) {
      this.endPending = false;
      this.out.end();
    }
  }

  stop(): Held {
    this.context.clearTimer(this.timer);
    this.timer = undefined;
    return { chunks: this.queue.drain().map((entry) => entry.chunk), ended: this.endPending };
  }
}

export const latencyToxic: ToxicKind = {
  type: 'latency',
  goStruct: 'LatencyToxic',
  attributes: [
    { name: 'latency', goType: 'int64' },
    { name: 'jitter', goType: 'int64' },
  ],
  createStage: (attributes: AttributeValues, out, context) => new LatencyStage(attributes.latency ?? 0, attributes.jitter ?? 0, out, context),
};
