import { Dealer } from 'zeromq';

/**
 * A bare DEALER socket for speaking to a broker frame by frame: malformed input, out-of-order
 * commands, and 8/MMI queries, without any of the reference client's logic in the way.
 */
export class RawPeer {
  private readonly socket = new Dealer({ linger: 0, sendTimeout: 1_000 });

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
  }

  async send(frames: (Buffer | string)[]): Promise<void> {
    await this.socket.send(frames.map((frame) => (typeof frame === 'string' ? Buffer.from(frame) : frame)));
  }

  /** The next message, or undefined if none arrives within `timeoutMs`. */
  async receive(timeoutMs: number): Promise<Buffer[] | undefined> {
    this.socket.receiveTimeout = timeoutMs;
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
