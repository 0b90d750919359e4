import { crc32 } from 'node:zlib';

/**
 * Framing of journal records: `[u32 LE payload length][u32 LE crc32 of payload][payload]`.
 * Pure functions, no I/O, so recovery rules can be tested byte by byte. See docs/journal.md.
 */

export const HEADER_BYTES = 8;

/**
 * Upper bound on one payload. A length field above it is taken for garbage rather than a record
 * still being written: without a bound, a flipped high bit in a length would read as "torn tail,
 * the rest of the record never arrived" and hide corruption behind a plausible story.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface DecodeResult {
  /** Payloads of the whole, checksummed records, in file order. Views into the decoded buffer. */
  records: Buffer[];
  /** Bytes covered by `records`: where a recovering writer truncates to. */
  validLength: number;
  /** Why decoding stopped before the end of the buffer; absent when every byte was a good record. */
  problem?: string;
}

export function encodeRecord(payload: Buffer): Buffer {
  checkPayload(payload);
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

/**
 * Reads records from the start of `buf` and stops at the first one that is not whole and intact.
 * Nothing after a bad record is trusted, even if it looks valid: the log is append-only, so bytes
 * past a bad record were written after it and cannot be ordered with confidence.
 */
export function decodeRecords(buf: Buffer, maxRecordBytes: number = MAX_RECORD_BYTES): DecodeResult {
  const records: Buffer[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const remaining = buf.length - offset;
    if (remaining < HEADER_BYTES) {
      return stop(records, offset, `torn record at byte ${offset}: ${remaining} of ${HEADER_BYTES} header bytes present`);
    }
    const length = buf.readUInt32LE(offset);
    const expectedCrc = buf.readUInt32LE(offset + 4);
    // A zero length is never written (encodeRecord refuses it), and zeroed blocks are what some
    // filesystems expose past the last durable write after a crash: an all-zero header would
    // otherwise be a valid empty record with crc32('') === 0, repeated to the end of the file.
    if (length === 0) {
      return stop(records, offset, `corrupt record at byte ${offset}: zero length`);
    }
    if (length > maxRecordBytes) {
      return stop(records, offset, `corrupt record at byte ${offset}: length ${length} exceeds the maximum of ${maxRecordBytes}`);
    }
    if (remaining - HEADER_BYTES < length) {
      return stop(
        records,
        offset,
        `torn record at byte ${offset}: ${remaining - HEADER_BYTES} of ${length} payload bytes present`,
      );
    }
    const payload = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    const actualCrc = crc32(payload);
    if (actualCrc !== expectedCrc) {
      return stop(
        records,
        offset,
        `checksum mismatch at byte ${offset}: stored ${hex32(expectedCrc)}, computed ${hex32(actualCrc)}`,
      );
    }
    records.push(payload);
    offset += HEADER_BYTES + length;
  }
  return { records, validLength: offset };
}

function checkPayload(payload: Buffer): void {
  if (payload.length === 0) {
    throw new RangeError('journal record payload must not be empty');
  }
  if (payload.length > MAX_RECORD_BYTES) {
    throw new RangeError(`journal record payload of ${payload.length} bytes exceeds the maximum of ${MAX_RECORD_BYTES}`);
  }
}

function stop(records: Buffer[], validLength: number, problem: string): DecodeResult {
  return { records, validLength, problem };
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
