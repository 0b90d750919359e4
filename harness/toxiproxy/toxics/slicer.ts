import { randomInt, type Random } from '../../util/random';
import type { AttributeValues, Chunk, ChunkSink, StageContext, ToxicKind } from './toxic';
import { PacedStage } from './paced-stage';

/**
 * Cut points for `size` bytes: halve around the middle ± `variation` until pieces are within
 * `variation` of `average`. Unlike the real server (which recurses, and panics or loops forever when
 * `size_variation` is 0 or `average_size` is 0), pieces are at least one byte and the split point is
 * kept inside the range, so any attribute values are safe.
 */
export function sliceSizes(size: number, average: number, variation: number, random: Random): number[] {
  const sizes: number[] = [];
  const pending: number[] = [size];
  while (pending.length > 0) {
    const length = pending.pop()!;
    if (length <= 1 || length - average <= variation) {
      sizes.push(length);
      continue;
    }
    let left = Math.floor(length / 2);
    if (variation > 0) left += randomInt(random, variation * 2) - variation;
    left = Math.min(Math.max(left, 1), length - 1);
    // Right first on the stack, so the left half is cut (and emitted) first.
    pending.push(length - left, left);
  }
  return sizes;
}

/**
 * slicer: chunks are cut into pieces of about `average_size` bytes (± `size_variation`), sent
 * `delay` µs apart. Sub-millisecond delays are kept on average: timers fire at most once per ms,
 * and each firing sends the pieces that are due.
 */
class SlicerStage extends PacedStage<Chunk> {
  /** When the next piece may go. */
  private readyAt = 0;
  private readonly delayMs: number;

  constructor(
    private readonly average: number,
    private readonly variation: number,
    delayMicros: number,
    out: ChunkSink,
    context: StageContext,
  ) {
    super(out, context);
    this.delayMs = Math.max(0, delayMicros) / 1000;
  }

  write(chunk: Chunk): void {
    const idle = this.idle;
    let offset = 0;
    for (const size of sliceSizes(chunk.data.length, this.average, this.variation, () => this.context.random())) {
      this.queue.push({ data: chunk.data.subarray(offset, offset + size), at: chunk.at });
      offset += size;
    }
    if (idle) {
      this.readyAt = Math.max(this.readyAt, this.context.now());
      this.pump();
    }
  }

  protected wait(_head: Chunk, now: number): number {
    return this.readyAt - now;
  }

  protected release(head: Chunk): void {
    this.out.write(head);
    // A delay of a millisecond or more is kept between every two pieces, however late the timer
    // fired, as the real server's sleep does (otherwise a late timer would send pieces together).
    // Shorter delays are below timer resolution: keep their average instead.
    this.readyAt = this.delayMs >= 1 ? this.context.now() + this.delayMs : this.readyAt + this.delayMs;
  }

  protected chunkOf(entry: Chunk): Chunk {
    return entry;
  }
}

export const slicerToxic: ToxicKind = {
  type: 'slicer',
  goStruct: 'SlicerToxic',
  attributes: [
    { name: 'average_size', goType: 'int' },
    { name: 'size_variation', goType: 'int' },
    { name: 'delay', goType: 'int' },
  ],
  createStage: (attributes: AttributeValues, out, context) =>
    new SlicerStage(attributes.average_size ?? 0, attributes.size_variation ?? 0, attributes.delay ?? 0, out, context),
};
