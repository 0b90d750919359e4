import { Fifo } from '../fifo';
import type { AttributeValues, Chunk, ChunkSink, Held, Stage, StageContext, StageTimer, ToxicKind } from '../toxic';

/**
 * bandwidth: limits the stream to `rate` KB/s (1 KB = 1000 bytes, as in the real server). Each
 * piece is released `size / rate` ms after the previous one; chunks larger than rate × 100 bytes
 * are cut into pieces of that size, one every 100 ms. Lateness of a timer is made up on the next
 * piece (the schedule runs from when the previous piece was due), but idle time earns no burst.
 * rate <= 0 means unlimited.
 */
class BandwidthStage implements Stage {
  private readonly queue = new Fifo<Chunk>();
  private timer: StageTimer | undefined;
  private endPending = false;
  /** When the previous piece was due: the next one is due `size / rate` ms after it. */
  private base = 0;

  constructor(
    private readonly rate: number,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
  ) {}

  write(chunk: Chunk): void {
    if (this.rate <= 0) {
      this.out.write(chunk);
      return;
    }
    const idle = this.queue.length === 0 && this.timer === undefined;
    const pieceSize = this.rate * 100;
    if (chunk.data.length <= pieceSize) this.queue.push(chunk);
    else for (let offset = 0; offset < chunk.data.length; offset += pieceSize) this.queue.push({ data: chunk.data.subarray(offset, offset + pieceSize), at: chunk.at });
    if (idle) {
      this.base = this.context.now();
      this.pump();
    }
  }

  end(): void {
    if (this.queue.length === 0 && this.timer === undefined) this.out.end();
    else this.endPending = true;
  }

  private pump(): void {
    this.timer = undefined;
    const now = this.context.now();
    for (let piece = this.queue.peek(); piece; piece = this.queue.peek()) {
      const due = this.base + piece.data.length / this.rate;
      if (due - now >= 1) {
        this.timer = this.context.setTimer(() => this.pump(), due - now);
        return;
      }
      this.queue.shift();
      this.base = due;
      this.out.write(piece);
    }
    if (this.endPending) {
      this.endPending = false;
      this.out.end();
    }
  }

  stop(): Held {
    this.context.clearTimer(this.timer);
    this.timer = undefined;
    return { chunks: this.queue.drain(), ended: this.endPending };
  }
}

export const bandwidthToxic: ToxicKind = {
  type: 'bandwidth',
  goStruct: 'BandwidthToxic',
  attributes: [{ name: 'rate', goType: 'int64' }],
  createStage: (attributes: AttributeValues, out, context) => new BandwidthStage(attributes.rate ?? 0, out, context),
};
