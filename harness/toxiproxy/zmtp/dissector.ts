import { ZmtpCursor, splitFrames } from './frame-cursor';

/**
 * A message held back while its frames arrive is never allowed to grow past this: a bigger one is
 * passed on as bytes, unmatched, so the link's 4 MiB flow-control bound can never wedge on it.
 */
export const MAX_HELD_MESSAGE_BYTES = 1024 * 1024;

/** What the dissector hands on, in stream order: bytes to pass as they are, or one whole message. */
export type DissectedUnit =
  | { readonly kind: 'bytes'; readonly data: Buffer }
  | { readonly kind: 'message'; readonly data: Buffer; readonly frames: Buffer[] };

/** Where a dissector starts: a copy of a cursor, and whether it is inside a message it did not see begin. */
export interface DissectorStart {
  readonly cursor: ZmtpCursor;
  /** Bytes that come first and precede the cursor's position (held by toxics ahead in the chain). */
  readonly bytesBefore: number;
}

/**
 * Cuts one direction of a ZMTP stream into whole messages for a message toxic. The greeting and
 * commands pass as bytes the moment they arrive (peers wait for each other's greeting, so holding it
 * would deadlock); a message is held only until its last frame arrives. A stream it cannot read
 * (another mechanism, another protocol, a framing error) is passed on unchanged from there on: it
 * never breaks a stream, and `opaqueReason` says why it stopped.
 */
export class ZmtpDissector {
  private readonly cursor: ZmtpCursor;
  /** The cursor as it was where the held partial message began. */
  private cursorAtPending: ZmtpCursor;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a message whose start was not seen (joined mid-message, or one too big to hold). */
  private skipping: boolean;
  private passThrough: number;

  constructor(start: DissectorStart = { cursor: new ZmtpCursor(), bytesBefore: 0 }) {
    this.cursor = start.cursor.clone();
    this.passThrough = start.bytesBefore;
    this.skipping = !this.cursor.opaque && !this.cursor.inGreeting && !this.cursor.atUnitStart;
    this.cursorAtPending = this.cursor.clone();
  }

  get opaqueReason(): string | undefined {
    return this.cursor.opaqueReason;
  }

  push(data: Buffer): DissectedUnit[] {
    const units: DissectedUnit[] = [];
    if (this.passThrough > 0) {
      const head = data.subarray(0, this.passThrough);
      this.passThrough -= head.length;
      units.push({ kind: 'bytes', data: head });
      data = data.subarray(head.length);
      if (data.length === 0) return units;
    }
    if (this.cursor.opaque) return [...units, { kind: 'bytes', data }];
    let start = 0;
    for (const end of this.cursor.feed(data)) {
      const piece = data.subarray(start, end.end);
      start = end.end;
      if (end.kind === 'message' && !this.skipping) {
        const whole = this.takePending(piece);
        units.push({ kind: 'message', data: whole, frames: splitFrames(whole) });
      } else units.push({ kind: 'bytes', data: this.takePending(piece) });
      this.skipping = false;
      // The cursor has already read past this end; every unit end leaves it in the same state.
      this.cursorAtPending = ZmtpCursor.atUnitStart(this.cursor.mechanism);
    }
    const rest = data.subarray(start);
    if (rest.length === 0) return units;
    if (this.cursor.opaque || this.cursor.inGreeting || this.skipping) {
      units.push({ kind: 'bytes', data: this.takePending(rest) });
    } else {
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > MAX_HELD_MESSAGE_BYTES) {
        this.skipping = true;
        units.push({ kind: 'bytes', data: this.takePending(Buffer.alloc(0)) });
      }
    }
    return units.filter((unit) => unit.data.length > 0);
  }

  /** The partial message held (at the end of the stream, or when the toxic stops): handed on as bytes. */
  drain(): Buffer | undefined {
    if (this.pendingBytes === 0) return undefined;
    return this.takePending(Buffer.alloc(0));
  }

  /**
   * Where a dissector taking over from this one starts, given that it is first handed what this one
   * held (whole messages, then `drain()`): at the start of the partial message if one is held.
   */
  resumePoint(): DissectorStart {
    return { cursor: this.pendingBytes > 0 ? this.cursorAtPending : this.cursor, bytesBefore: 0 };
  }

  private takePending(last: Buffer): Buffer {
    if (this.pendingBytes === 0) return last;
    const whole = Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingBytes = 0;
    return whole;
  }
}
