import {
  isPubSubEvent,
  type DeliverEvent,
  type HistoryEvent,
  type NemesisEvent,
  type PubSubEvent,
  type PutEvent,
  type PutFailEvent,
  type PutInfoEvent,
  type PutOkEvent,
  type PutOutcomeEvent,
} from '../../history/event';
import { SubscriptionLogs } from './subscriptions';

/**
 * A pub/sub history indexed once for every pub/sub check. Events are ordered by `t` (stably, so
 * equal stamps keep history order) and each gets its position in that order; "before" in the rules
 * means an earlier position. Every index is a map, so building it and every check is linear (or
 * n log n) in the history's length.
 */

/** One message id and everything the publishers recorded about it. */
export interface Message {
  msg: string;
  /**
   * The first put of this id defines the message: its publisher (`put.process`), its topic and the
   * earliest moment it could have been accepted. A later put of the same id is a retry of the same
   * message (its outcomes count for the message); its own topic and publisher are ignored.
   */
  put: PutEvent;
  putPos: number;
  puts: PutEvent[];
  oks: PutOkEvent[];
  /** Position of the first put-ok: from then on the message is accepted. */
  firstOkPos: number | undefined;
  fails: PutFailEvent[];
  infos: PutInfoEvent[];
}

export interface Delivery {
  event: DeliverEvent;
  pos: number;
}

export interface PubSubHistory {
  /** The pub/sub events only, in check order. */
  events: PubSubEvent[];
  /** Message ids that were put, with their puts and outcomes. */
  messages: Map<string, Message>;
  /** put-ok / put-fail / put-info events for a message id that no put names. */
  orphanOutcomes: PutOutcomeEvent[];
  /** Every delivery, in check order. */
  deliveries: Delivery[];
  /** Deliveries per subscriber, then per message id, in check order. */
  deliveriesBySubscriber: Map<string, Map<string, Delivery[]>>;
  subscriptions: SubscriptionLogs;
  /** The nemesis events, in history order: what each fault said it hit (ineffective-fault). */
  faults: NemesisEvent[];
}

/** Whether the message was accepted: some attempt got a put-ok. */
export function isAccepted(message: Message): boolean {
  return message.oks.length > 0;
}

/**
 * Whether the message definitely never got in: no put-ok, no put-info, and every put attempt ended
 * in put-fail (at least as many put-fails as puts). An attempt with no outcome at all may still have
 * been accepted, so a retry that never answered keeps the message possible.
 */
export function isDefinitelyFailed(message: Message): boolean {
  return message.oks.length === 0 && message.infos.length === 0 && message.fails.length > 0 && message.fails.length >= message.puts.length;
}

export function indexPubSub(all: readonly HistoryEvent[]): PubSubHistory {
  const events = all.filter(isPubSubEvent).sort((a, b) => a.t - b.t);
  const messages = new Map<string, Message>();
  const outcomes: { event: PutOutcomeEvent; pos: number }[] = [];
  const deliveries: Delivery[] = [];
  const deliveriesBySubscriber = new Map<string, Map<string, Delivery[]>>();
  const subscriptions = new SubscriptionLogs();

  events.forEach((event, pos) => {
    switch (event.type) {
      case 'put': {
        const known = messages.get(event.msg);
        if (known === undefined) {
          messages.set(event.msg, { msg: event.msg, put: event, putPos: pos, puts: [event], oks: [], firstOkPos: undefined, fails: [], infos: [] });
        } else {
          known.puts.push(event);
        }
        break;
      }
      case 'put-ok':
      case 'put-fail':
      case 'put-info':
        outcomes.push({ event, pos });
        break;
      case 'subscribe':
      case 'subscribed':
      case 'unsubscribe':
      case 'unsubscribed':
        subscriptions.add(event, pos);
        break;
      case 'deliver': {
        const delivery = { event, pos };
        deliveries.push(delivery);
        let byMsg = deliveriesBySubscriber.get(event.subscriber);
        if (byMsg === undefined) {
          byMsg = new Map();
          deliveriesBySubscriber.set(event.subscriber, byMsg);
        }
        const list = byMsg.get(event.msg);
        if (list === undefined) byMsg.set(event.msg, [delivery]);
        else list.push(delivery);
        break;
      }
    }
  });

  // Outcomes are attached after every put is known, so an outcome stamped before its put still counts.
  const orphanOutcomes: PutOutcomeEvent[] = [];
  for (const { event, pos } of outcomes) {
    const message = messages.get(event.msg);
    if (message === undefined) {
      orphanOutcomes.push(event);
    } else if (event.type === 'put-ok') {
      message.oks.push(event);
      if (message.firstOkPos === undefined) message.firstOkPos = pos;
    } else if (event.type === 'put-fail') {
      message.fails.push(event);
    } else {
      message.infos.push(event);
    }
  }
  const faults = all.filter((event): event is NemesisEvent => event.type === 'nemesis');
  return { events, messages, orphanOutcomes, deliveries, deliveriesBySubscriber, subscriptions, faults };
}
