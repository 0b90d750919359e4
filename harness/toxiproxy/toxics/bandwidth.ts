import type { AttributeValues, Chunk, ChunkSink, StageContext, ToxicKind } from './toxic';
import { PacedStage } from './paced-stage';

/**
 * bandwidth: limits the stream to `rate` KB/s (1 KB = 1000 bytes, as in the real server). Each
 * piece is released `size / rate` ms after the previous one; chunks larger than rate × 100 bytes
 * are cut into pieces of that size, one every 100 ms. Lateness of a timer is made up on the next
 * piece (the schedule runs from when the previous piece was due), but idle time earns no burst.
 * rate <= 0 means unlimited.
 */
class BandwidthStage extends PacedStage<Chunk> {
  /** When the previous piece was due: the next one is due `size / rate` ms after it. */
  private base = 0;

  constructor(
    private readonly rate: number,
    out: ChunkSink,
    context: StageContext,
  ) {
    super(out, context);
  }

  write(chunk: Chunk): void {
    if (this.rate <= 0) {
      this.out.write(chunk);
      return;
    }
    const idle = this.idle;
    const pieceSize = this.rate * 100;
    if (chunk.data.length <= pieceSize) this.queue.push(chunk);
    else for (let offset = 0; offset < chunk.data.length; offset += pieceSize) this.queue.push({ data: chunk.data.subarray(offset, offset + pieceSize), at: chunk.at });
    if (idle) {
      this.base = this.context.now();
      this.pump();
    }
  }

  protected wait(head: Chunk, now: number): number {
    return this.base + head.data.length / this.rate - now;
  }

  protected release(head: Chunk): void {
    this.base += head.data.length / this.rate;
    this.out.write(head);
  }

  protected chunkOf(entry: Chunk): Chunk {
    return entry;
  }
}

export const bandwidthToxic: ToxicKind = {
  type: 'bandwidth',
  goStruct: 'BandwidthToxic',
  attributes: [{ name: 'rate', goType: 'int64' }],
  createStage: (attributes: AttributeValues, out, context) => new BandwidthStage(attributes.rate ?? 0, out, context),
};
