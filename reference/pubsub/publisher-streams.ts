import type { PutOrder } from './codec';

/** Where a windowed PUT stands against what the proxy has decided for its stream (KHP/1 proxy rule 14). */
export type StreamPlace =
  /** The next one to decide: every earlier put of the stream is decided here or given up by the publisher. */
  | 'next'
  /** Already decided and not remembered as accepted: a retry of a refused put, or a stale copy. */
  | 'behind'
  /** An earlier put of the stream is still undecided (lost on the way, or not arrived yet). */
  | 'ahead';

/** How many publisher streams are remembered; forgetting one costs only a retransmission (rule 14). */
export const MAX_PUBLISHER_STREAMS = 10_000;

/**
 * Per publisher stream, the highest sequence the proxy has decided (accepted, refused, or found to
 * be a duplicate of an accepted put). In memory only: after a restart the dedup table (durable)
 * and the PUT's floor rebuild what matters, so a stream the proxy does not know starts at its floor.
 */
export class PublisherStreams {
  /** `${owner}\n${publisher}\n${stream}` → highest decided sequence, least recently used first. */
  private readonly decided = new Map<string, number>();

  constructor(private readonly capacity = MAX_PUBLISHER_STREAMS) {}

  place(owner: string, publisher: string, order: PutOrder): StreamPlace {
    const last = this.decided.get(streamKey(owner, publisher, order)) ?? 0;
    if (order.seq <= last) return 'behind';
    return order.seq === Math.max(last + 1, order.floor) ? 'next' : 'ahead';
  }

  /** Records that the put `order.seq` of its stream has been decided. */
  decide(owner: string, publisher: string, order: PutOrder): void {
    const key = streamKey(owner, publisher, order);
    const last = this.decided.get(key) ?? 0;
    this.decided.delete(key);
    this.decided.set(key, Math.max(last, order.seq));
    if (this.decided.size > this.capacity) this.decided.delete(this.decided.keys().next().value as string);
  }

  get size(): number {
    return this.decided.size;
  }
}

function streamKey(owner: string, publisher: string, order: PutOrder): string {
  return `${owner}\n${publisher}\n${order.stream}`;
}
