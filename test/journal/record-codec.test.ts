import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRecords, encodeRecord, HEADER_BYTES, MAX_RECORD_BYTES } from '../../reference/journal/record-codec';
import { payload, texts } from './helpers';

const SAMPLES = ['first', 'a somewhat longer second record', 'x', '{"type":"accepted","job":"j1"}'];

function encodeAll(items: string[]): Buffer {
  return Buffer.concat(items.map((item) => encodeRecord(payload(item))));
}

describe('journal record codec', () => {
  test('round-trips several records and covers the whole buffer', () => {
    const buf = encodeAll(SAMPLES);
    const decoded = decodeRecords(buf);
    assert.deepEqual(texts(decoded.records), SAMPLES);
    assert.equal(decoded.validLength, buf.length);
    assert.equal(decoded.problem, undefined);
  });

  test('lays a record out as length, crc32, payload', () => {
    const record = encodeRecord(payload('abc'));
    assert.equal(record.length, HEADER_BYTES + 3);
    assert.equal(record.readUInt32LE(0), 3);
    assert.equal(record.readUInt32LE(4), 0x352441c2); // crc32("abc"), the standard check value
    assert.equal(record.subarray(HEADER_BYTES).toString(), 'abc');
  });

  test('an empty buffer holds no records and no problem', () => {
    assert.deepEqual(decodeRecords(Buffer.alloc(0)), { records: [], validLength: 0 });
  });

  test('a tail cut at every byte of the last record keeps the earlier records', () => {
    const whole = encodeAll(SAMPLES);
    const lastStart = encodeAll(SAMPLES.slice(0, -1)).length;
    for (let cut = lastStart + 1; cut < whole.length; cut += 1) {
      const decoded = decodeRecords(whole.subarray(0, cut));
      assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, -1), `cut at ${cut}`);
      assert.equal(decoded.validLength, lastStart, `cut at ${cut}`);
      assert.match(decoded.problem ?? '', new RegExp(`^torn record at byte ${lastStart}: `), `cut at ${cut}`);
    }
    // Cut exactly on the boundary: a shorter, perfectly valid log.
    const boundary = decodeRecords(whole.subarray(0, lastStart));
    assert.deepEqual(texts(boundary.records), SAMPLES.slice(0, -1));
    assert.equal(boundary.validLength, lastStart);
    assert.equal(boundary.problem, undefined);
  });

  test('a flipped payload byte is a checksum mismatch; records before it are kept, after it dropped', () => {
    const buf = encodeAll(SAMPLES);
    const secondStart = encodeAll(SAMPLES.slice(0, 1)).length;
    buf[secondStart + HEADER_BYTES + 5] ^= 0x01;
    const decoded = decodeRecords(buf);
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 1));
    assert.equal(decoded.validLength, secondStart);
    assert.match(decoded.problem ?? '', new RegExp(`^checksum mismatch at byte ${secondStart}`));
  });

  test('a flipped crc byte is a checksum mismatch too', () => {
    const buf = encodeAll(SAMPLES);
    buf[5] ^= 0x80;
    const decoded = decodeRecords(buf);
    assert.deepEqual(decoded.records, []);
    assert.equal(decoded.validLength, 0);
    assert.match(decoded.problem ?? '', /^checksum mismatch at byte 0/);
  });

  test('an absurd length is corruption, not a torn record', () => {
    const good = encodeAll(SAMPLES.slice(0, 2));
    const bogus = Buffer.alloc(HEADER_BYTES + 16);
    bogus.writeUInt32LE(MAX_RECORD_BYTES + 1, 0);
    const decoded = decodeRecords(Buffer.concat([good, bogus]));
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 2));
    assert.equal(decoded.validLength, good.length);
    assert.match(decoded.problem ?? '', new RegExp(`^corrupt record at byte ${good.length}: length \\d+ exceeds the maximum`));
  });

  test('a zeroed tail, as some filesystems show after a crash, is corruption rather than empty records', () => {
    const good = encodeAll(SAMPLES.slice(0, 1));
    const decoded = decodeRecords(Buffer.concat([good, Buffer.alloc(4096)]));
    assert.deepEqual(texts(decoded.records), SAMPLES.slice(0, 1));
    assert.equal(decoded.validLength, good.length);
    assert.match(decoded.problem ?? '', /zero length/);
  });

  test('refuses to encode an empty payload', () => {
    assert.throws(() => encodeRecord(Buffer.alloc(0)), /must not be empty/);
  });
});
