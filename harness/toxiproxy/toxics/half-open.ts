import { integerAttribute } from './attribute-refusal';
import { NOTHING_HELD, countEffectOf, type AttributeValues, type Chunk, type ChunkSink, type CountEffect, type Held, type Stage, type StageContext, type Toxic, type ToxicKind } from './toxic';

/**
 * half_open (keelhaul extension): one direction of a connection that was open when the toxic was
 * added is cut, the other keeps flowing; connections opened later pass untouched, so it is not a
 * one-way partition but a connection that went half-dead (a NAT or firewall that lost one side's
 * state, a peer whose sends vanish). With `fin` 0 the direction goes silent: its data is dropped,
 * not even the end of the stream, no FIN, no RST. With `fin` 1 the destination gets a FIN (a half-close) and later data is dropped.
 * Removing the toxic closes the connections it silenced, as removing `timeout` does: a stream with
 * a hole in it must not come back to life. Counts `cut` (connections cut).
 */
/** Per connection: whether it was counted as cut (an update of the toxic rebuilds the stage). */
interface HalfOpenState {
  cut: boolean;
}

class HalfOpenStage implements Stage {
  /** The stage has passed the end of the stream on (the FIN of `fin` 1). */
  private closed = false;

  constructor(
    fin: boolean,
    private readonly out: ChunkSink,
    private readonly context: StageContext,
    state: HalfOpenState,
    count: CountEffect,
  ) {
    // An update rebuilds the stage: the connection was cut once.
    if (!state.cut) count('cut');
    state.cut = true;
    if (fin) {
      this.context.finOnly();
      this.close();
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.end();
  }

  write(chunk: Chunk): void {
    this.context.discard(chunk.data.length);
  }

  /** A silenced direction loses its FIN too: the destination never hears that its peer went away. */
  end(): void {}

  stop(reason: 'restart' | 'remove'): Held {
    if (reason === 'remove' && !this.closed) {
      this.closed = true;
      return { chunks: [], ended: true };
    }
    return NOTHING_HELD;
  }
}

export const halfOpenToxic: ToxicKind = {
  type: 'half_open',
  goStruct: 'HalfOpenToxic',
  attributes: [{ name: 'fin', goType: 'int64' }],
  counts: [{ name: 'cut', goType: 'int64' }],
  openConnectionsOnly: true,
  newState: (): HalfOpenState => ({ cut: false }),
  validate: (attributes) => {
    const fin = integerAttribute(attributes, 'fin');
    return fin === 0n || fin === 1n ? undefined : `attributes.fin: ${fin} is neither 0 (drop the direction silently) nor 1 (send a FIN one way)`;
  },
  createStage: (attributes: AttributeValues, out, context, state, toxic: Toxic) => new HalfOpenStage(attributes.fin === 1, out, context, state as HalfOpenState, countEffectOf(toxic)),
};
