import { NOTHING_HELD, type AttributeValues, type Chunk, type ChunkSink, type Held, type Stage, type StageContext, type ToxicKind } from './toxic';

/** Bytes passed so far on one stream: kept across updates of the toxic, as in the real server. */
interface LimitDataState {
  transmitted: number;
}

/**
 * limit_data: passes at most `bytes` bytes, then closes the stream (the chunk that crosses the
 * limit is cut). The count survives updates, so raising the limit lets more through on open
 * connections. As in the real server, the close happens when data arrives: `bytes` 0 closes on the
 * first chunk, passing nothing.
 */
class LimitDataStage implements Stage {
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly state: LimitDataState,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
  ) {}

  write(chunk: Chunk): void {
    if (this.closed) {
      this.context.discard(chunk.data.length);
      return;
    }
    const remaining = Math.max(0, this.limit - this.state.transmitted);
    let passed = chunk;
    if (chunk.data.length > remaining) {
      this.context.discard(chunk.data.length - remaining);
      passed = { data: chunk.data.subarray(0, remaining), at: chunk.at };
    }
    if (passed.data.length > 0) {
      this.state.transmitted += passed.data.length;
      this.out.write(passed);
    }
    if (this.limit - this.state.transmitted <= 0) {
      this.closed = true;
      this.out.end();
    }
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.end();
  }

  stop(): Held {
    return NOTHING_HELD;
  }
}

export const limitDataToxic: ToxicKind = {
  type: 'limit_data',
  goStruct: 'LimitDataToxic',
  attributes: [{ name: 'bytes', goType: 'int64' }],
  newState: (): LimitDataState => ({ transmitted: 0 }),
  createStage: (attributes: AttributeValues, out, context, state) => new LimitDataStage(attributes.bytes ?? 0, state as LimitDataState, out, context),
};
