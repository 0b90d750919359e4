import crypto from 'node:crypto';
import { z85Decode, z85Encode } from './z85';

/**
 * CURVE keys are raw Curve25519 keys with the same clamping as X25519, so Node's built-in X25519
 * works on them once they are wrapped in the DER envelopes Node imports (PKCS#8 for a secret key,
 * SPKI for a public one: fixed 16- and 12-byte prefixes before the 32 raw bytes).
 */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function secretKeyObject(secretKey: string): crypto.KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, z85Decode(secretKey)]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: string): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, z85Decode(publicKey)]), format: 'der', type: 'spki' });
}

/** X25519(secret, public): the 32-byte secret both ends of a key pair share. Keys in Z85. */
export function sharedSecret(secretKey: string, publicKey: string): Buffer {
  return crypto.diffieHellman({ privateKey: secretKeyObject(secretKey), publicKey: publicKeyObject(publicKey) });
}

/** The public key (Z85) that belongs to a secret key (Z85). */
export function publicKeyOf(secretKey: string): string {
  const raw = crypto.createPublicKey(secretKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return z85Encode(raw.subarray(SPKI_X25519_PREFIX.length));
}
