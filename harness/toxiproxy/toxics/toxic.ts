import { goFloat32, goString } from '../../util/go-json';

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
}

/** Numeric attribute values a stage is built from (all attributes are integers; missing ones are 0). */
export type AttributeValues = Readonly<Record<string, number>>;

export interface AttributeSpec {
  readonly name: string;
  /** The Go type of the real server's field, for type-error messages. */
  readonly goType: 'int64' | 'int';
}

/** A toxic type: its attributes and how to build its stage. */
export interface ToxicKind {
  readonly type: string;
  /** The Go struct name of the real toxic, for type-error messages (`LatencyToxic`). */
  readonly goStruct: string;
  readonly attributes: readonly AttributeSpec[];
  /** Per-connection state that survives updates of the toxic (limit_data's counter). */
  newState?(): unknown;
  createStage(attributes: AttributeValues, out: ChunkSink, context: StageContext, state: unknown, count: CountEffect): Stage;
  /**
   * Keelhaul extension: what the attribute values must satisfy beyond their Go type. Answers the
   * message of a 400 for values that make no sense, `undefined` for good ones.
   */
  validate?(attributes: AttributeValues): string | undefined;
  /**
   * Keelhaul extension: the counters of what the toxic did (connections refused, hung...), served
   * among its attributes so any Toxiproxy client can read them; values sent for them are ignored.
   */
  readonly counters?: readonly string[];
  /** Keelhaul extension: the toxic acts on each new connection before it is linked (connection-toxics.ts). */
  readonly atAccept?: AcceptAction;
  /** Keelhaul extension: the toxic acts only on connections already open when it was added. */
  readonly openConnectionsOnly?: boolean;
}

/** Adds to one of the toxic's counters (`ToxicKind.counters`). */
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
  /** Exact integer values, echoed as given (int64 in the real server). */
  attributes: ReadonlyMap<string, bigint>;
  /** What the toxic did so far, by counter name (`ToxicKind.counters`): kept across updates. */
  readonly counts: Map<string, number>;
}

/** A fresh counter map for a toxic of `kind`: every counter at 0. */
export function newCounts(kind: ToxicKind): Map<string, number> {
  return new Map((kind.counters ?? []).map((name) => [name, 0]));
}

/** The `CountEffect` that adds to `toxic`'s counters. */
export function countEffectOf(toxic: Toxic): CountEffect {
  return (counter, by = 1) => toxic.counts.set(counter, (toxic.counts.get(counter) ?? 0) + by);
}

/** The attribute values as numbers, for stages. */
export function attributeValues(toxic: Pick<Toxic, 'attributes'>): AttributeValues {
  const values: Record<string, number> = {};
  for (const [name, value] of toxic.attributes) values[name] = Number(value);
  return values;
}

/** A toxic's JSON, field for field as the real server writes it. */
export function toxicJson(toxic: Toxic): string {
  const values = [...toxic.attributes].map(([name, value]) => [name, value.toString()]);
  const counts = [...toxic.counts].map(([name, value]) => [name, String(value)]);
  const attributes = [...values, ...counts].map(([name, value]) => `${goString(name)}:${value}`).join(',');
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
