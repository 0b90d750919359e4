import { ZmtpDissector } from '../zmtp/dissector';
import { messageFields, type MessageFields } from '../zmtp/message-fields';
import { MATCH_ATTRIBUTES, matchRefusal, matches, messageMatch, type MessageMatch } from '../zmtp/message-match';
import { durationRefusal, integerAttribute } from './attribute-refusal';
import { noteUnparsedStream, type MessageStageState } from './zmtp-message-stage';
import { NOTHING_HELD, countEffectOf, countOf, type AttributeSpec, type AttributeValue, type Chunk, type ChunkSink, type CountEffect, type Held, type Stage, type StageContext, type StageTimer, type Toxic, type ToxicKind } from './toxic';

/**
 * zmtp_trigger (keelhaul extension): the n-th message matching its matcher (counted over all the
 * toxic's connections) is held, not forwarded, and so is everything behind it on that connection
 * stream, until the toxic is removed or updated (or `timeout` ms pass): then the held message is
 * forwarded or dropped (`release`) and what came behind it follows in order. It fires once in its
 * life. The harness waits for the hit (`GET .../toxics/{toxic}/hit`, server.ts), strikes a node or
 * link fault while the message is held, and then removes the toxic: the fault lands exactly
 * between that message and the next, wherever the processes happen to be.
 */

const MAX_HOLD_MS = 600_000;
export const TRIGGER_RELEASES = ['forward', 'drop'] as const;
export type TriggerRelease = (typeof TRIGGER_RELEASES)[number];

const TRIGGER_ATTRIBUTES = [
  ...MATCH_ATTRIBUTES.filter((spec) => spec.name !== 'limit'),
  { name: 'nth', goType: 'int64' },
  { name: 'release', goType: 'string' },
  { name: 'timeout', goType: 'int64' },
] as const satisfies readonly AttributeSpec[];

/** What the toxic shows of its work (read-only attributes): the hit and the message that made it. */
const TRIGGER_COUNTS = [
  { name: 'matched', goType: 'int64' },
  /** 1 once it fired (it fires once). */
  { name: 'hits', goType: 'int64' },
  /** The messages it holds now (the trigger's and those behind it); 0 once released. */
  { name: 'held', goType: 'int64' },
  /** 1 when the hold ended by `timeout`, not by the harness. */
  { name: 'timed_out', goType: 'int64' },
  { name: 'hit_command', goType: 'string' },
  { name: 'hit_service', goType: 'string' },
  /** Comma-separated KHX/1 job ids the message named. */
  { name: 'hit_jobs', goType: 'string' },
  { name: 'hit_topic', goType: 'string' },
  { name: 'hit_sequence', goType: 'int64' },
  { name: 'unparsed_streams', goType: 'int64' },
  { name: 'unparsed_reason', goType: 'string' },
] as const satisfies readonly AttributeSpec[];

/** Waiters for a toxic's hit (the API's long poll), by toxic. */
const hitWaiters = new WeakMap<Toxic, Set<() => void>>();

/** Resolves true once `toxic` has fired, false after `timeoutMs` without a hit. */
export function whenTriggerHit(toxic: Toxic, timeoutMs: number): Promise<boolean> {
  if (countOf(toxic, 'hits') > 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const waiters = hitWaiters.get(toxic) ?? new Set<() => void>();
    hitWaiters.set(toxic, waiters);
    const done = (): void => {
      clearTimeout(timer);
      waiters.delete(done);
      resolve(countOf(toxic, 'hits') > 0);
    };
    const timer = setTimeout(done, timeoutMs);
    waiters.add(done);
  });
}

/** Ends every wait on `toxic` now (it fired, or it is gone). */
export function wakeTriggerWaiters(toxic: Toxic): void {
  for (const wake of [...(hitWaiters.get(toxic) ?? [])]) wake();
}

interface HeldUnit {
  readonly data: Buffer;
  /** The trigger's own message (dropped on a `drop` release). */
  readonly trigger: boolean;
}

class TriggerStage implements Stage {
  private readonly dissector: ZmtpDissector;
  private readonly match: MessageMatch;
  private readonly nth: number;
  private readonly release: TriggerRelease;
  private readonly holdMs: number;
  private readonly count: CountEffect;
  /** Held on this connection stream since the trigger fired here; undefined when not holding. */
  private held: HeldUnit[] | undefined;
  private heldEnd = false;
  private inputEnded = false;
  private timer: StageTimer | undefined;

  constructor(
    private readonly out: ChunkSink,
    private readonly context: StageContext,
    private readonly state: MessageStageState,
    private readonly toxic: Toxic,
  ) {
    this.dissector = new ZmtpDissector(state.resume ?? context.zmtpPosition());
    state.resume = undefined;
    this.match = messageMatch(toxic.attributes);
    this.nth = Number(integerAttribute(toxic.attributes, 'nth'));
    this.release = releaseOf(toxic.attributes);
    this.holdMs = Number(integerAttribute(toxic.attributes, 'timeout'));
    this.count = countEffectOf(toxic);
  }

  write(chunk: Chunk): void {
    for (const unit of this.dissector.push(chunk.data)) {
      if (this.held) {
        this.hold({ data: unit.data, trigger: false });
        continue;
      }
      const fields = unit.kind === 'message' ? messageFields(unit.frames, this.toxic.direction === 'upstream') : undefined;
      if (!fields || !matches(this.match, fields) || countOf(this.toxic, 'hits') > 0) {
        this.out.write({ data: unit.data, at: chunk.at });
        continue;
      }
      this.count('matched');
      if (countOf(this.toxic, 'matched') >= this.nth) this.fire(unit.data, fields);
      else this.out.write({ data: unit.data, at: chunk.at });
    }
    noteUnparsedStream(this.dissector, this.state, this.toxic);
  }

  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    const rest = this.dissector.drain();
    if (this.held) {
      if (rest) this.hold({ data: rest, trigger: false });
      this.heldEnd = true;
      return;
    }
    if (rest) this.out.write({ data: rest, at: this.context.now() });
    this.out.end();
  }

  /** Removed or updated: the hold ends, as `release` says; what it held goes on in order. */
  stop(): Held {
    this.context.clearTimer(this.timer);
    this.state.resume = this.dissector.resumePoint();
    const chunks = this.releaseHeld().map((data) => ({ data, at: this.context.now() }));
    const rest = this.dissector.drain();
    if (rest) chunks.push({ data: rest, at: this.context.now() });
    const ended = this.heldEnd || this.inputEnded;
    this.heldEnd = false;
    if (chunks.length === 0 && !ended) return NOTHING_HELD;
    return { chunks, ended };
  }

  private fire(data: Buffer, fields: MessageFields): void {
    this.toxic.counts.set('hits', 1);
    this.toxic.counts.set('hit_command', fields.command);
    this.toxic.counts.set('hit_service', fields.service ?? '');
    this.toxic.counts.set('hit_jobs', fields.jobs.join(','));
    this.toxic.counts.set('hit_topic', fields.topic ?? '');
    this.toxic.counts.set('hit_sequence', fields.sequence ?? 0);
    this.held = [];
    this.hold({ data, trigger: true });
    if (this.holdMs > 0) this.timer = this.context.setTimer(() => this.timeOut(), this.holdMs);
    wakeTriggerWaiters(this.toxic);
  }

  private hold(unit: HeldUnit): void {
    this.held?.push(unit);
    this.count('held');
  }

  /** Nobody released it within `timeout`: released here, so a lost harness never wedges a link for good. */
  private timeOut(): void {
    this.timer = undefined;
    this.count('timed_out');
    for (const data of this.releaseHeld()) this.out.write({ data, at: this.context.now() });
    if (this.heldEnd) {
      this.heldEnd = false;
      this.out.end();
    }
  }

  /** The held bytes to pass on, in order, without the trigger's message on a `drop` release. */
  private releaseHeld(): Buffer[] {
    const held = this.held ?? [];
    this.held = undefined;
    this.toxic.counts.set('held', 0);
    const kept: Buffer[] = [];
    for (const unit of held) {
      if (unit.trigger && this.release === 'drop') this.context.discard(unit.data.length);
      else kept.push(unit.data);
    }
    return kept;
  }


}

function releaseOf(attributes: ReadonlyMap<string, AttributeValue>): TriggerRelease {
  const value = attributes.get('release');
  return value === 'drop' ? 'drop' : 'forward';
}

/** Why these attributes cannot make a trigger, naming the field; undefined when they can. */
function triggerRefusal(attributes: ReadonlyMap<string, AttributeValue>): string | undefined {
  const nth = integerAttribute(attributes, 'nth');
  if (nth < 1n || nth > BigInt(Number.MAX_SAFE_INTEGER)) return `attributes.nth: ${nth} is out of range (1 to ${Number.MAX_SAFE_INTEGER}; 1 is the first matching message)`;
  const release = attributes.get('release');
  if (typeof release === 'string' && release !== '' && !(TRIGGER_RELEASES as readonly string[]).includes(release)) {
    return `attributes.release: ${JSON.stringify(release)} is neither "forward" (the held message goes on) nor "drop" (it is lost)`;
  }
  if (integerAttribute(attributes, 'timeout') !== 0n) return durationRefusal(attributes, 'timeout', MAX_HOLD_MS);
  return undefined;
}

export const zmtpTriggerToxic: ToxicKind = {
  type: 'zmtp_trigger',
  goStruct: 'ZmtpTriggerToxic',
  attributes: TRIGGER_ATTRIBUTES,
  // A trigger acts on the one message it counts to, on whichever connection carries it.
  rollsPerMessage: true,
  newState: (): MessageStageState => ({ resume: undefined, unparsedCounted: false }),
  validate: (attributes) => matchRefusal(attributes) ?? triggerRefusal(attributes),
  counts: TRIGGER_COUNTS,
  createStage: (_values, out, context, state, toxic) => new TriggerStage(out, context, state as MessageStageState, toxic),
};
