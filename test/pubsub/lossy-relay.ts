import { Dealer, Router } from 'zeromq';
import { decodeAtProxy, decodeAtPublisher } from '../../reference/pubsub/codec';
import { freeEndpoint } from './helpers';

/** Decides, per message, whether the relay passes it on. Frames exclude the ROUTER identity. */
export type RelayFilter = (frames: Buffer[]) => boolean;

/**
 * A relay between one publisher and a proxy, on real sockets: a ROUTER the publisher connects to
 * and a DEALER to the proxy, passing each message on unless its direction's filter drops it. It
 * loses chosen messages (an early PUT attempt, an ACCEPTED) in a way TCP never does on its own.
 */
export class LossyRelay {
  readonly dropped = { toProxy: 0, toPublisher: 0 };
  private readonly front = new Router({ linger: 0 });
  private readonly back = new Dealer({ linger: 0, sendTimeout: 0 });
  private publisher?: Buffer;
  private readonly loops: Promise<void>[] = [];

  private constructor(
    readonly endpoint: string,
    private readonly toProxy: RelayFilter,
    private readonly toPublisher: RelayFilter,
  ) {}

  static async start(proxy: string, filters: { toProxy?: RelayFilter; toPublisher?: RelayFilter }): Promise<LossyRelay> {
    const relay = new LossyRelay(await freeEndpoint(), filters.toProxy ?? (() => true), filters.toPublisher ?? (() => true));
    await relay.front.bind(relay.endpoint);
    relay.back.connect(proxy);
    relay.loops.push(relay.forwardToProxy(), relay.forwardToPublisher());
    return relay;
  }

  async close(): Promise<void> {
    this.front.close();
    this.back.close();
    await Promise.all(this.loops);
  }

  private async forwardToProxy(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.front) {
        this.publisher = identity;
        if (this.toProxy(frames)) await this.back.send(frames).catch(() => undefined);
        else this.dropped.toProxy++;
      }
    } catch {
      // closed
    }
  }

  private async forwardToPublisher(): Promise<void> {
    try {
      for await (const frames of this.back) {
        if (this.publisher === undefined) continue;
        if (this.toPublisher(frames)) await this.front.send([this.publisher, ...frames]).catch(() => undefined);
        else this.dropped.toPublisher++;
      }
    } catch {
      // closed
    }
  }
}

/** The message ids a PUT carries (one, or several in a revision 4 PUT; frames without identity), or none for anything else. */
export function putMessageIds(frames: Buffer[]): string[] {
  try {
    const message = decodeAtProxy(frames);
    return message.kind === 'put' ? [message.msg] : message.kind === 'puts' ? message.puts.map((put) => put.msg) : [];
  } catch {
    return [];
  }
}

/** The message ids an ACCEPTED answers (one, or several after BATCH), or none for anything else. */
export function acceptedMessageIds(frames: Buffer[]): string[] {
  try {
    const message = decodeAtPublisher(frames);
    return message.kind === 'accepted' ? message.puts.map((put) => put.msg) : [];
  } catch {
    return [];
  }
}
