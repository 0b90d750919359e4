import type { AttributeValues, Chunk, ChunkSink, StageContext, ToxicKind } from './toxic';
import { PacedStage } from './paced-stage';
import { harnessDefectSeeded } from '../../util/seeded-harness-defect';

/**
 * latency: each chunk is released `latency` ± `jitter` ms after it was read. Delays run from each
 * chunk's own arrival, so chunks do not queue behind each other's delay; order is kept (a chunk with
 * a shorter jittered delay waits for the one before it). The end of the stream follows the last chunk.
 */
class LatencyStage extends PacedStage<{ chunk: Chunk; due: number }> {
  /** The seeded `latency-first-chunk` defect: only the first chunk is delayed. */
  private readonly firstChunkOnly = harnessDefectSeeded('latency-first-chunk');
  private delayedOne = false;

  constructor(
    private readonly latency: number,
    private readonly jitter: number,
    out: ChunkSink,
    context: StageContext,
  ) {
    super(out, context);
  }

  /** latency ± jitter, jitter uniform in [-jitter, jitter) whole milliseconds as in the real server. */
  private delay(): number {
    if (this.firstChunkOnly && this.delayedOne) return 0;
    this.delayedOne = true;
    if (this.jitter <= 0) return this.latency;
    return this.latency + Math.floor(this.context.random() * 2 * this.jitter) - this.jitter;
  }

  write(chunk: Chunk): void {
    const idle = this.idle;
    this.queue.push({ chunk, due: chunk.at + this.delay() });
    if (idle) this.pump();
  }

  protected wait(head: { due: number }, now: number): number {
    return head.due - now;
  }

  protected release(head: { chunk: Chunk; due: number }): void {
    head.chunk.at = Math.max(head.chunk.at, head.due);
    this.out.write(head.chunk);
  }

  protected chunkOf(entry: { chunk: Chunk }): Chunk {
    return entry.chunk;
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
