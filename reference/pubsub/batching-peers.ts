/** How many connections' BATCH the proxy remembers; a forgotten one gets one message per DELIVER and ACCEPTED again. */
export const MAX_BATCHING_PEERS = 10_000;

/**
 * KHP/1 revision 4: the connections that said BATCH, and the most messages each takes in one DELIVER
 * or ACCEPTED. Bounded, least recently told first out: forgetting a peer costs it only speed, never a
 * message, since a revision 4 peer reads single messages too.
 */
export class BatchingPeers {
  /** Hex of the ROUTER identity → batch size. */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly capacity = MAX_BATCHING_PEERS) {}

  /** The peer takes up to `max` messages per DELIVER or ACCEPTED from now on. */
  set(peer: string, max: number): void {
    this.sizes.delete(peer);
    this.sizes.set(peer, max);
    if (this.sizes.size > this.capacity) this.sizes.delete(this.sizes.keys().next().value as string);
  }

  /** The most messages one DELIVER or ACCEPTED to `peer` may carry: 1 for a peer that never said BATCH. */
  size(peer: string): number {
    return this.sizes.get(peer) ?? 1;
  }

  /** A new session on the connection starts unbatched: a revision 4 subscriber says BATCH after each WELCOME. */
  forget(peer: string): void {
    this.sizes.delete(peer);
  }

  get count(): number {
    return this.sizes.size;
  }
}
