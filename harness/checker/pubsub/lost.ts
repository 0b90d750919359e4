import type { DeliverEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import { sharedAnalysis } from '../registry';
import type { PubSubAnomaly } from './anomaly';
import { isAccepted, type Message, type PubSubHistory } from './history';
import { obligingSubscription } from './subscriptions';
import { pubSubRule } from './ladder';

/** When and how the history was checked, so a subscriber still catching up is told from one that lost messages. */
export interface CatchingUp {
  /** History time of the check (ms): the end of the drain the run allowed. */
  checkedAt: number;
  /** A subscriber whose latest delivery came within this many ms of `checkedAt` was still receiving. */
  windowMs: number;
}

export interface LostOptions {
  /** Messages accepted less than this many ms before the history's last event are not owed yet. */
  deliveryBound?: number;
  catchingUp?: CatchingUp;
}

/** An accepted message owed to a subscriber that never received it. */
export interface Missing {
  message: Message;
  subscriber: string;
  subscribedAt: number;
  events: PubSubAnomaly['events'];
}

/**
 * lost: a message with a put-ok, owed to a subscriber, that the subscriber never received by the
 * end of the history. A message is owed to a subscriber of its topic when the subscriber's latest
 * `subscribed` before the message's (first) put exists and that subscription never ended (an
 * unsubscribe releases what is still pending for the subscriber, so it is owed nothing then). Any delivery of the message id to
 * the subscriber counts as received (a delivery with a wrong topic or publisher is `unexpected`,
 * not also lost). Messages with only put-info or put-fail, or no outcome at all, are owed to nobody.
 * One anomaly per (message, subscriber). With `deliveryBound`, a message accepted less than that many
 * ms before the history's last event is not counted: it may still have been on its way.
 *
 * undelivered-at-bound (with `catchingUp`): a missing message is late, not lost, when its subscriber
 * was still receiving at the check (a delivery within the window) and had not yet received anything
 * its publisher put on that topic after it (it had not skipped it: it was behind). One finding per
 * subscriber, saying how far behind it was; it accuses nobody (INCONCLUSIVE), while a message the
 * subscriber skipped, or one owed to a subscriber that had stopped receiving, is lost.
 */
export function checkPubSubLost(history: PubSubHistory, options: LostOptions = {}): PubSubAnomaly[] {
  const { lost, late } = missingMessages(history, options);
  return [...lost, ...late];
}

/** The two verdicts on the owed messages a subscriber never got: lost, or late (still catching up). */
interface MissingMessages {
  lost: PubSubAnomaly<'lost'>[];
  late: PubSubAnomaly<'undelivered-at-bound'>[];
}

const missingMessages = sharedAnalysis((history: PubSubHistory, { deliveryBound, catchingUp }: LostOptions): MissingMessages => {
  const end = history.events.length > 0 ? history.events[history.events.length - 1].t : 0;
  const missing: Missing[] = [];
  for (const message of history.messages.values()) {
    if (!isAccepted(message) || message.firstOkPos === undefined) continue;
    const ok = message.oks[0];
    // Still in flight when the history stopped (a scenario cut short): not yet owed.
    if (deliveryBound !== undefined && end - ok.t < deliveryBound) continue;
    missing.push(...missingDeliveries(history, message));
  }
  const { lastDelivery, passed } = streamProgress(history);
  const late = new Set<Missing>();
  if (catchingUp !== undefined) {
    for (const m of missing) {
      const receiving = (lastDelivery.get(m.subscriber) ?? -Infinity) >= catchingUp.checkedAt - catchingUp.windowMs;
      if (receiving && !passed(m)) late.add(m);
    }
  }
  const lost = missing.filter((m) => !late.has(m)).map((m) => lostFinding(m, passed(m)));
  return { lost, late: summarizeLate(history, [...late], catchingUp) };
});

/** The subscribers an accepted message was owed to (subscriptions.ts obligingSubscription) that never received it. */
export function missingDeliveries(history: PubSubHistory, message: Message): Missing[] {
  const missing: Missing[] = [];
  const { put, putPos } = message;
  for (const log of history.subscriptions.onTopic(put.topic)) {
    const subscribed = obligingSubscription(log, putPos);
    if (subscribed === undefined) continue;
    if (history.deliveriesBySubscriber.get(log.subscriber)?.has(message.msg) === true) continue;
    missing.push({ message, subscriber: log.subscriber, subscribedAt: subscribed.t, events: [subscribed, put, message.oks[0]] });
  }
  return missing;
}

/** A missing message that is not late: lost; `passed` says whether its subscriber received later messages of its stream. */
export function lostFinding(m: Missing, passed: boolean): PubSubAnomaly<'lost'> {
  return {
    name: 'lost',
    job: m.message.msg,
    subscriber: m.subscriber,
    topic: m.message.put.topic,
    detail:
      `message ${m.message.msg} (topic ${m.message.put.topic}, from ${m.message.put.process}) accepted at ${ms(m.message.oks[0].t)} never delivered to ` +
      `${m.subscriber}, subscribed since ${ms(m.subscribedAt)}${passed ? ', which received later messages of that publisher and topic' : ''}`,
    events: m.events,
    // Skipped in its stream, it is lost whatever the load; not reached at all, it may be a subscriber
    // the machine starved past the drain's bound, which a starved harness cannot tell apart.
    ...(passed ? {} : { boundMissed: true as const }),
  };
}

/**
 * Per subscriber its latest delivery, and whether it had passed a missing message in its stream: it
 * received a message the same publisher put on the same topic that was accepted after it.
 */
function streamProgress(history: PubSubHistory): { lastDelivery: Map<string, number>; passed: (m: Missing) => boolean } {
  const lastDelivery = new Map<string, number>();
  const reached = new Map<string, number>();
  for (const { event } of history.deliveries) {
    lastDelivery.set(event.subscriber, Math.max(lastDelivery.get(event.subscriber) ?? -Infinity, event.t));
    const okPos = history.messages.get(event.msg)?.firstOkPos;
    if (okPos === undefined) continue;
    const key = `${event.subscriber}\u0000${event.publisher}\u0000${event.topic}`;
    reached.set(key, Math.max(reached.get(key) ?? -1, okPos));
  }
  const passed = (m: Missing) => (reached.get(`${m.subscriber}\u0000${m.message.put.process}\u0000${m.message.put.topic}`) ?? -1) > (m.message.firstOkPos ?? Infinity);
  return { lastDelivery, passed };
}

function summarizeLate(history: PubSubHistory, late: readonly Missing[], catchingUp: CatchingUp | undefined): PubSubAnomaly<'undelivered-at-bound'>[] {
  if (catchingUp === undefined || late.length === 0) return [];
  const bySubscriber = new Map<string, Missing[]>();
  for (const m of late) bySubscriber.set(m.subscriber, [...(bySubscriber.get(m.subscriber) ?? []), m]);
  return [...bySubscriber].map(([subscriber, list]) => {
    const oldest = list.reduce((a, b) => (a.message.oks[0].t <= b.message.oks[0].t ? a : b));
    const deliveries = history.deliveries.filter((d) => d.event.subscriber === subscriber);
    const latest = deliveries[deliveries.length - 1]?.event;
    return lateFinding({ subscriber, count: list.length, oldest, latest, latestAccepted: latest ? history.messages.get(latest.msg)?.oks[0]?.t : undefined }, catchingUp);
  });
}

/** What undelivered-at-bound says of one subscriber still catching up. */
export interface LateSubscriber {
  subscriber: string;
  /** How many owed messages it had not received yet. */
  count: number;
  /** The one of them accepted first. */
  oldest: Missing;
  /** Its latest delivery, and when that delivery's message was first accepted. */
  latest: DeliverEvent | undefined;
  latestAccepted: number | undefined;
}

export function lateFinding({ subscriber, count, oldest, latest, latestAccepted }: LateSubscriber, catchingUp: CatchingUp): PubSubAnomaly<'undelivered-at-bound'> {
  const behind = latest && latestAccepted !== undefined ? `; its latest delivery, at ${ms(latest.t)}, was of a message accepted at ${ms(latestAccepted)} (${ms(latest.t - latestAccepted)} behind)` : '';
  return {
    name: 'undelivered-at-bound',
    job: oldest.message.msg,
    subscriber,
    detail:
      `${subscriber} was still receiving, in order, when the run's bound ran out at ${ms(catchingUp.checkedAt)}: ` +
      `${count} owed message(s) not delivered yet, the oldest ${oldest.message.msg} accepted at ${ms(oldest.message.oks[0].t)}${behind}`,
    events: [...oldest.events, ...(latest ? [latest] : [])],
  };
}

export const PUBSUB_LOST = pubSubRule({
  name: 'lost',
  describe:
    'An accepted message owed to subscriber S with no `deliver` of its id to S anywhere in the history. One anomaly per (message, subscriber); events: the `subscribed`, the first `put`, the first `put-ok`. A delivery with the wrong topic or publisher still counts as received (it is `unexpected` instead). Messages with only `put-info` (even `accepted: true`), only `put-fail`, or no outcome are owed to nobody.',
  check: (history, options) => missingMessages(history, options).lost,
});

export const UNDELIVERED_AT_BOUND = pubSubRule({
  name: 'undelivered-at-bound',
  undecided: true,
  describe:
    'With `catchingUp` (the run\'s drain ended at `checkedAt`): the owed, undelivered messages of a subscriber that was still receiving (a `deliver` within `windowMs` of `checkedAt`) and had not yet received anything their publisher put on their topic after them (it was behind, it had skipped nothing). Reported instead of `lost`: one per subscriber, saying how many messages and how far behind its latest delivery was. **Undecided**: late, not lost, so INCONCLUSIVE, never FAIL.',
  check: (history, options) => missingMessages(history, options).late,
});
