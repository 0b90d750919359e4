import { harnessDefectSeeded } from '../../util/seeded-harness-defect';
import { NOTHING_HELD, type AttributeValues, type Chunk, type ChunkSink, type Held, type Stage, type StageContext, type StageTimer, type ToxicKind } from './toxic';

/**
 * timeout: all data is dropped, and the stream is closed once `timeout` ms pass without data (each
 * chunk re-arms the timer). `timeout` 0 never closes: a silent blackhole. The end of the stream
 * still passes. Removing the toxic closes the streams it was holding (the real server's Cleanup):
 * a connection it stalled does not silently come back to life.
 */
class TimeoutStage implements Stage {
  private timer: StageTimer | undefined;
  private closed = false;

  constructor(
    private readonly timeout: number,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
  ) {
    this.arm();
    // The seeded `partition-closes` defect: a blackhole that closes what it holds instead of going silent.
    if (timeout <= 0 && harnessDefectSeeded('partition-closes')) this.close();
  }

  private arm(): void {
    if (this.timeout <= 0) return;
    this.context.clearTimer(this.timer);
    this.timer = this.context.setTimer(() => this.close(), this.timeout);
  }

  private close(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.closed = true;
    this.out.end();
  }

  write(chunk: Chunk): void {
    this.context.discard(chunk.data.length);
    if (!this.closed) this.arm();
  }

  end(): void {
    this.context.clearTimer(this.timer);
    this.close();
  }

  stop(reason: 'restart' | 'remove'): Held {
    this.context.clearTimer(this.timer);
    this.timer = undefined;
    if (reason === 'remove' && !this.closed) {
      this.closed = true;
      return { chunks: [], ended: true };
    }
    return NOTHING_HELD;
  }
}

export const timeoutToxic: ToxicKind = {
  type: 'timeout',
  goStruct: 'TimeoutToxic',
  attributes: [{ name: 'timeout', goType: 'int64' }],
  createStage: (attributes: AttributeValues, out, context) => new TimeoutStage(attributes.timeout ?? 0, out, context),
};
