import { curveKeyPair } from 'zeromq';
import { publicKeyOf } from './x25519';
import { isZ85Key } from './z85';

/** A CURVE key pair, both keys as 40-character Z85 text (the form zeromq.js socket options take). */
export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

/** A fresh key pair from libzmq (zmq_curve_keypair, through zeromq.js). */
export function generateKeyPair(): KeyPair {
  const { publicKey, secretKey } = curveKeyPair();
  return { publicKey, secretKey };
}

/**
 * Why `pair` is not a usable key pair, or undefined when it is: each key 40 Z85 characters and the
 * public key the one the secret key yields (a pair mixed up from two files fails here, not at the
 * first handshake).
 */
export function keyPairProblem(pair: KeyPair): string | undefined {
  if (!isZ85Key(pair.publicKey)) return 'the public key is not 40 Z85 characters';
  if (!isZ85Key(pair.secretKey)) return 'the secret key is not 40 Z85 characters';
  if (publicKeyOf(pair.secretKey) !== pair.publicKey) return 'the public key does not belong to the secret key';
  return undefined;
}
