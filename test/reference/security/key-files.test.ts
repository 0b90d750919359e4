import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readKeyPair, readPublicKey, resolvePublicKey, writeKeyFiles } from '../../../reference/security/key-files';
import { generateKeyPair, keyPairProblem } from '../../../reference/security/key-pair';
import { publicKeyOf, sharedSecret } from '../../../reference/security/x25519';

function tempFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-keys-'));
}

test('a written key pair reads back; the secret file is mode 0600 and the public file holds no secret', () => {
  const folder = tempFolder();
  const pair = generateKeyPair();
  const { publicFile, secretFile } = writeKeyFiles(folder, 'worker-1', pair);
  assert.deepEqual(readKeyPair(secretFile), pair);
  assert.equal(readPublicKey(publicFile), pair.publicKey);
  assert.equal(readPublicKey(secretFile), pair.publicKey);
  assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
  assert.ok(!fs.readFileSync(publicFile, 'utf8').includes(pair.secretKey));
  assert.match(fs.readFileSync(secretFile, 'utf8'), /^#   \*\*\*\*  Generated on \d{4}-\d\d-\d\d by keelhaul  \*\*\*\*\n#   ZeroMQ CURVE \*\*Secret\*\* Certificate\n/);
});

test('a zcert file in czmq\'s layout (as pyzmq writes it) reads', () => {
  const folder = tempFolder();
  const pair = generateKeyPair();
  const file = path.join(folder, 'czmq.key_secret');
  fs.writeFileSync(file, `#   ****  Generated on 2026-12-06 10:00:00 by CZMQ  ****\n#   ZeroMQ CURVE **Secret** Certificate\n\nmetadata\n    name = "x"\ncurve\n    public-key = "${pair.publicKey}"\n    secret-key = "${pair.secretKey}"\n`);
  assert.deepEqual(readKeyPair(file), pair);
});

test('bad key files are refused with the file and the problem', () => {
  const folder = tempFolder();
  const pair = generateKeyPair();
  const { publicFile } = writeKeyFiles(folder, 'a', pair);
  assert.throws(() => readKeyPair(path.join(folder, 'missing.key_secret')), /missing\.key_secret: cannot read the key file/);
  assert.throws(() => readKeyPair(publicFile), /a\.key: no secret-key line: a node's own key is the \.key_secret file/);
  const garbage = path.join(folder, 'garbage.key');
  fs.writeFileSync(garbage, 'hello\n');
  assert.throws(() => readPublicKey(garbage), /garbage\.key: no public-key line in a "curve" section/);
  const short = path.join(folder, 'short.key');
  fs.writeFileSync(short, 'curve\n    public-key = "abc"\n');
  assert.throws(() => readPublicKey(short), /short\.key: line 2: public-key must be 40 Z85 characters/);
  const mixed = path.join(folder, 'mixed.key_secret');
  fs.writeFileSync(mixed, `curve\n    public-key = "${generateKeyPair().publicKey}"\n    secret-key = "${pair.secretKey}"\n`);
  assert.throws(() => readKeyPair(mixed), /mixed\.key_secret: the public key does not belong to the secret key/);
  assert.throws(() => resolvePublicKey(path.join(folder, 'nope')), /neither 40 Z85 characters \(a public key\) nor an existing key file/);
  assert.equal(resolvePublicKey(pair.publicKey), pair.publicKey);
  assert.equal(resolvePublicKey(publicFile), pair.publicKey);
});

test('a CURVE key pair is an X25519 key pair: both ends derive the same secret', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();
  assert.equal(publicKeyOf(a.secretKey), a.publicKey);
  assert.deepEqual(sharedSecret(a.secretKey, b.publicKey), sharedSecret(b.secretKey, a.publicKey));
  assert.equal(keyPairProblem(a), undefined);
  assert.equal(keyPairProblem({ publicKey: b.publicKey, secretKey: a.secretKey }), 'the public key does not belong to the secret key');
});
