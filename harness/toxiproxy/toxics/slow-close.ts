import { NOTHING_HELD, type AttributeValues, type Chunk, type ChunkSink, type Held, type Stage, type StageContext, type StageTimer, type ToxicKind } from './toxic';

/** slow_close: data passes; the end of the stream (and so the close) is held back `delay` ms. */
class SlowCloseStage implements Stage {
  private timer: StageTimer | undefined;

  constructor(
    private readonly delay: number,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
  ) {}

  write(chunk: Chunk): void {
    this.out.write(chunk);
  }

  end(): void {
    this.timer = this.context.setTimer(() => {
      this.timer = undefined;
      this.out.end();
    }, this.delay);
  }

  stop(): Held {
    if (this.timer === undefined) return NOTHING_HELD;
    // The end was being held: hand it on, so the replacement (or the next stage) closes.
    // (The real server loses it when the toxic is updated during the delay; the close never comes.)
    this.context.clearTimer(this.timer);
    this.timer = undefined;
    return { chunks: [], ended: true };
  }
}

export const slowCloseToxic: ToxicKind = {
  type: 'slow_close',
  goStruct: 'SlowCloseToxic',
  attributes: [{ name: 'delay', goType: 'int64' }],
  createStage: (attributes: AttributeValues, out, context) => new SlowCloseStage(attributes.delay ?? 0, out, context),
};
