import type { KeyPair } from '../../reference/security/key-pair';
import { PeerSecurity } from '../../reference/security/peer-security';
import { RawPeer } from '../probe/raw-peer';

/** How a hostile peer presents itself: a CURVE key of its own (and the server's key), or none (NULL). */
export interface HostileCredentials {
  keyPair?: KeyPair;
  serverKey?: string;
}

/**
 * A RawPeer the harness drives as one principal: with a CURVE key (its own, in the policy or not)
 * and the KHA/1 envelope in front of every message, or with the NULL mechanism and no envelope.
 * Every wait is bounded; a message the socket would not take in time is reported, not thrown.
 */
export class HostilePeer {
  private readonly raw: RawPeer;

  constructor(
    readonly principal: string,
    endpoint: string,
    credentials: HostileCredentials = {},
  ) {
    const security = credentials.keyPair !== undefined && credentials.serverKey !== undefined ? new PeerSecurity(credentials.keyPair, credentials.serverKey) : undefined;
    this.raw = new RawPeer(endpoint, security);
  }

  /** Sends one message; false when it could not be queued in time. */
  async send(frames: readonly (Buffer | string)[]): Promise<boolean> {
    try {
      await this.raw.send(frames);
      return true;
    } catch {
      return false;
    }
  }

  /** The next message, or undefined if none arrives within `timeoutMs`. */
  receive(timeoutMs: number): Promise<Buffer[] | undefined> {
    return this.raw.receive(timeoutMs);
  }

  /** Every message until `timeoutMs` has passed, each handed to `onMessage` as it comes. */
  async receiveFor(timeoutMs: number, onMessage: (frames: Buffer[]) => void | Promise<void>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let left = timeoutMs; left > 0; left = deadline - Date.now()) {
      const frames = await this.receive(left);
      if (frames === undefined) return;
      await onMessage(frames);
    }
  }

  close(): void {
    this.raw.close();
  }
}
