/**
 * When each subscriber id with durable subscriptions was last seen with a session, so the proxy can
 * evict one that stayed away longer than `--subscriber-eviction` (KHP/1 proxy rule 13). Without
 * eviction a subscriber that subscribed once and left made every later put on its topics
 * `REFUSED busy` once its pending count reached `--max-pending`, forever.
 *
 * The clock of an id starts at the first check that finds it without a session (so after a proxy
 * restart every id gets the whole eviction time again: a restart never evicts anyone early).
 */
export class AbsentSubscribers {
  /** subscriber id → when it was first found without a session (since it last had one). */
  private since = new Map<string, number>();

  constructor(private readonly evictAfterMs: number) {
    if (!Number.isSafeInteger(evictAfterMs) || evictAfterMs < 1) throw new RangeError(`subscriber eviction must be a whole number of ms >= 1, not ${evictAfterMs}`);
  }

  /**
   * The ids among `known` (those with durable subscriptions) that have had no session for longer
   * than the eviction time at `now`; checked once per tick, so eviction is late by at most a tick.
   */
  due(known: Iterable<string>, hasSession: (subscriber: string) => boolean, now: number): { subscriber: string; absentMs: number }[] {
    const due: { subscriber: string; absentMs: number }[] = [];
    const next = new Map<string, number>();
    for (const subscriber of known) {
      if (hasSession(subscriber)) continue;
      const since = this.since.get(subscriber) ?? now;
      if (now - since > this.evictAfterMs) due.push({ subscriber, absentMs: now - since });
      else next.set(subscriber, since);
    }
    // Rebuilt each time, so ids that came back or have no subscriptions left leave no entry behind.
    this.since = next;
    return due;
  }
}
