import { crc32 } from 'node:zlib';

/**
 * Framing of journal records (format 2):
 * `[4-byte sync marker][u32 LE sequence][u32 LE payload length][u32 LE crc32 of sequence, length and payload][payload]`.
 * The marker lets a reader find the next record after a damaged one, so damage in the middle of a
 * file can be told from a torn tail; the sequence number (0 at the start of every file, +1 per record)
 * says how many records a damaged stretch swallowed. Pure functions, no I/O, so recovery rules can be
 * tested byte by byte. See docs/journal.md. Format 1 (no marker, no sequence) is still read: see
 * decodeLegacyRecords.
 */

/**
 * The sync marker. Its last byte (0x32) is above any high byte a format-1 length could have (at most
 * 64 MiB, so at most 0x04), so a file's first four bytes tell the formats apart; 0xD1 is rare in the
 * JSON payloads the stores write.
 */
export const RECORD_MAGIC = Buffer.from([0xd1, 0x4b, 0x48, 0x32]);
export const HEADER_BYTES = 16;
/** Format 1: `[u32 LE payload length][u32 LE crc32 of payload][payload]`. */
export const LEGACY_HEADER_BYTES = 8;

/**
 * Upper bound on one payload. A length field above it is taken for garbage rather than a record
 * still being written: without a bound, a flipped high bit in a length would read as "torn tail,
 * the rest of the record never arrived" and hide corruption behind a plausible story.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface DecodedRecord {
  payload: Buffer;
  seq: number;
  /** Byte offset of the record's header in the decoded buffer. */
  offset: number;
}

export interface DecodeResult {
  /** Payloads of the whole, checksummed records before the first bad one, in file order. Views into the decoded buffer. */
  records: Buffer[];
  /** Bytes covered by `records`: where a recovering writer truncates to. */
  validLength: number;
  /** The sequence number the next appended record takes. */
  nextSeq: number;
  /** Why decoding stopped before the end of the buffer; absent when every byte was a good record. */
  problem?: string;
  /**
   * Offset of the first whole, intact record after the bad one. Present only when there is one: the
   * damage is then in the middle of the file (not a torn tail), and the records after it were
   * acknowledged once.
   */
  resyncAt?: number;
}

/** A stretch of bytes between good records that holds no good record. */
export interface DamagedRegion {
  offset: number;
  length: number;
  problem: string;
  /**
   * Records the stretch held, from the sequence numbers around it; undefined at the end of the
   * file (a torn or damaged tail: how many records it held cannot be known).
   */
  lostRecords?: number;
}

export interface SalvageResult {
  /** Every whole, intact record in the buffer, in file order. */
  records: DecodedRecord[];
  damaged: DamagedRegion[];
}

export function encodeRecord(payload: Buffer, seq: number): Buffer {
  checkPayload(payload);
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  RECORD_MAGIC.copy(record, 0);
  record.writeUInt32LE(seq >>> 0, 4);
  record.writeUInt32LE(payload.length, 8);
  payload.copy(record, HEADER_BYTES);
  record.writeUInt32LE(checksum(record, HEADER_BYTES + payload.length), 12);
  return record;
}

/** Encodes `payloads` as a whole file: sequence numbers from 0. */
export function encodeFile(payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(payloads.map((payload, seq) => encodeRecord(payload, seq)));
}

/** True when `buf` starts as a format-2 journal does (or is empty): anything else is format 1 or damage at byte 0. */
export function looksLikeCurrentFormat(buf: Buffer): boolean {
  return buf.length === 0 || buf.subarray(0, RECORD_MAGIC.length).equals(RECORD_MAGIC.subarray(0, Math.min(buf.length, RECORD_MAGIC.length)));
}

/**
 * Reads records from the start of `buf` and stops at the first one that is not whole and intact.
 * Then it looks for a good record after it: if there is one, the bad bytes are damage in the middle
 * (`resyncAt`), which a reader must not cut off silently; if there is none, they are the tail a crash
 * tore (or a damaged last write), which was never acknowledged if the writer syncs before it acknowledges.
 */
export function decodeRecords(buf: Buffer, maxRecordBytes: number = MAX_RECORD_BYTES): DecodeResult {
  const records: Buffer[] = [];
  let offset = 0;
  let nextSeq = 0;
  while (offset < buf.length) {
    const read = readRecordAt(buf, offset, maxRecordBytes);
    if (!read.ok) {
      const resyncAt = findNextRecord(buf, offset + 1, maxRecordBytes);
      return { records, validLength: offset, nextSeq, problem: read.problem, ...(resyncAt === undefined ? {} : { resyncAt }) };
    }
    records.push(read.record.payload);
    nextSeq = (read.record.seq + 1) >>> 0;
    offset = read.next;
  }
  return { records, validLength: offset, nextSeq };
}

/** Every good record in `buf`, skipping damaged stretches by resynchronising on the marker: what a repair keeps. */
export function salvageRecords(buf: Buffer, maxRecordBytes: number = MAX_RECORD_BYTES): SalvageResult {
  const records: DecodedRecord[] = [];
  const damaged: DamagedRegion[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const read = readRecordAt(buf, offset, maxRecordBytes);
    if (read.ok) {
      records.push(read.record);
      offset = read.next;
      continue;
    }
    const resyncAt = findNextRecord(buf, offset + 1, maxRecordBytes);
    const end = resyncAt ?? buf.length;
    const region: DamagedRegion = { offset, length: end - offset, problem: read.problem };
    if (resyncAt !== undefined) {
      const before = records.length > 0 ? records[records.length - 1].seq + 1 : 0;
      const after = readRecordAt(buf, resyncAt, maxRecordBytes);
      if (after.ok) region.lostRecords = (after.record.seq - before) >>> 0;
    }
    damaged.push(region);
    offset = end;
  }
  return { records, damaged };
}

/** Format 1, read only: stops at the first bad record, which cannot be told from a torn tail (no marker to resync on). */
export function decodeLegacyRecords(buf: Buffer, maxRecordBytes: number = MAX_RECORD_BYTES): DecodeResult {
  const records: Buffer[] = [];
  let offset = 0;
  const stop = (problem: string): DecodeResult => ({ records, validLength: offset, nextSeq: 0, problem });
  while (offset < buf.length) {
    const remaining = buf.length - offset;
    if (remaining < LEGACY_HEADER_BYTES) return stop(`torn record at byte ${offset}: ${remaining} of ${LEGACY_HEADER_BYTES} header bytes present`);
    const length = buf.readUInt32LE(offset);
    if (length === 0) return stop(`corrupt record at byte ${offset}: zero length`);
    if (length > maxRecordBytes) return stop(`corrupt record at byte ${offset}: length ${length} exceeds the maximum of ${maxRecordBytes}`);
    if (remaining - LEGACY_HEADER_BYTES < length) return stop(`torn record at byte ${offset}: ${remaining - LEGACY_HEADER_BYTES} of ${length} payload bytes present`);
    const payload = buf.subarray(offset + LEGACY_HEADER_BYTES, offset + LEGACY_HEADER_BYTES + length);
    const stored = buf.readUInt32LE(offset + 4);
    const actual = crc32(payload);
    if (actual !== stored) return stop(`checksum mismatch at byte ${offset}: stored ${hex32(stored)}, computed ${hex32(actual)}`);
    records.push(payload);
    offset += LEGACY_HEADER_BYTES + length;
  }
  return { records, validLength: offset, nextSeq: 0 };
}

type ReadResult = { ok: true; record: DecodedRecord; next: number } | { ok: false; problem: string };

function readRecordAt(buf: Buffer, offset: number, maxRecordBytes: number): ReadResult {
  const remaining = buf.length - offset;
  const fail = (problem: string): ReadResult => ({ ok: false, problem });
  if (remaining < HEADER_BYTES) {
    // A zeroed tail (what some filesystems show past the last durable write) is no torn header.
    if (buf.subarray(offset).every((byte) => byte === 0)) return fail(`corrupt record at byte ${offset}: zero bytes`);
    return fail(`torn record at byte ${offset}: ${remaining} of ${HEADER_BYTES} header bytes present`);
  }
  if (!buf.subarray(offset, offset + RECORD_MAGIC.length).equals(RECORD_MAGIC)) {
    return fail(`corrupt record at byte ${offset}: no record marker (found 0x${buf.subarray(offset, offset + 4).toString('hex')})`);
  }
  const length = buf.readUInt32LE(offset + 8);
  if (length === 0) return fail(`corrupt record at byte ${offset}: zero length`);
  if (length > maxRecordBytes) return fail(`corrupt record at byte ${offset}: length ${length} exceeds the maximum of ${maxRecordBytes}`);
  if (remaining - HEADER_BYTES < length) return fail(`torn record at byte ${offset}: ${remaining - HEADER_BYTES} of ${length} payload bytes present`);
  const end = offset + HEADER_BYTES + length;
  const stored = buf.readUInt32LE(offset + 12);
  const actual = checksum(buf.subarray(offset, end), end - offset);
  if (stored !== actual) return fail(`checksum mismatch at byte ${offset}: stored ${hex32(stored)}, computed ${hex32(actual)}`);
  return { ok: true, record: { payload: buf.subarray(offset + HEADER_BYTES, end), seq: buf.readUInt32LE(offset + 4), offset }, next: end };
}

/** The first offset at or after `from` where a whole, intact record starts. */
function findNextRecord(buf: Buffer, from: number, maxRecordBytes: number): number | undefined {
  for (let at = buf.indexOf(RECORD_MAGIC, from); at >= 0; at = buf.indexOf(RECORD_MAGIC, at + 1)) {
    if (readRecordAt(buf, at, maxRecordBytes).ok) return at;
  }
  return undefined;
}

/** CRC-32 of a record's sequence, length and payload: `record` holds the whole record, header first. */
function checksum(record: Buffer, end: number): number {
  return crc32(record.subarray(HEADER_BYTES, end), crc32(record.subarray(4, 12)));
}

function checkPayload(payload: Buffer): void {
  if (payload.length === 0) {
    throw new RangeError('journal record payload must not be empty');
  }
  if (payload.length > MAX_RECORD_BYTES) {
    throw new RangeError(`journal record payload of ${payload.length} bytes exceeds the maximum of ${MAX_RECORD_BYTES}`);
  }
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
