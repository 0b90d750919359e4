import { isPubSubEvent, type DeliverEvent, type HistoryEvent, type PubSubEvent, type PutEvent } from '../history/event';
import { mergePlaced, readPart, type PartitionedHistory } from '../history/partitioned-history';
import { StringPool } from '../history/string-pool';
import type { JudgedHistory } from './judge-history';
import { judgePubSub, type PubSubProfile } from './profile';
import {
  checkDuplicateDelivery,
  checkPubSubNotEmpty,
  checkPubSubUnexpected,
  formatPubSubResult,
  indexPubSub,
  isAccepted,
  isDefinitelyFailed,
  PUBSUB,
  type PubSubAnomaly,
  type PubSubAnomalyName,
  type PubSubCheckOptions,
  type PubSubCheckResult,
  type PubSubHistory,
  type PubSubStats,
} from './pubsub';
import { NO_DELIVERY_EXAMPLES, noDeliveryFinding, putOutcome } from './pubsub/empty';
import { lateFinding, lostFinding, missingDeliveries, type Missing } from './pubsub/lost';
import { findOvertaken, orderedDeliveries, reorderedFinding, type StreamEntry } from './pubsub/reordered';
import { comparePlaces, StreamFiles, type Place } from './pubsub/stream-files';
import { reportOrder, tallyFindings } from './registry';

/**
 * The pub/sub checks over a history too large to hold, part by part: the history is split by
 * message id into part files (history/partitioned-history.ts: a message's puts, their outcomes and
 * its deliveries land in one part), and the subscription events, faults and harness samples, which
 * every part needs, are merged into each. A part sorted by (t, line) keeps the order of the whole,
 * so the checks of one message (duplicate-delivery, unexpected, which owed subscribers lack a
 * delivery) run on each part as they would on the whole. What crosses messages is gathered:
 * - lost or late: per subscriber its latest delivery, and per (subscriber, publisher, topic) the
 *   furthest first put-ok its deliveries reached; the missing deliveries are judged once all parts
 *   are read (as many as there are missing deliveries);
 * - reordered: each part writes its first deliveries again by stream (subscriber, topic, publisher)
 *   into a second set of files (pubsub/stream-files.ts), and each stream is checked whole from them;
 * - the counts (stats, empty-history, no-delivery) are summed, the faults judged once.
 */

/** The key a pub/sub event is grouped by: its message id; undefined for what every part needs. */
export function pubSubKey(event: HistoryEvent): string | undefined {
  switch (event.type) {
    case 'put':
    case 'put-ok':
    case 'put-fail':
    case 'put-info':
    case 'deliver':
      return event.msg;
    default:
      return undefined;
  }
}

/** What is gathered over the whole history while it is partitioned, one event at a time. */
export class PubSubGathering {
  /** The last event's stamp, in history order (a stored run's nearest record of its check). */
  lastT: number | undefined;
  /** The latest pub/sub event's stamp (0 without any): where the in-memory check's history ends. */
  end = 0;
  private anyPubSub = false;
  readonly subscribers = new Set<string>();

  add(event: HistoryEvent): void {
    this.lastT = event.t;
    if (!isPubSubEvent(event)) return;
    this.end = this.anyPubSub ? Math.max(this.end, event.t) : event.t;
    this.anyPubSub = true;
    if ('subscriber' in event) this.subscribers.add(event.subscriber);
  }
}

/** A missing delivery found in one part, with its message's places in the whole. */
interface MissingInPart {
  missing: Missing;
  accepted: Place;
  put: Place;
}

/** What the parts tell of one subscriber's stream. */
interface SubscriberProgress {
  /** Its latest delivery (by place) and its message's first put-ok's t. */
  latest: { event: DeliverEvent; place: Place; accepted: number | undefined };
  /** Its latest delivery's t: what "still receiving" reads. */
  lastT: number;
}

const later = (a: Place | undefined, b: Place): boolean => a === undefined || comparePlaces(b, a) > 0;

/** Runs the pub/sub checks over a partitioned history; the gathering is the one partitionHistory fed. */
export function checkPubSubInParts(history: PartitionedHistory, gathering: PubSubGathering, options: PubSubCheckOptions): PubSubCheckResult {
  const strings = new StringPool();
  const { deliveryBound, catchingUp } = options;
  const stats: PubSubStats = { messages: 0, accepted: 0, failed: 0, indefinite: 0, deliveries: 0, subscribers: gathering.subscribers.size };
  const perMessage: PubSubAnomaly[] = [];
  const missing: MissingInPart[] = [];
  const progress = new Map<string, SubscriberProgress>();
  /** Per subscriber, publisher and topic, the furthest first put-ok its deliveries reached. */
  const reached = new Map<string, Place>();
  const streams = new StreamFiles(history.dir, history.parts.length);
  const outcomes = new Map<string, { count: number; first: Place }>();
  let firstPuts: { place: Place; put: PutEvent }[] = [];

  history.parts.forEach((file) => {
    const own = readPart(file, { strings });
    const seqOf = new Map<HistoryEvent, number>(own.map(({ seq, event }) => [event, seq]));
    const placeOf = (event: HistoryEvent): Place => ({ t: event.t, seq: seqOf.get(event) ?? -1 });
    const part = indexPubSub(mergePlaced(history.shared, own));
    const acceptedAt = (msg: string): Place | undefined => {
      const pos = part.messages.get(msg)?.firstOkPos;
      return pos === undefined ? undefined : placeOf(part.events[pos]);
    };
    perMessage.push(...checkDuplicateDelivery(part), ...checkPubSubUnexpected(part));

    for (const message of part.messages.values()) {
      stats.messages++;
      if (isAccepted(message)) stats.accepted++;
      else if (message.infos.length > 0) stats.indefinite++;
      if (isDefinitelyFailed(message)) stats.failed++;
      const put = placeOf(message.put);
      const outcome = putOutcome(message);
      const counted = outcomes.get(outcome);
      if (counted === undefined) {
        outcomes.set(outcome, { count: 1, first: put });
      } else {
        counted.count++;
        if (comparePlaces(put, counted.first) < 0) counted.first = put;
      }
      if (firstPuts.length < NO_DELIVERY_EXAMPLES || comparePlaces(put, firstPuts[firstPuts.length - 1].place) < 0) {
        firstPuts = [...firstPuts, { place: put, put: message.put }].sort((a, b) => comparePlaces(a.place, b.place)).slice(0, NO_DELIVERY_EXAMPLES);
      }
      const accepted = acceptedAt(message.msg);
      if (!isAccepted(message) || accepted === undefined) continue;
      // Still in flight when the history stopped (a scenario cut short): not yet owed.
      if (deliveryBound !== undefined && gathering.end - message.oks[0].t < deliveryBound) continue;
      for (const each of missingDeliveries(part, message)) missing.push({ missing: each, accepted, put });
    }

    stats.deliveries += part.deliveries.length;
    for (const { event } of part.deliveries) {
      const place = placeOf(event);
      const known = progress.get(event.subscriber);
      const latest = { event, place, accepted: part.messages.get(event.msg)?.oks[0]?.t };
      if (known === undefined) {
        progress.set(event.subscriber, { latest, lastT: event.t });
      } else {
        known.lastT = Math.max(known.lastT, event.t);
        if (later(known.latest.place, place)) known.latest = latest;
      }
      const accepted = acceptedAt(event.msg);
      if (accepted === undefined) continue;
      const key = streamId(event.subscriber, event.publisher, event.topic);
      if (later(reached.get(key), accepted)) reached.set(key, accepted);
    }

    if (options.ordered !== false) {
      for (const { delivery, message, stream } of orderedDeliveries(part)) {
        streams.add(stream, { msg: message.msg, delivered: placeOf(delivery.event), accepted: placeOf(part.events[message.firstOkPos]) });
      }
    }
  });

  const { lost, late } = judgeMissing(missing, progress, reached, catchingUp);
  const sharedOnly = indexPubSub(history.shared.events);
  const found: Record<PubSubAnomalyName, PubSubAnomaly[]> = {
    lost,
    'undelivered-at-bound': late,
    'duplicate-delivery': perMessage.filter((finding) => finding.name === 'duplicate-delivery'),
    reordered: options.ordered === false ? [] : reorderedInStreams(history, streams),
    unexpected: perMessage.filter((finding) => finding.name === 'unexpected'),
    'empty-history': stats.messages === 0 ? checkPubSubNotEmpty(sharedOnly) : [],
    'no-delivery':
      stats.messages > 0 && stats.deliveries === 0
        ? [noDeliveryFinding(new Map([...outcomes].sort((a, b) => comparePlaces(a[1].first, b[1].first)).map(([outcome, { count }]) => [outcome, count])), firstPuts.map((each) => each.put))]
        : [],
    'ineffective-fault': overSharedEvents('ineffective-fault', sharedOnly, options),
    'fault-misshapen': overSharedEvents('fault-misshapen', sharedOnly, options),
  };
  // In report order, and within an anomaly by when its first event happened.
  const byTime = (a: PubSubAnomaly, b: PubSubAnomaly): number => (a.events[0]?.t ?? 0) - (b.events[0]?.t ?? 0);
  const anomalies = reportOrder(PUBSUB).flatMap((entry) => [...found[entry.name]].sort(byTime));
  const { counts } = tallyFindings(PUBSUB, anomalies);
  return { anomalies, counts, stats };
}

/** checkPubSubInParts judged against `profile`, as judgePubSubHistory judges a history in memory. */
export function judgePubSubInParts(history: PartitionedHistory, gathering: PubSubGathering, profile: PubSubProfile, options: PubSubCheckOptions): JudgedHistory<PubSubCheckResult> {
  const result = checkPubSubInParts(history, gathering, options);
  const judgement = judgePubSub(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatPubSubResult(result)}` };
}

function streamId(subscriber: string, publisher: string, topic: string): string {
  return `${subscriber}\u0000${publisher}\u0000${topic}`;
}

/** The checks of the faults alone: the registry's own, over the shared events (a part's faults are the whole's). */
function overSharedEvents(name: 'ineffective-fault' | 'fault-misshapen', shared: PubSubHistory, options: PubSubCheckOptions): PubSubAnomaly[] {
  return PUBSUB.checks.filter((entry) => entry.name === name).flatMap((entry) => [...entry.check(shared, options)]);
}

/**
 * Lost or late, as lost.ts decides in memory: a missing delivery is late when its subscriber was
 * still receiving at the check and had not passed it in its stream; every late one of a subscriber
 * makes one finding, naming the one accepted first (the first put on a tie, as the in-memory list is
 * in put order).
 */
function judgeMissing(
  missing: readonly MissingInPart[],
  progress: ReadonlyMap<string, SubscriberProgress>,
  reached: ReadonlyMap<string, Place>,
  catchingUp: PubSubCheckOptions['catchingUp'],
): { lost: PubSubAnomaly[]; late: PubSubAnomaly[] } {
  const lost: PubSubAnomaly[] = [];
  const lateBySubscriber = new Map<string, { count: number; oldest: MissingInPart }>();
  for (const each of missing) {
    const { message, subscriber } = each.missing;
    const furthest = reached.get(streamId(subscriber, message.put.process, message.put.topic));
    const passed = furthest !== undefined && comparePlaces(furthest, each.accepted) > 0;
    const receiving = catchingUp !== undefined && (progress.get(subscriber)?.lastT ?? -Infinity) >= catchingUp.checkedAt - catchingUp.windowMs;
    if (!receiving || passed) {
      lost.push(lostFinding(each.missing, passed));
      continue;
    }
    const known = lateBySubscriber.get(subscriber);
    if (known === undefined) {
      lateBySubscriber.set(subscriber, { count: 1, oldest: each });
    } else {
      known.count++;
      const a = known.oldest;
      const b = each;
      const okA = a.missing.message.oks[0].t;
      const okB = b.missing.message.oks[0].t;
      if (okB < okA || (okB === okA && comparePlaces(b.put, a.put) < 0)) known.oldest = b;
    }
  }
  if (catchingUp === undefined) return { lost, late: [] };
  const late = [...lateBySubscriber].map(([subscriber, { count, oldest }]) => {
    const latest = progress.get(subscriber)?.latest;
    return lateFinding({ subscriber, count, oldest: oldest.missing, latest: latest?.event, latestAccepted: latest?.accepted }, catchingUp);
  });
  return { lost, late };
}

/**
 * reordered over the stream files: each stream's first deliveries in delivery order, ranked by
 * their first put-ok's place; the findings' events (both deliveries, both put-oks) are then read
 * back from the parts of their messages.
 */
function reorderedInStreams(history: PartitionedHistory, streams: StreamFiles): PubSubAnomaly[] {
  type Entry = StreamEntry & { delivered: Place; accepted: Place };
  const pairs: { finding: PubSubAnomaly; late: Entry; ahead: Entry }[] = [];
  streams.forEachStream((stream, records) => {
    const byAcceptance = [...records].sort((a, b) => comparePlaces(a.accepted, b.accepted));
    const rank = new Map(byAcceptance.map((record, index) => [record, index]));
    const entries: Entry[] = records.map((record) => ({ msg: record.msg, deliveredAt: record.delivered.t, acceptedAt: record.accepted.t, rank: rank.get(record) ?? 0, delivered: record.delivered, accepted: record.accepted }));
    findOvertaken(entries, (late, ahead, overtakers) => pairs.push({ finding: reorderedFinding(stream, late, ahead, overtakers, []), late, ahead }));
  });
  if (pairs.length === 0) return [];
  const wanted = new Map<number, Set<number>>();
  const want = (msg: string, place: Place): void => {
    const part = history.partOfKey(msg);
    const seqs = wanted.get(part) ?? new Set<number>();
    seqs.add(place.seq);
    wanted.set(part, seqs);
  };
  for (const { late, ahead } of pairs) {
    for (const entry of [late, ahead]) {
      want(entry.msg, entry.delivered);
      want(entry.msg, entry.accepted);
    }
  }
  const eventAt = new Map<number, PubSubEvent>();
  for (const [part, seqs] of wanted) {
    for (const { seq, event } of readPart(history.parts[part])) if (seqs.has(seq) && isPubSubEvent(event)) eventAt.set(seq, event);
  }
  const at = (place: Place): PubSubEvent[] => {
    const event = eventAt.get(place.seq);
    return event === undefined ? [] : [event];
  };
  return pairs.map(({ finding, late, ahead }) => ({ ...finding, events: [...at(ahead.delivered), ...at(late.delivered), ...at(late.accepted), ...at(ahead.accepted)] }));
}
