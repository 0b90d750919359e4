import { Dealer } from 'zeromq';
import type { PeerSecurity } from '../../reference/security/peer-security';

/**
 * A bare DEALER socket for speaking to a broker frame by frame: malformed input, out-of-order
 * commands, and 8/MMI queries, without any of the reference client's logic in the way. With a
 * `security`, it is a CURVE client and puts the KHA/1 envelope in front of every message it sends.
 */
export class RawPeer {
  private readonly socket: Dealer;

  constructor(
    endpoint: string,
    private readonly security?: PeerSecurity,
  ) {
    this.socket = new Dealer({ linger: 0, sendTimeout: 1_000, ...(security?.socketOptions() ?? {}) });
    this.socket.connect(endpoint);
  }

  async send(frames: readonly (Buffer | string)[]): Promise<void> {
    const buffers = frames.map((frame) => (typeof frame === 'string' ? Buffer.from(frame) : frame));
    await this.socket.send(this.security === undefined ? buffers : this.security.wrap(buffers));
  }

  /** The next message, or undefined if none arrives within `timeoutMs`. */
  async receive(timeoutMs: number): Promise<Buffer[] | undefined> {
    this.socket.receiveTimeout = Math.max(1, Math.round(timeoutMs));
    try {
      return await this.socket.receive();
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.socket.close();
  }
}
