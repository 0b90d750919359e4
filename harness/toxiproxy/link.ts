import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  NOTHING_HELD,
  PassThroughStage,
  attributeValues,
  type Chunk,
  type ChunkSink,
  type Direction,
  type Held,
  type Stage,
  type StageContext,
  type StageTimer,
  type Toxic,
} from './toxics/toxic';
import type { LinkByteCounter } from './proxy-metrics';
import { Fifo } from './toxics/fifo';
import type { StreamMeasure } from './toxics/toxic-measure';
import { ZmtpCursor } from './zmtp/frame-cursor';

/**
 * Bytes a link may hold inside its toxics (latency and bandwidth hold data back) before it stops
 * reading its source; reading resumes below the low mark. Together with the destination socket's
 * own backpressure this bounds the memory a connection can take, whatever the toxics do.
 */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** The counter of a link whose server keeps no metrics. */
const UNCOUNTED: LinkByteCounter = { received: () => undefined, sent: () => undefined };

/** What a link needs from its connection. */
export interface LinkHooks {
  readonly random: () => number;
  setTimer(callback: () => void, ms: number): StageTimer;
  clearTimer(timer: StageTimer | undefined): void;
  /** The connection's client socket: a link reading it carries the upstream stream, whatever it is labelled. */
  readonly client: Socket;
  /** Reset the whole connection (TCP RST on both sockets). */
  reset(): void;
  /** The link's stream has ended: its destination should be closed. */
  outputEnded(link: Link): void;
}

/**
 * The place of one toxic in one link: it owns the toxic's current stage and its per-connection
 * state, and keeps the stream's order of events: nothing is written after the end, in or out.
 */
class ToxicSlot implements ChunkSink {
  /** Where this slot's output goes: the next slot, or the link's output. Rewired as toxics come and go. */
  downstream: ChunkSink;
  private inputEnded = false;
  /** The stage has passed the end of the stream on: the stream is closed from here. */
  outputEnded = false;
  private readonly state: unknown;
  private stage: Stage;
  /** Where this slot's stage is measured (toxic-measure.ts): on the stream its link really carries. */
  private readonly measure: StreamMeasure | undefined;
  /** Latency toxics: when each chunk still in the stage arrived, to measure the delay it gets (one out per in). */
  private readonly arrivals: Fifo<number> | undefined;
  /** The least delay the current stage promises a chunk (latency − jitter); undefined when it delays nothing (toxicity said no). */
  private leastDelayMs: number | undefined;
  /** Chunks an update handed to the new stage without their arrival times: their release is not measured. */
  private unmeasuredOut = 0;
  private readonly out: ChunkSink = {
    write: (chunk) => {
      if (this.measure) this.measureOut(chunk);
      if (this.outputEnded) this.link.discard(chunk.data.length);
      else this.downstream.write(chunk);
    },
    end: () => {
      if (this.outputEnded) return;
      // A stage that ends a stream whose input goes on closed it itself (timeout, limit_data, half_open's FIN).
      if (this.measure && !this.inputEnded) this.measure.closed += 1;
      this.outputEnded = true;
      this.downstream.end();
    },
  };
  /** The link's context, with the resets this stage makes counted. */
  private readonly context: StageContext;

  constructor(
    readonly toxic: Toxic,
    downstream: ChunkSink,
    private readonly link: Link,
    /** The toxic came while the connection was open (not with it): what `openConnectionsOnly` toxics act on. */
    private readonly cameWhileOpen: boolean,
  ) {
    this.downstream = downstream;
    this.state = toxic.kind.newState?.();
    this.measure = toxic.measure?.streams[link.carries];
    if (this.measure) {
      this.measure.stages += 1;
      if (cameWhileOpen && toxic.measure) toxic.measure.stagesOnOpen += 1;
    }
    this.arrivals = this.measure && toxic.kind.type === 'latency' ? new Fifo<number>() : undefined;
    const measure = this.measure;
    this.context = measure
      ? {
          ...link.context,
          reset: () => {
            measure.reset += 1;
            link.context.reset();
          },
        }
      : link.context;
    this.stage = this.createStage();
  }

  /** Rolls the toxicity: the toxic applies to this connection, or its stage just passes data. */
  private createStage(): Stage {
    const { kind } = this.toxic;
    const applies = kind.rollsPerMessage === true || this.link.context.random() < Math.fround(this.toxic.toxicity);
    this.leastDelayMs = undefined;
    if (!applies || (kind.openConnectionsOnly === true && !this.cameWhileOpen)) return new PassThroughStage(this.out);
    const attributes = attributeValues(this.toxic);
    if (this.arrivals) this.leastDelayMs = (attributes.latency ?? 0) - Math.max(0, attributes.jitter ?? 0);
    return kind.createStage(attributes, this.out, this.context, this.state, this.toxic);
  }

  write(chunk: Chunk): void {
    if (this.inputEnded) {
      this.link.discard(chunk.data.length);
      return;
    }
    if (this.measure) {
      this.measure.bytesIn += chunk.data.length;
      if (this.leastDelayMs !== undefined) this.arrivals?.push(this.link.context.now());
    }
    this.stage.write(chunk);
  }

  private measureOut(chunk: Chunk): void {
    const measure = this.measure!;
    measure.bytesOut += chunk.data.length;
    if (this.unmeasuredOut > 0) {
      this.unmeasuredOut -= 1;
      return;
    }
    const arrived = this.leastDelayMs === undefined ? undefined : this.arrivals?.shift();
    if (arrived !== undefined) measure.delay(this.link.context.now() - arrived, this.leastDelayMs!);
  }

  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.stage.end();
  }

  /** The toxic was updated: a new stage with the new settings (and a new toxicity roll) takes over what the old one held. */
  restart(): void {
    if (this.outputEnded) return; // already closed: nothing the new settings could change
    const held = this.stage.stop('restart');
    this.arrivals?.drain();
    this.unmeasuredOut = this.arrivals ? held.chunks.length : 0;
    this.stage = this.createStage();
    for (const chunk of held.chunks) this.stage.write(chunk);
    if (held.ended) this.stage.end();
  }

  /** The toxic was removed: what the stage held goes on to the next one (released early, so not measured). */
  retire(): Held {
    this.arrivals?.drain();
    return this.outputEnded ? NOTHING_HELD : this.stage.stop('remove');
  }
}

/**
 * One direction of one connection: bytes read from `source` go through a chain of toxic stages and
 * are written to `dest`. With no toxics the chain is skipped entirely (the fast path: one write per
 * read). Toxics are added, updated and removed live; the link keeps reading its source only while
 * the data it holds, and the destination's buffer, stay bounded.
 */
export class Link {
  private slots: ToxicSlot[] = [];
  /** The stream this link really carries, told by its source socket (`upstream`: it reads the client). */
  readonly carries: Direction;
  /** Bytes read from the source and not yet written to the destination or dropped. */
  private held = 0;
  private paused = false;
  private inputEnded = false;
  private outputEnded = false;
  /** The end of the stream is a FIN on the destination only (half_open), not a close of it. */
  private finOnly = false;
  /** Follows the ZMTP framing of every byte read, toxics or not, so a message toxic added later knows where messages begin. */
  private readonly zmtp = new ZmtpCursor();
  readonly context: StageContext;

  /** The end of the chain: writes to the destination socket. */
  private readonly output: ChunkSink = {
    write: (chunk) => {
      this.held -= chunk.data.length;
      if (!this.outputEnded && !this.dest.destroyed) {
        this.counter.sent(chunk.data.length);
        this.dest.write(chunk.data);
      }
      this.flow();
    },
    end: () => {
      if (this.outputEnded) return;
      this.outputEnded = true;
      if (this.finOnly) this.dest.end();
      else this.hooks.outputEnded(this);
    },
  };

  constructor(
    readonly direction: Direction,
    readonly source: Socket,
    readonly dest: Socket,
    toxics: readonly Toxic[],
    private readonly hooks: LinkHooks,
    /** Where the bytes it reads and writes are counted (`-proxy-metrics`). */
    private readonly counter: LinkByteCounter = UNCOUNTED,
    /** Whether a toxic the link starts with came while its connection was already open. */
    cameWhileOpen: (toxic: Toxic) => boolean = () => false,
  ) {
    this.carries = source === hooks.client ? 'upstream' : 'downstream';
    this.context = {
      now: () => performance.now(),
      random: hooks.random,
      setTimer: (callback, ms) => hooks.setTimer(callback, ms),
      clearTimer: (timer) => hooks.clearTimer(timer),
      discard: (bytes) => this.discard(bytes),
      reset: () => hooks.reset(),
      finOnly: () => {
        this.finOnly = true;
      },
      // A stage joins at the end of the chain: the bytes the chain holds come before the cursor's position.
      zmtpPosition: () => ({ cursor: this.zmtp, bytesBefore: this.held }),
    };
    for (const toxic of toxics) this.addToxic(toxic, cameWhileOpen(toxic));
  }

  /** Starts moving bytes. The source's 'close' without 'end' (reset, or destroyed by us) also ends the stream. */
  start(): void {
    this.source.on('data', this.onData);
    this.source.on('end', this.onInputEnd);
    this.source.on('close', this.onInputEnd);
    this.dest.on('drain', this.flow);
  }

  private readonly onData = (data: Buffer): void => {
    this.counter.received(data.length);
    if (!this.zmtp.opaque) this.zmtp.feed(data);
    if (this.slots.length === 0) {
      if (this.outputEnded || this.dest.destroyed) return;
      this.counter.sent(data.length);
      if (!this.dest.write(data)) this.flow();
      return;
    }
    this.held += data.length;
    this.slots[0].write({ data, at: performance.now() });
    this.flow();
  };

  private readonly onInputEnd = (): void => {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.slots.length === 0) this.output.end();
    else this.slots[0].end();
  };

  /** Pauses the source while too much is held or the destination is full; resumes once both clear. */
  private readonly flow = (): void => {
    const blocked = this.dest.writableNeedDrain || this.held > HIGH_WATER;
    if (blocked) {
      if (!this.paused) {
        this.paused = true;
        this.source.pause();
      }
    } else if (this.paused && this.held <= LOW_WATER) {
      this.paused = false;
      this.source.resume();
    }
  };

  discard(bytes: number): void {
    this.held -= bytes;
    this.flow();
  }

  /**
   * A toxic joins the end of the chain, unless the stream is already closed: one the proxy had when
   * the connection was admitted (`whileOpen` false), or one added while it was open.
   */
  addToxic(toxic: Toxic, whileOpen = true): void {
    if (this.outputEnded) return;
    const last = this.slots[this.slots.length - 1];
    if (last?.outputEnded) return;
    const slot = new ToxicSlot(toxic, this.output, this, whileOpen);
    if (last) last.downstream = slot;
    this.slots.push(slot);
  }

  updateToxic(toxic: Toxic): void {
    this.slots.find((slot) => slot.toxic === toxic)?.restart();
  }

  /** Takes a toxic out of the chain; what it held goes on, in order, to the next stage. */
  removeToxic(toxic: Toxic): void {
    const index = this.slots.findIndex((slot) => slot.toxic === toxic);
    if (index < 0) return;
    const slot = this.slots[index];
    const held = slot.retire();
    const next = slot.downstream;
    if (index > 0) this.slots[index - 1].downstream = next;
    this.slots = this.slots.filter((other) => other !== slot);
    for (const chunk of held.chunks) next.write(chunk);
    if (held.ended) next.end();
    this.flow();
  }

  /** The toxics with a stage on this stream, in chain order. */
  toxicNames(): string[] {
    return this.slots.map((slot) => slot.toxic.name);
  }

  /** The stream still flows to its destination: a toxic added now joins it. */
  get open(): boolean {
    return !this.outputEnded && this.slots[this.slots.length - 1]?.outputEnded !== true;
  }

  /** Stops listening to the sockets (the connection is gone). */
  detach(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onInputEnd);
    this.source.off('close', this.onInputEnd);
    this.dest.off('drain', this.flow);
  }
}
