import type { Direction } from './toxic';

/**
 * What one toxic did, measured where its stages sit rather than taken from what the toxic says it
 * does (keelhaul extension, served at `GET /proxies/{proxy}/toxics/{toxic}/measure`): seeded defects
 * in the toxics themselves (latency on the first chunk only, a partition that closes connections,
 * the streams swapped, toxics not put on open connections) passed every scenario until the harness
 * compared this with the fault it asked for (harness/checker/common/fault-misshapen.ts).
 *
 * Counters and one sparse histogram only: nothing per byte. A stream is named by the sockets its
 * stage reads and writes (`upstream`: from the client socket), not by the toxic's own label.
 */
export class ToxicMeasure {
  /** Connections whose stream in the toxic's direction was open (linked, not ended) when it was added. */
  openAtStart = 0;
  /** Stages put on connections that were already open when the toxic came (`ToxicSlot` with `cameWhileOpen`). */
  stagesOnOpen = 0;
  readonly streams: Record<Direction, StreamMeasure> = { upstream: new StreamMeasure(), downstream: new StreamMeasure() };

  json(): string {
    const streams = Object.fromEntries((Object.keys(this.streams) as Direction[]).filter((stream) => this.streams[stream].stages > 0).map((stream) => [stream, this.streams[stream].summary()]));
    return `${JSON.stringify({ openAtStart: this.openAtStart, stagesOnOpen: this.stagesOnOpen, streams })}\n`;
  }
}

/** How far under latency − jitter a chunk may be released before it counts as early (see `DelaySummary.early`). */
export const EARLY_SLACK_MS = 2;

/** A delay as measured: whole milliseconds from a chunk's arrival at the stage to its release. */
export interface DelaySummary {
  chunks: number;
  /**
   * Chunks released before the least delay the toxic promises (latency − jitter), less 2 ms: a paced
   * stage releases a chunk up to 1 ms before it is due, and its delay runs from the chunk's read,
   * a moment before it reaches the stage.
   */
  early: number;
  /** Delay (ms, whole) → chunks, sparse. */
  histogram: Record<string, number>;
}

/** What a toxic's stages did on one stream, over all its connections. */
export class StreamMeasure {
  stages = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Streams a stage ended (FIN) while its input had not ended: the proxy closed them, not a peer. */
  closed = 0;
  /** Connections a stage reset (RST). */
  reset = 0;
  private delayed: { chunks: number; early: number; histogram: Map<number, number> } | undefined;

  /** A chunk the stage released `ms` after it arrived, when the toxic promised at least `leastMs`. */
  delay(ms: number, leastMs: number): void {
    this.delayed ??= { chunks: 0, early: 0, histogram: new Map() };
    this.delayed.chunks += 1;
    if (ms < leastMs - EARLY_SLACK_MS) this.delayed.early += 1;
    const bucket = Math.floor(ms);
    this.delayed.histogram.set(bucket, (this.delayed.histogram.get(bucket) ?? 0) + 1);
  }

  summary(): { stages: number; bytesIn: number; bytesOut: number; closed: number; reset: number; delays?: DelaySummary } {
    const { stages, bytesIn, bytesOut, closed, reset, delayed } = this;
    return { stages, bytesIn, bytesOut, closed, reset, ...(delayed && { delays: { chunks: delayed.chunks, early: delayed.early, histogram: Object.fromEntries(delayed.histogram) } }) };
  }
}
