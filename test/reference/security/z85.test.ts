import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isZ85Key, z85Decode, z85Encode, Z85Error } from '../../../reference/security/z85';
import { generateKeyPair } from '../../../reference/security/key-pair';

const RFC32_BYTES = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);

test('Z85 encodes the RFC 32 test vector as HelloWorld and decodes it back', () => {
  assert.equal(z85Encode(RFC32_BYTES), 'HelloWorld');
  assert.deepEqual(z85Decode('HelloWorld'), RFC32_BYTES);
});

test('Z85 round-trips a CURVE key from libzmq (40 characters ↔ 32 bytes)', () => {
  const { publicKey } = generateKeyPair();
  const raw = z85Decode(publicKey);
  assert.equal(raw.length, 32);
  assert.equal(z85Encode(raw), publicKey);
  assert.ok(isZ85Key(publicKey));
});

test('Z85 refuses lengths and characters it cannot represent, saying which', () => {
  assert.throws(() => z85Encode(Buffer.alloc(3)), (error: Error) => error instanceof Z85Error && /3 bytes is not a multiple of 4/.test(error.message));
  assert.throws(() => z85Decode('Hell'), /4 characters is not a multiple of 5/);
  assert.throws(() => z85Decode('Hello Worl'), /" " at position 5 is not a Z85 character/);
  assert.throws(() => z85Decode('#####'), /larger than 4 bytes/);
  assert.equal(isZ85Key('HelloWorld'), false);
});
