import { NOTHING_HELD, type AttributeValues, type Chunk, type Held, type Stage, type StageContext, type ToxicKind } from './toxic';

/**
 * reset_peer: the next data (or end of stream) in this direction is dropped, and `timeout` ms later
 * the connection is reset: both sockets are closed with a TCP RST, so the peers see ECONNRESET.
 * Nothing happens without traffic. Once triggered, the reset is committed: updating or removing the
 * toxic does not cancel it (in the real server the API call waits for it instead).
 */
class ResetPeerStage implements Stage {
  private triggered = false;

  constructor(
    private readonly timeout: number,
    private readonly context: StageContext,
  ) {}

  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    // The timer belongs to the connection: it survives this stage being stopped.
    this.context.setTimer(() => this.context.reset(), Math.max(0, this.timeout));
  }

  write(chunk: Chunk): void {
    this.context.discard(chunk.data.length);
    this.trigger();
  }

  end(): void {
    this.trigger();
  }

  stop(): Held {
    return NOTHING_HELD;
  }
}

export const resetPeerToxic: ToxicKind = {
  type: 'reset_peer',
  goStruct: 'ResetToxic',
  attributes: [{ name: 'timeout', goType: 'int64' }],
  createStage: (attributes: AttributeValues, _out, context) => new ResetPeerStage(attributes.timeout ?? 0, context),
};
