import { envelopeFrames } from './envelope';
import { keyPairProblem, type KeyPair } from './key-pair';
import { isZ85Key } from './z85';

/** zeromq.js options that make a socket a CURVE client of one server. */
export interface CurveClientOptions {
  curveServerKey: string;
  curvePublicKey: string;
  curveSecretKey: string;
}

/**
 * What a peer (worker, client, publisher, subscriber) needs to talk to one secure server: its own
 * key pair and the server's public key, giving the socket options and the KHA/1 envelope that goes
 * in front of every message it sends.
 */
export class PeerSecurity {
  readonly envelope: readonly Buffer[];

  constructor(
    readonly keyPair: KeyPair,
    readonly serverPublicKey: string,
  ) {
    const problem = keyPairProblem(keyPair);
    if (problem !== undefined) throw new Error(`not a usable key pair: ${problem}`);
    if (!isZ85Key(serverPublicKey)) throw new Error('the server key is not 40 Z85 characters');
    this.envelope = envelopeFrames(keyPair, serverPublicKey);
  }

  /** Options for the peer's socket (a Dealer, Subscriber, ...), before it connects. */
  socketOptions(): CurveClientOptions {
    return { curveServerKey: this.serverPublicKey, curvePublicKey: this.keyPair.publicKey, curveSecretKey: this.keyPair.secretKey };
  }

  /** `frames` with the envelope in front. */
  wrap(frames: readonly Buffer[]): Buffer[] {
    return [...this.envelope, ...frames];
  }
}
