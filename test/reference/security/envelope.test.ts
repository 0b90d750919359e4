import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvelopeOpener, envelopeFrames } from '../../../reference/security/envelope';
import { generateKeyPair } from '../../../reference/security/key-pair';
import { PeerSecurity } from '../../../reference/security/peer-security';

const server = generateKeyPair();
const peer = generateKeyPair();
const body = [Buffer.from('MDPC01'), Buffer.from('echo')];

test('an envelope opens on its server: the sender key and the frames after it', () => {
  const opened = new EnvelopeOpener(server.secretKey).open([...envelopeFrames(peer, server.publicKey), ...body]);
  assert.deepEqual(opened, { ok: true, senderKey: peer.publicKey, frames: body });
  assert.deepEqual(new PeerSecurity(peer, server.publicKey).wrap(body), [...envelopeFrames(peer, server.publicKey), ...body]);
});

test('an envelope made for another server, with another key, or malformed does not open', () => {
  const opener = new EnvelopeOpener(server.secretKey);
  const [tag, key, proof] = envelopeFrames(peer, server.publicKey) as [Buffer, Buffer, Buffer];
  const other = generateKeyPair();
  const cases: Array<[Buffer[], RegExp]> = [
    [body, /no KHA01 envelope/],
    [[Buffer.from('KHA02'), key, proof, ...body], /the first frame is not KHA01/],
    [[tag, Buffer.from(other.publicKey), proof, ...body], /the envelope proof does not match its key/],
    [[...envelopeFrames(peer, other.publicKey), ...body], /the envelope proof does not match its key/],
    [[tag, Buffer.from('x'.repeat(39)), proof, ...body], /not 40 Z85 characters/],
    [[tag, key, proof.subarray(1), ...body], /31 bytes, not 32/],
    [[tag, key, proof], /4 frames|3 frames/],
  ];
  for (const [frames, reason] of cases) {
    const opened = opener.open(frames);
    assert.equal(opened.ok, false);
    if (!opened.ok) assert.match(opened.reason, reason);
  }
});

test('an envelope key at a low-order point is refused, not thrown', () => {
  const opener = new EnvelopeOpener(server.secretKey);
  const [tag, , proof] = envelopeFrames(peer, server.publicKey) as [Buffer, Buffer, Buffer];
  const zeroKey = Buffer.from('0'.repeat(40));
  const opened = opener.open([tag, zeroKey, proof, ...body]);
  assert.equal(opened.ok, false);
});
