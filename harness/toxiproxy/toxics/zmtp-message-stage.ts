import { ZmtpDissector, type DissectorStart } from '../zmtp/dissector';
import { messageFields } from '../zmtp/message-fields';
import { MATCH_ATTRIBUTES, matchRefusal, matches, messageMatch, type MessageMatch } from '../zmtp/message-match';
import { NOTHING_HELD, countEffectOf, countOf, type AttributeSpec, type CountEffect, type AttributeValue, type Chunk, type ChunkSink, type Held, type Stage, type StageContext, type Toxic, type ToxicKind } from './toxic';

/**
 * The common part of keelhaul's message toxics (`zmtp_drop`, `zmtp_duplicate`, `zmtp_delay`,
 * `zmtp_reorder`): a ZMTP dissector on the toxic's stream, a matcher on protocol fields, the
 * toxicity rolled per matched message, an optional cap (`limit`) on how many messages it affects,
 * and counts the API shows as read-only attributes, so a fault that matched nothing can be told
 * from one that worked.
 */

/** The counts every message toxic shows, as read-only attributes (`ToxicKind.counts`). */
const MESSAGE_COUNTS = [
  { name: 'matched', goType: 'int64' },
  { name: 'affected', goType: 'int64' },
  /** Connection streams the dissector could not read (CURVE, not ZMTP 3.x, a framing error). */
  { name: 'unparsed_streams', goType: 'int64' },
  /** Why the last of them could not be read. */
  { name: 'unparsed_reason', goType: 'string' },
] as const satisfies readonly AttributeSpec[];

/** Per connection stream, surviving updates of the toxic: where a rebuilt stage's dissector resumes. */
interface MessageStageState {
  resume: DissectorStart | undefined;
  unparsedCounted: boolean;
}

/** A whole message, as a chunk ready to be written on. */
export type MessageChunk = Chunk;

export abstract class MessageStage implements Stage {
  private readonly dissector: ZmtpDissector;
  private readonly match: MessageMatch;
  private readonly limit: number;
  /** Adds to the toxic's counts (`affected` is counted by each kind's `act`). */
  protected readonly count: CountEffect;
  /** The toxic's attributes as this stage was built with them (an update rebuilds the stage). */
  protected readonly toxicAttributes: Toxic['attributes'];
  /** The end of the stream arrived; a stage holding messages passes it on after them. */
  protected inputEnded = false;

  constructor(
    protected readonly out: ChunkSink,
    protected readonly context: StageContext,
    private readonly state: MessageStageState,
    private readonly toxic: Toxic,
  ) {
    this.toxicAttributes = toxic.attributes;
    this.dissector = new ZmtpDissector(state.resume ?? context.zmtpPosition());
    state.resume = undefined;
    this.match = messageMatch(toxic.attributes);
    const limit = toxic.attributes.get('limit');
    this.limit = typeof limit === 'bigint' ? Number(limit) : 0;
    this.count = countEffectOf(toxic);
  }

  /** Does something to a matched message this toxic may affect; counts `affected` itself. */
  protected abstract act(message: MessageChunk): void;
  /** Messages it holds, in stream order (taken out: the stage is stopping). A stage that holds nothing has none. */
  protected takeHeld(): MessageChunk[] {
    return [];
  }

  /** The input ended and nothing is pending in the dissector: pass the end on once what is held is out. */
  protected finish(): void {
    this.out.end();
  }

  /** Cancels the stage's timers, if it has any. */
  protected cancel(): void {}

  /** Affected so far plus those it is holding to affect, against `limit` (0: no cap). */
  protected mayAffect(inHand = 0): boolean {
    return this.limit === 0 || countOf(this.toxic, 'affected') + inHand < this.limit;
  }

  /** Whether a matched message may be acted on now; reorder also lets the partner of a held message through. */
  protected mayAffectMore(): boolean {
    return this.mayAffect();
  }

  write(chunk: Chunk): void {
    for (const unit of this.dissector.push(chunk.data)) {
      const piece: MessageChunk = { data: unit.data, at: chunk.at };
      if (unit.kind === 'bytes' || !matches(this.match, messageFields(unit.frames, this.toxic.direction === 'upstream'))) {
        this.out.write(piece);
        continue;
      }
      this.count('matched');
      const rolled = this.context.random() < Math.fround(this.toxic.toxicity);
      if (rolled && this.mayAffectMore()) this.act(piece);
      else this.out.write(piece);
    }
    this.noteUnparsed();
  }

  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    const rest = this.dissector.drain();
    if (rest) this.out.write({ data: rest, at: this.context.now() });
    this.finish();
  }

  stop(): Held {
    this.cancel();
    this.state.resume = this.dissector.resumePoint();
    const held = this.takeHeld();
    const rest = this.dissector.drain();
    if (rest) held.push({ data: rest, at: this.context.now() });
    if (held.length === 0 && !this.inputEnded) return NOTHING_HELD;
    return { chunks: held, ended: this.inputEnded };
  }

  private noteUnparsed(): void {
    noteUnparsedStream(this.dissector, this.state, this.toxic);
  }
}

/** Counts, once per connection stream, a stream the dissector stopped reading, and why (`unparsed_streams`, `unparsed_reason`). */
export function noteUnparsedStream(dissector: ZmtpDissector, state: MessageStageState, toxic: Toxic): void {
  const reason = dissector.opaqueReason;
  if (reason === undefined || state.unparsedCounted) return;
  state.unparsedCounted = true;
  countEffectOf(toxic)('unparsed_streams');
  toxic.counts.set('unparsed_reason', reason);
}

/** What every message toxic kind shares: the matcher's attributes and checks, per-message toxicity, the counts. */
export function messageToxicKind(
  kind: { type: string; goStruct: string; extraAttributes?: readonly AttributeSpec[]; validateExtra?: (attributes: ReadonlyMap<string, AttributeValue>) => string | undefined },
  createStage: (out: ChunkSink, context: StageContext, state: MessageStageState, toxic: Toxic) => MessageStage,
): ToxicKind {
  return {
    type: kind.type,
    goStruct: kind.goStruct,
    attributes: [...MATCH_ATTRIBUTES, ...(kind.extraAttributes ?? [])],
    rollsPerMessage: true,
    newState: (): MessageStageState => ({ resume: undefined, unparsedCounted: false }),
    validate: (attributes) => matchRefusal(attributes) ?? kind.validateExtra?.(attributes),
    counts: MESSAGE_COUNTS,
    createStage: (_values, out, context, state, toxic) => createStage(out, context, state as MessageStageState, toxic),
  };
}

export type { MessageStageState };
