import crypto from 'node:crypto';
import type { KeyPair } from './key-pair';
import { sharedSecret } from './x25519';
import { isZ85Key } from './z85';

/**
 * The KHA/1 credential envelope: three frames in front of every message a peer sends to a secure
 * server, because the ROUTER cannot tell which CURVE key a message came from (zeromq.js#327).
 *
 *   1. `KHA01`
 *   2. the sender's CURVE public key, Z85 (40 ASCII characters)
 *   3. HMAC-SHA256(key = X25519(sender secret, server public), message = `KHA/1`): 32 bytes
 *
 * Only the holder of the sender's secret key (or the server's) can compute the proof, and the links
 * are CURVE-encrypted, so no other peer sees one to replay.
 */
export const ENVELOPE_TAG = 'KHA01';
export const ENVELOPE_FRAMES = 3;
const PROOF_MESSAGE = 'KHA/1';
const PROOF_BYTES = 32;

function proof(secret: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update(PROOF_MESSAGE, 'ascii').digest();
}

/** The three envelope frames a peer with `own` keys puts in front of every message to the server with `serverPublicKey`. */
export function envelopeFrames(own: KeyPair, serverPublicKey: string): Buffer[] {
  return [Buffer.from(ENVELOPE_TAG), Buffer.from(own.publicKey, 'ascii'), proof(sharedSecret(own.secretKey, serverPublicKey))];
}

/** An opened message: the sender's public key and the protocol frames after the envelope, or why it was refused. */
export type OpenedEnvelope = { ok: true; senderKey: string; frames: Buffer[] } | { ok: false; reason: string };

/**
 * The server side: checks envelopes against the server's secret key. The X25519 for each sender key
 * is computed once and cached (`maxCachedKeys` at most, oldest dropped first), so a message costs one
 * HMAC. Which keys are welcome is the policy's business, not this class's.
 */
export class EnvelopeOpener {
  private readonly expected = new Map<string, Buffer>();

  constructor(
    private readonly serverSecretKey: string,
    private readonly maxCachedKeys = 4096,
  ) {}

  open(frames: readonly Buffer[]): OpenedEnvelope {
    if (frames.length < ENVELOPE_FRAMES + 1) return { ok: false, reason: `no ${ENVELOPE_TAG} envelope: ${frames.length} frames` };
    const [tag, key, given] = frames as [Buffer, Buffer, Buffer];
    if (!tag.equals(Buffer.from(ENVELOPE_TAG))) return { ok: false, reason: `no ${ENVELOPE_TAG} envelope: the first frame is not ${ENVELOPE_TAG}` };
    const senderKey = key.toString('ascii');
    if (key.length !== 40 || !isZ85Key(senderKey)) return { ok: false, reason: 'the envelope key is not 40 Z85 characters' };
    if (given.length !== PROOF_BYTES) return { ok: false, reason: `the envelope proof is ${given.length} bytes, not ${PROOF_BYTES}` };
    let expected: Buffer;
    try {
      expected = this.expectedProof(senderKey);
    } catch {
      // A low-order point makes X25519 yield zero, which OpenSSL refuses: no key anyone holds.
      return { ok: false, reason: 'the envelope key is not a usable Curve25519 key' };
    }
    if (!crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'the envelope proof does not match its key' };
    return { ok: true, senderKey, frames: frames.slice(ENVELOPE_FRAMES) };
  }

  private expectedProof(senderKey: string): Buffer {
    let expected = this.expected.get(senderKey);
    if (expected === undefined) {
      expected = proof(sharedSecret(this.serverSecretKey, senderKey));
      if (this.expected.size >= this.maxCachedKeys) this.expected.delete(this.expected.keys().next().value!);
      this.expected.set(senderKey, expected);
    }
    return expected;
  }
}
