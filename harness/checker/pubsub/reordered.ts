import type { DeliverEvent, PubSubEvent, PutOkEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { PubSubAnomaly } from './anomaly';
import type { Delivery, Message, PubSubHistory } from './history';
import { deliveryProblem } from './unexpected';
import { pubSubRule } from './ladder';

/** One first delivery in its stream: when it came, and its message's place in its publisher's order. */
export interface StreamEntry {
  msg: string;
  /** When it was delivered, and when its message was first accepted (its first put-ok's t). */
  deliveredAt: number;
  acceptedAt: number;
  /** Its message's first put-ok's place in the history's order: ranks compare as the put-oks do. */
  rank: number;
}

interface Ranked extends StreamEntry {
  delivery: DeliverEvent;
  ok: PutOkEvent;
}

/** A stream: subscriber, topic and publisher. */
export type StreamKey = readonly [subscriber: string, topic: string, publisher: string];

/**
 * reordered: per subscriber, topic and publisher, messages must be delivered in the order of the
 * publisher's put-oks (each message's first put-ok). Only the first delivery of each message to the
 * subscriber is ordered (repeats are duplicate-delivery), and only deliveries of accepted messages
 * that are not `unexpected`. Messages of different publishers, or on different topics, are not
 * ordered relative to each other.
 *
 * A delivery that comes after the delivery of a message its publisher put later is one anomaly,
 * paired with the most advanced such message delivered before it (the latest put-ok), and its detail
 * counts how many later-put messages overtook it. Each out-of-order pair is therefore reported once,
 * from the side of the message that arrived late, and the check stays O(n log n) however scrambled
 * the order (listing every inverted pair would be quadratic).
 */
export function checkReordered(history: PubSubHistory): PubSubAnomaly<'reordered'>[] {
  const anomalies: PubSubAnomaly<'reordered'>[] = [];
  for (const [key, group] of orderedGroups(history)) {
    findOvertaken(group, (late, ahead, overtakers) => anomalies.push(reorderedFinding(key, late, ahead, overtakers, [ahead.delivery, late.delivery, late.ok, ahead.ok])));
  }
  return anomalies;
}

/**
 * The entries of one stream, in delivery order, that arrived after an entry of a later rank: each
 * with the highest-ranked entry delivered before it and how many later-ranked entries overtook it.
 */
export function findOvertaken<E extends StreamEntry>(group: readonly E[], found: (late: E, ahead: E, overtakers: number) => void): void {
  const overtaking = new Fenwick(group.map((entry) => entry.rank));
  let ahead: E | undefined;
  group.forEach((entry, index) => {
    if (ahead !== undefined && entry.rank < ahead.rank) found(entry, ahead, index - overtaking.countUpTo(entry.rank));
    overtaking.insert(entry.rank);
    if (ahead === undefined || entry.rank > ahead.rank) ahead = entry;
  });
}

/** The reordered finding of `late`, overtaken in its stream; events: both deliveries, then both put-oks. */
export function reorderedFinding([subscriber, topic, publisher]: StreamKey, late: StreamEntry, ahead: StreamEntry, overtakers: number, events: PubSubEvent[]): PubSubAnomaly<'reordered'> {
  return {
    name: 'reordered',
    job: late.msg,
    subscriber,
    topic,
    detail:
      `${subscriber} got message ${late.msg} at ${ms(late.deliveredAt)} after ${ahead.msg} (at ${ms(ahead.deliveredAt)}), ` +
      `but ${publisher}'s put-ok order on topic ${topic} puts ${late.msg} first (put-ok at ${ms(late.acceptedAt)} vs ${ms(ahead.acceptedAt)}); ` +
      `overtaken by ${overtakers} later message(s)`,
    events,
  };
}

/** A delivery reordered judges: the first of an accepted message to its subscriber, not `unexpected`. */
export interface OrderedDelivery {
  delivery: Delivery;
  message: Message & { firstOkPos: number };
  stream: StreamKey;
}

/** The deliveries reordered judges, in delivery order. */
export function* orderedDeliveries(history: PubSubHistory): Generator<OrderedDelivery> {
  for (const delivery of history.deliveries) {
    const { event } = delivery;
    if (!isFirstDelivery(history, delivery)) continue;
    const message = history.messages.get(event.msg);
    if (message === undefined || message.firstOkPos === undefined) continue;
    if (deliveryProblem(history, delivery) !== undefined) continue;
    yield { delivery, message: message as Message & { firstOkPos: number }, stream: [event.subscriber, event.topic, message.put.process] };
  }
}

/** First deliveries of accepted, expected messages, grouped by subscriber, topic and publisher, in delivery order. */
function orderedGroups(history: PubSubHistory): Map<StreamKey, Ranked[]> {
  const groups = new Map<string, { key: StreamKey; entries: Ranked[] }>();
  for (const { delivery, message, stream } of orderedDeliveries(history)) {
    // A plain joined key: over a million deliveries, JSON.stringify per delivery costs more than the grouping itself.
    const id = stream.join('\u0000');
    let group = groups.get(id);
    if (group === undefined) {
      group = { key: stream, entries: [] };
      groups.set(id, group);
    }
    const ok = message.oks[0];
    group.entries.push({ msg: delivery.event.msg, deliveredAt: delivery.event.t, acceptedAt: ok.t, rank: message.firstOkPos, delivery: delivery.event, ok });
  }
  return new Map([...groups.values()].map((group) => [group.key, group.entries]));
}

function isFirstDelivery(history: PubSubHistory, delivery: Delivery): boolean {
  return history.deliveriesBySubscriber.get(delivery.event.subscriber)?.get(delivery.event.msg)?.[0] === delivery;
}

/** A Fenwick (binary indexed) tree counting inserted ranks, over a fixed set of possible ranks. */
class Fenwick {
  private readonly ranks: number[];
  private readonly tree: number[];

  constructor(ranks: readonly number[]) {
    this.ranks = [...new Set(ranks)].sort((a, b) => a - b);
    this.tree = new Array<number>(this.ranks.length + 1).fill(0);
  }

  insert(rank: number): void {
    for (let i = this.indexOf(rank) + 1; i < this.tree.length; i += i & -i) this.tree[i]++;
  }

  /** How many inserted ranks are <= rank. */
  countUpTo(rank: number): number {
    let sum = 0;
    for (let i = this.indexOf(rank) + 1; i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  private indexOf(rank: number): number {
    let low = 0;
    let high = this.ranks.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ranks[mid] < rank) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

export const REORDERED = pubSubRule({
  name: 'reordered',
  describe:
    'Per subscriber, topic and publisher (the message\'s first `put`\'s `process`), the first deliveries of accepted, not-`unexpected` messages must follow the order of their first `put-ok`s. A delivery arriving after the delivery of a message its publisher\'s put-ok ordered later is one anomaly, paired with the latest-put message delivered before it (events: both deliveries, then both `put-ok`s); the detail counts how many later messages overtook it. Each out-of-order pair is reported once, from the late message\'s side; listing every inverted pair would be quadratic. Messages from different publishers or topics are not ordered against each other. `checkPubSub(events, { ordered: false })` skips this check.',
  check: (history, options) => (options.ordered === false ? [] : checkReordered(history)),
});
