import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { describe, test } from 'node:test';
import {
  decodeLegacyRecords,
  decodeRecords,
  encodeFile,
  encodeRecord,
  HEADER_BYTES,
  LEGACY_HEADER_BYTES,
  looksLikeCurrentFormat,
  MAX_RECORD_BYTES,
  RECORD_MAGIC,
  salvageRecords,
} from '../../reference/journal/record-codec';
import { payload, texts } from './helpers';

const SAMPLES = ['first', 'a somewhat longer second record', 'x', '{"type":"accepted","job":"j1"}'];

function encodeAll(items: string[]): Buffer {
  return encodeFile(items.map(payload));
}

/** Format 1, as keelhaul wrote it before the record marker: `[len][crc32 of payload][payload]`. */
export function encodeLegacy(items: string[]): Buffer {
  return Buffer.concat(
    items.map((item) => {
      const body = payload(item);
      const header = Buffer.alloc(LEGACY_HEADER_BYTES);
      header.writeUInt32LE(body.length, 0);
      header.writeUInt32LE(crc32(body), 4);
      return Buffer.concat([header, body]);
    }),
  );
}

describe('journal record codec', () => {
  test('round-trips several records, covers the whole buffer and continues the sequence', () => {
    const buf = encodeAll(SAMPLES);
    const decoded = decodeRecords(buf);
    assert.deepEqual(texts(decoded.records), SAMPLES);
    assert.equal(decoded.validLength, buf.length);
    assert.equal(decoded.nextSeq, SAMPLES.length);
    assert.equal(decoded.problem, undefined);
  });

  test('lays a record out as marker, sequence, length, crc32 of sequence+length+payload, payload', () => {
    const record = encodeRecord(payload('abc'), 7);
    assert.equal(record.length, HEADER_BYTES + 3);
    assert.deepEqual(record.subarray(0, 4), RECORD_MAGIC);
    assert.equal(record.readUInt32LE(4), 7);
    assert.equal(record.readUInt32LE(8), 3);
    assert.equal(record.readUInt32LE(12), crc32(Buffer.concat([record.subarray(4, 12), Buffer.from('abc')])));
    assert.equal(record.subarray(HEADER_BYTES).toString(), 'abc');
  });

  test('an empty buffer holds no records and no problem', () => {
    assert.deepEqual(decodeRecords(Buffer.alloc(0)), { records: [], validLength: 0, nextSeq: 0 });
  });

  test('a tail cut at every byte of the last record keeps the earlier records, and is a tail (no resync)', () => {
    const whole = encodeAll(SAMPLES);
    const lastStart = encodeAll(SAMPLES.slice(0, -1)).length;
    for (let cut = lastStart + 1; cut < whole.length; cut += 1) {
      const decoded = decodeRecords(whole.subarray(0, cut));
      assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, -1), `cut at ${cut}`);
      assert.equal(decoded.validLength, lastStart, `cut at ${cut}`);
      assert.equal(decoded.resyncAt, undefined, `cut at ${cut}`);
      assert.match(decoded.problem ?? '', new RegExp(`^torn record at byte ${lastStart}: `), `cut at ${cut}`);
    }
    const boundary = decodeRecords(whole.subarray(0, lastStart));
    assert.deepEqual(texts(boundary.records), SAMPLES.slice(0, -1));
    assert.equal(boundary.problem, undefined);
  });

  test('a flipped byte in a middle record is damage: decoding stops there and names where good records resume', () => {
    const buf = encodeAll(SAMPLES);
    const secondStart = encodeAll(SAMPLES.slice(0, 1)).length;
    const thirdStart = encodeAll(SAMPLES.slice(0, 2)).length;
    buf[secondStart + HEADER_BYTES + 5] ^= 0x01;
    const decoded = decodeRecords(buf);
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 1));
    assert.equal(decoded.validLength, secondStart);
    assert.equal(decoded.resyncAt, thirdStart);
    assert.match(decoded.problem ?? '', new RegExp(`^checksum mismatch at byte ${secondStart}`));
  });

  test('every single flipped byte before the last record is found as damage, never as a tail', () => {
    const clean = encodeAll(SAMPLES);
    const lastStart = encodeAll(SAMPLES.slice(0, -1)).length;
    for (let at = 0; at < lastStart; at += 1) {
      const buf = Buffer.from(clean);
      buf[at] ^= 0x10;
      const decoded = decodeRecords(buf);
      assert.notEqual(decoded.problem, undefined, `flip at ${at}`);
      assert.notEqual(decoded.resyncAt, undefined, `flip at ${at}: ${decoded.problem}`);
    }
  });

  test('a flipped length is caught by the checksum, not read as a torn record', () => {
    const buf = encodeAll(SAMPLES);
    buf[8 + 2] ^= 0x01; // length of record 0 grows by 64 KiB, past the end of the buffer
    const decoded = decodeRecords(buf);
    assert.equal(decoded.validLength, 0);
    assert.notEqual(decoded.resyncAt, undefined);
  });

  test('an absurd length at the end is a corrupt tail', () => {
    const good = encodeAll(SAMPLES.slice(0, 2));
    const bogus = Buffer.alloc(HEADER_BYTES + 16);
    RECORD_MAGIC.copy(bogus);
    bogus.writeUInt32LE(MAX_RECORD_BYTES + 1, 8);
    const decoded = decodeRecords(Buffer.concat([good, bogus]));
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 2));
    assert.equal(decoded.resyncAt, undefined);
    assert.match(decoded.problem ?? '', new RegExp(`^corrupt record at byte ${good.length}: length \\d+ exceeds the maximum`));
  });

  test('a zeroed tail, as some filesystems show after a crash, is a corrupt tail rather than empty records', () => {
    const good = encodeAll(SAMPLES.slice(0, 1));
    const decoded = decodeRecords(Buffer.concat([good, Buffer.alloc(4096)]));
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 1));
    assert.equal(decoded.validLength, good.length);
    assert.equal(decoded.resyncAt, undefined);
    assert.match(decoded.problem ?? '', /no record marker/);
  });

  test('salvage keeps every good record around damaged stretches and counts the records each swallowed', () => {
    const buf = encodeAll(SAMPLES);
    const secondStart = encodeAll(SAMPLES.slice(0, 1)).length;
    const thirdStart = encodeAll(SAMPLES.slice(0, 2)).length;
    buf.fill(0xee, secondStart + 2, thirdStart + 3); // the second record and the head of the third
    const salvaged = salvageRecords(buf);
    assert.deepEqual(texts(salvaged.records.map((record) => record.payload)), [SAMPLES[0], SAMPLES[3]]);
    assert.equal(salvaged.damaged.length, 1);
    assert.equal(salvaged.damaged[0].offset, secondStart);
    assert.equal(salvaged.damaged[0].lostRecords, 2);
  });

  test('salvage of damage at byte 0 counts from sequence 0; a damaged tail has no count', () => {
    const buf = encodeAll(SAMPLES);
    buf[1] ^= 0xff;
    buf[buf.length - 1] ^= 0xff;
    const salvaged = salvageRecords(buf);
    assert.deepEqual(texts(salvaged.records.map((record) => record.payload)), SAMPLES.slice(1, 3));
    assert.deepEqual(salvaged.damaged.map((region) => region.lostRecords), [1, undefined]);
  });

  test('format 1 is recognised by its first bytes and still decodes', () => {
    const legacy = encodeLegacy(SAMPLES);
    assert.equal(looksLikeCurrentFormat(legacy), false);
    assert.equal(looksLikeCurrentFormat(encodeAll(SAMPLES)), true);
    assert.equal(looksLikeCurrentFormat(Buffer.alloc(0)), true);
    const decoded = decodeLegacyRecords(legacy);
    assert.deepEqual(texts(decoded.records), SAMPLES);
    assert.equal(decoded.problem, undefined);
  });

  test('refuses to encode an empty payload', () => {
    assert.throws(() => encodeRecord(Buffer.alloc(0), 0), /must not be empty/);
  });
});
