/**
 * Per subscriber id and topic, the highest sequence this proxy process has sent in a DELIVER to a
 * session of that id. A HELLO position or an ACK is an acknowledgement, and an acknowledgement of a
 * message never sent to that id is not one: without this cap a peer saying HELLO as `sub-1` with
 * positions far ahead released messages the real sub-1 never got (issue 17, "takeover").
 *
 * Kept in memory only, on purpose: after a restart nothing has been delivered in this life, so
 * HELLO positions advance nothing and the proxy delivers again from its journaled positions; the
 * subscriber drops what it already processed and acknowledges again (KHP/1 subscriber rule 4).
 */
export class DeliveredPositions {
  private readonly byId = new Map<string, Map<string, number>>();

  /** A DELIVER of `seq` on `topic` went to a session of `subscriber`. */
  record(subscriber: string, topic: string, seq: number): void {
    let topics = this.byId.get(subscriber);
    if (topics === undefined) this.byId.set(subscriber, (topics = new Map()));
    if ((topics.get(topic) ?? 0) < seq) topics.set(topic, seq);
  }

  /** `position`, lowered to the highest sequence delivered to `subscriber` on `topic` in this life (0 if none). */
  cap(subscriber: string, topic: string, position: number): number {
    return Math.min(position, this.byId.get(subscriber)?.get(topic) ?? 0);
  }

  /** The subscription is gone (unsubscribed or evicted): a later one starts from scratch. */
  forget(subscriber: string, topic?: string): void {
    if (topic === undefined) {
      this.byId.delete(subscriber);
      return;
    }
    const topics = this.byId.get(subscriber);
    topics?.delete(topic);
    if (topics?.size === 0) this.byId.delete(subscriber);
  }
}
