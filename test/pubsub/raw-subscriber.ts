import { Dealer } from 'zeromq';
import { decodeAtSubscriber, type SubscriberInbound } from '../../reference/pubsub/codec';

/** A hand-driven KHP/1 peer on a real DEALER socket, for tests that play a hostile or half-written subscriber. */
export class RawSubscriber {
  private readonly socket: Dealer;

  constructor(endpoint: string, receiveTimeoutMs: number) {
    this.socket = new Dealer({ linger: 0, receiveTimeout: receiveTimeoutMs });
    this.socket.connect(endpoint);
  }

  send(frames: Buffer[]): Promise<void> {
    return this.socket.send(frames);
  }

  /** The next message of `kind`, collecting what came before it (heartbeats left out); rejects on the socket's receive timeout. */
  async until<K extends SubscriberInbound['kind']>(kind: K): Promise<{ message: Extract<SubscriberInbound, { kind: K }>; before: SubscriberInbound[] }> {
    const before: SubscriberInbound[] = [];
    for (;;) {
      const message = decodeAtSubscriber(await this.socket.receive());
      if (message.kind === kind) return { message: message as Extract<SubscriberInbound, { kind: K }>, before };
      if (message.kind !== 'heartbeat') before.push(message);
    }
  }

  close(): void {
    this.socket.close();
  }
}
