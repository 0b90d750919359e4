/**
 * Where a ZMTP 3.x byte stream is, byte by byte: in the 64-byte greeting, in a frame's header or in
 * its body, or past the point where it can be read (`opaque`). It keeps no data, only positions, so
 * a link can run one on every byte it carries at no cost worth counting, and a message toxic that
 * joins an open connection can start from a copy of it (`clone`).
 *
 * Framing (ZMTP 3.0/3.1, zeromq/rfc 23 and 37): greeting = 0xFF, 8 padding bytes, 0x7F, major,
 * minor, 20-byte mechanism name, as-server, 31 filler bytes; then frames: a flags byte (bit 0 MORE,
 * bit 1 LONG: an 8-byte big-endian size instead of 1 byte, bit 2 COMMAND), the size, the body.
 * A command is one frame; a message is frames up to the first without MORE.
 */

const GREETING_LENGTH = 64;
const MECHANISM_START = 12;
const MECHANISM_END = 32;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;
const FLAG_RESERVED = 0xf8;

/** A unit of the stream that ended at some byte: the greeting, one command, or one whole message. */
export type UnitKind = 'greeting' | 'command' | 'message';

export interface UnitEnd {
  readonly kind: UnitKind;
  /** Index in the fed buffer just past the unit's last byte. */
  readonly end: number;
}

export class ZmtpCursor {
  private phase: 'greeting' | 'header' | 'body' | 'opaque' = 'greeting';
  /** Greeting bytes seen so far (up to the mechanism's end, the rest is not looked at). */
  private greeting: number[] = [];
  private greetingSeen = 0;
  /** Header bytes of the current frame (flags, then 1 or 8 size bytes). */
  private header: number[] = [];
  private bodyLeft = 0;
  private flags = 0;
  /** The previous frame had MORE: the current frame belongs to a message already begun. */
  private inMessage = false;
  /** The security mechanism the greeting named, once read. */
  mechanism: string | undefined;
  /** Why the stream stopped being read (set once `opaque`). */
  opaqueReason: string | undefined;

  /** A cursor at the start of a unit in the frame stream: how every unit end leaves one. */
  static atUnitStart(mechanism: string | undefined): ZmtpCursor {
    const cursor = new ZmtpCursor();
    cursor.phase = 'header';
    cursor.greetingSeen = GREETING_LENGTH;
    cursor.mechanism = mechanism;
    return cursor;
  }

  clone(): ZmtpCursor {
    const copy = Object.assign(new ZmtpCursor(), this) as ZmtpCursor;
    copy.greeting = [...this.greeting];
    copy.header = [...this.header];
    return copy;
  }

  get opaque(): boolean {
    return this.phase === 'opaque';
  }

  get inGreeting(): boolean {
    return this.phase === 'greeting';
  }

  /** Between two units of the frame stream: the next byte starts a command or a message. */
  get atUnitStart(): boolean {
    return this.phase === 'header' && this.header.length === 0 && !this.inMessage;
  }

  /** Gives up reading: everything from here on is opaque bytes. */
  giveUp(reason: string): void {
    if (this.phase === 'opaque') return;
    this.phase = 'opaque';
    this.opaqueReason = reason;
  }

  /**
   * Moves over `data` and returns where units ended in it. Once opaque it returns nothing more; the
   * caller sees `opaque` turn true and treats the rest as bytes.
   */
  feed(data: Buffer): UnitEnd[] {
    const ends: UnitEnd[] = [];
    let i = 0;
    while (i < data.length && this.phase !== 'opaque') {
      switch (this.phase) {
        case 'greeting':
          i = this.readGreeting(data, i, ends);
          break;
        case 'header':
          i = this.readHeader(data, i, ends);
          break;
        case 'body': {
          const take = Math.min(this.bodyLeft, data.length - i);
          this.bodyLeft -= take;
          i += take;
          if (this.bodyLeft === 0) this.frameDone(i, ends);
          break;
        }
      }
    }
    return ends;
  }

  private readGreeting(data: Buffer, i: number, ends: UnitEnd[]): number {
    while (i < data.length && this.greetingSeen < GREETING_LENGTH) {
      const byte = data[i++];
      const at = this.greetingSeen++;
      if (at < MECHANISM_END) this.greeting.push(byte);
      if (at === 0 && byte !== 0xff) return this.fail('not a ZMTP 3.x greeting (first byte is not 0xFF)', i);
      if (at === 9 && (byte & 0x01) === 0) return this.fail('not a ZMTP 3.x greeting (ZMTP 1.0 signature)', i);
      if (at === 10 && byte < 3) return this.fail(`ZMTP ${byte}.x greeting: only 3.x is dissected`, i);
      if (at === MECHANISM_END - 1) {
        this.mechanism = Buffer.from(this.greeting.slice(MECHANISM_START, MECHANISM_END)).toString('latin1').replace(/\0+$/, '');
        if (this.mechanism === 'CURVE') return this.fail('CURVE mechanism: frames are encrypted, messages cannot be matched (only delay or cut such a link)', i);
        if (this.mechanism !== 'NULL') return this.fail(`mechanism ${JSON.stringify(this.mechanism)}: only NULL is dissected`, i);
      }
    }
    if (this.greetingSeen === GREETING_LENGTH) {
      this.phase = 'header';
      this.greeting = [];
      ends.push({ kind: 'greeting', end: i });
    }
    return i;
  }

  private readHeader(data: Buffer, i: number, ends: UnitEnd[]): number {
    while (i < data.length) {
      this.header.push(data[i++]);
      const flags = this.header[0];
      if (this.header.length === 1) {
        if (flags & FLAG_RESERVED) return this.fail(`frame flags 0x${flags.toString(16)} have reserved bits set`, i);
        if (flags & FLAG_COMMAND && flags & FLAG_MORE) return this.fail('a command frame with MORE set', i);
        if (flags & FLAG_COMMAND && this.inMessage) return this.fail('a command frame inside a multi-frame message', i);
      }
      const sizeBytes = flags & FLAG_LONG ? 8 : 1;
      if (this.header.length < 1 + sizeBytes) continue;
      let size = 0;
      for (let k = 1; k <= sizeBytes; k++) size = size * 256 + this.header[k];
      if (!Number.isSafeInteger(size)) return this.fail('a frame size beyond 2^53 bytes', i);
      this.flags = flags;
      this.header = [];
      this.bodyLeft = size;
      this.phase = 'body';
      if (size === 0) this.frameDone(i, ends);
      return i;
    }
    return i;
  }

  private frameDone(end: number, ends: UnitEnd[]): void {
    this.phase = 'header';
    if (this.flags & FLAG_COMMAND) ends.push({ kind: 'command', end });
    else if (this.flags & FLAG_MORE) this.inMessage = true;
    else {
      this.inMessage = false;
      ends.push({ kind: 'message', end });
    }
  }

  private fail(reason: string, i: number): number {
    this.giveUp(reason);
    return i;
  }
}

/** The frames of one whole message or command, as the cursor delimited it (bodies are views, not copies). */
export function splitFrames(unit: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let i = 0;
  while (i < unit.length) {
    const flags = unit[i++];
    let size: number;
    if (flags & FLAG_LONG) {
      size = Number(unit.readBigUInt64BE(i));
      i += 8;
    } else size = unit[i++];
    frames.push(unit.subarray(i, i + size));
    i += size;
  }
  return frames;
}
