import { goFloat32, goString } from '../../util/go-json';
import type { DissectorStart } from '../zmtp/dissector';
import type { ToxicMeasure } from './toxic-measure';

/**
 * The vocabulary shared by links and toxics.
 *
 * A *toxic* is what the API manages: a named, typed fault on one stream of one proxy, with a
 * toxicity and integer attributes. A *stage* is a toxic at work on one connection's stream: each
 * link (one per connection and direction) holds one stage per toxic, in order, and data flows
 * through them from the source socket to the destination socket. Stages are rebuilt when a toxic
 * is updated; a toxic's per-connection *state* (limit_data's byte count) outlives those rebuilds.
 */

/** `upstream` carries client→server bytes, `downstream` server→client. */
export type Direction = 'upstream' | 'downstream';

/** Some bytes read from a source, with the time (ms, monotonic) they count from for delays. */
export interface Chunk {
  readonly data: Buffer;
  /** When the proxy read the bytes; a delaying toxic moves it to when it released them. */
  at: number;
}

/** Where a stage sends its output: the next stage, or the destination socket. */
export interface ChunkSink {
  write(chunk: Chunk): void;
  /** End of the stream: no more writes follow. The destination is closed once it arrives. */
  end(): void;
}

/** What a stopped stage still held, handed on in order to its replacement (or the next stage). */
export interface Held {
  readonly chunks: Chunk[];
  /** The stage had received the end of the stream but not yet passed it on. */
  readonly ended: boolean;
}

export const NOTHING_HELD: Held = Object.freeze({ chunks: [], ended: false });

/** A toxic working on one stream of one connection. */
export interface Stage extends ChunkSink {
  /**
   * Stops the stage (cancels its timers) and returns what it holds, so that no data is lost when a
   * toxic is updated (`restart`) or removed (`remove`). A stage may answer `ended: true` on removal
   * to close the stream there (the timeout toxic does: removing it closes the connections it held).
   */
  stop(reason: 'restart' | 'remove'): Held;
}

/** Timer handle returned by a stage context; cleared with the connection, so nothing outlives it. */
export type StageTimer = NodeJS.Timeout;

/** What a stage may use from its connection. */
export interface StageContext {
  /** Monotonic milliseconds. */
  now(): number;
  /** The server's seeded PRNG. */
  random(): number;
  /** A timer owned by the connection: cleared when the connection closes. */
  setTimer(callback: () => void, ms: number): StageTimer;
  clearTimer(timer: StageTimer | undefined): void;
  /** Bytes the stage dropped: released from the link's flow-control budget. */
  discard(bytes: number): void;
  /** Tears the whole connection down with a TCP RST on both sides. */
  reset(): void;
  /**
   * Makes the next end of the stream a FIN on the destination alone (half-close), instead of
   * closing the destination socket: the other direction keeps flowing (`half_open`).
   */
  finOnly(): void;
  /** Where the ZMTP stream stands at this stage's input (message toxics start from it on an open connection). */
  zmtpPosition(): DissectorStart;
}

/** Numeric attribute values a stage is built from (all attributes are integers; missing ones are 0). */
export type AttributeValues = Readonly<Record<string, number>>;

/** Toxiproxy's attributes are integers; keelhaul's message toxics also take strings (missing ones are ''). */
export type AttributeValue = bigint | string;

export interface AttributeSpec {
  readonly name: string;
  /** The Go type of the real server's field, for type-error messages (`string`: keelhaul extensions only). */
  readonly goType: 'int64' | 'int' | 'string';
}

/** A toxic type: its attributes and how to build its stage. */
export interface ToxicKind {
  readonly type: string;
  /** The Go struct name of the real toxic, for type-error messages (`LatencyToxic`). */
  readonly goStruct: string;
  readonly attributes: readonly AttributeSpec[];
  /** Per-connection state that survives updates of the toxic (limit_data's counter). */
  newState?(): unknown;
  /** Builds the stage; `toxic` is for its string attributes and its counts (`countEffectOf`). */
  createStage(attributes: AttributeValues, out: ChunkSink, context: StageContext, state: unknown, toxic: Toxic): Stage;
  /**
   * Keelhaul extension: what the attribute values must satisfy beyond their Go type. Answers why
   * they are refused, naming the field (a 400), `undefined` for good ones.
   */
  validate?(attributes: ReadonlyMap<string, AttributeValue>): string | undefined;
  /**
   * Keelhaul extension: the counts of what the toxic did (connections refused or cut, messages
   * matched or affected...), served as read-only attributes after its own so any Toxiproxy client
   * can read them; values sent for them are ignored. Integers start at 0, strings at ''.
   */
  readonly counts?: readonly AttributeSpec[];
  /** Keelhaul extension: the toxic acts on each new connection before it is linked (accept-gate.ts). */
  readonly atAccept?: AcceptAction;
  /** Keelhaul extension: the toxic acts only on connections already open when it was added. */
  readonly openConnectionsOnly?: boolean;
  /** Keelhaul extension: toxicity rolled per matched message by the stage itself, instead of per connection. */
  readonly rollsPerMessage?: boolean;
}

/** Adds to one of the toxic's integer counts (`ToxicKind.counts`). */
export type CountEffect = (counter: string, by?: number) => void;

/**
 * What a connection toxic does to a new connection it applies to: reset it (RST) at once, hold it
 * accepted and unread until the toxic goes, or hold it for `delay` ms before the upstream is dialled.
 */
export type AcceptAction = 'refuse' | 'hang' | 'delay';

/** A toxic as the API knows it. Mutable fields change through ProxyToxics.update only. */
export interface Toxic {
  readonly name: string;
  readonly kind: ToxicKind;
  /** The stream as the client sent it (matched case-insensitively, echoed as sent). */
  readonly stream: string;
  readonly direction: Direction;
  /** Probability that the toxic applies to a connection; rolled each time it (re)starts on one. */
  toxicity: number;
  /** Exact integer values, echoed as given (int64 in the real server); strings for message toxics. */
  attributes: ReadonlyMap<string, AttributeValue>;
  /** What the toxic did so far, by name (`ToxicKind.counts`), over all its connections: kept across updates. */
  readonly counts: Map<string, number | string>;
  /** Keelhaul extension: what its stages did, measured around them (toxic-measure.ts); absent, nothing is measured. */
  readonly measure?: ToxicMeasure;
}

/** Fresh counts for a toxic of `kind`: integers at 0, strings empty. */
export function newCounts(kind: ToxicKind): Map<string, number | string> {
  return new Map((kind.counts ?? []).map((spec) => [spec.name, spec.goType === 'string' ? '' : 0]));
}

/** One of `toxic`'s integer counts (0 if it has none by that name). */
export function countOf(toxic: Toxic, name: string): number {
  const value = toxic.counts.get(name);
  return typeof value === 'number' ? value : 0;
}

/** The `CountEffect` that adds to `toxic`'s counts. */
export function countEffectOf(toxic: Toxic): CountEffect {
  return (counter, by = 1) => toxic.counts.set(counter, countOf(toxic, counter) + by);
}

/** The attribute values as numbers, for stages. */
export function attributeValues(toxic: Pick<Toxic, 'attributes'>): AttributeValues {
  const values: Record<string, number> = {};
  for (const [name, value] of toxic.attributes) if (typeof value === 'bigint') values[name] = Number(value);
  return values;
}

/** A toxic's JSON, field for field as the real server writes it. */
export function toxicJson(toxic: Toxic): string {
  const shown = [...toxic.attributes, ...toxic.counts];
  const attributes = shown.map(([name, value]) => `${goString(name)}:${typeof value === 'string' ? goString(value) : value.toString()}`).join(',');
  return (
    `{"attributes":{${attributes}},"name":${goString(toxic.name)},"type":${goString(toxic.kind.type)},` +
    `"stream":${goString(toxic.stream)},"toxicity":${goFloat32(toxic.toxicity)}}`
  );
}

/**
 * A stage that passes everything through: the `noop` toxic, and what a toxic does on a connection
 * where its toxicity roll said no.
 */
export class PassThroughStage implements Stage {
  constructor(private readonly out: ChunkSink) {}

  write(chunk: Chunk): void {
    this.out.write(chunk);
  }

  end(): void {
    this.out.end();
  }

  stop(): Held {
    return NOTHING_HELD;
  }
}
