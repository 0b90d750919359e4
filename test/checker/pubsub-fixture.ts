import type {
  DeliverEvent,
  HistoryEvent,
  PutEvent,
  PutFailEvent,
  PutInfoEvent,
  PutOkEvent,
  SubscribedEvent,
  SubscribeEvent,
  UnsubscribedEvent,
  UnsubscribeEvent,
} from '../../harness/history/event';

// Terse constructors for hand-built pub/sub histories; times are explicit so each test reads as a timeline.
export const put = (t: number, msg: string, topic = 'a', process = 'pub-1'): PutEvent => ({ type: 'put', t, process, topic, msg });
export const putOk = (t: number, msg: string, topic = 'a', process = 'pub-1'): PutOkEvent => ({ type: 'put-ok', t, process, topic, msg });
export const putFail = (t: number, msg: string, topic = 'a', process = 'pub-1'): PutFailEvent => ({ type: 'put-fail', t, process, topic, msg, error: 'rejected' });
export const putInfo = (t: number, msg: string, accepted?: boolean, topic = 'a', process = 'pub-1'): PutInfoEvent => ({
  type: 'put-info',
  t,
  process,
  topic,
  msg,
  error: 'timeout',
  ...(accepted === undefined ? {} : { accepted }),
});
export const subscribe = (t: number, subscriber: string, topic = 'a'): SubscribeEvent => ({ type: 'subscribe', t, subscriber, topic });
export const subscribed = (t: number, subscriber: string, topic = 'a'): SubscribedEvent => ({ type: 'subscribed', t, subscriber, topic });
export const unsubscribe = (t: number, subscriber: string, topic = 'a'): UnsubscribeEvent => ({ type: 'unsubscribe', t, subscriber, topic });
export const unsubscribed = (t: number, subscriber: string, topic = 'a'): UnsubscribedEvent => ({ type: 'unsubscribed', t, subscriber, topic });
export const deliver = (t: number, subscriber: string, msg: string, topic = 'a', publisher = 'pub-1'): DeliverEvent => ({ type: 'deliver', t, subscriber, topic, msg, publisher });

/** subscribe + subscribed for `subscriber` on `topic` at t and t + 1. */
export const joined = (t: number, subscriber: string, topic = 'a'): HistoryEvent[] => [subscribe(t, subscriber, topic), subscribed(t + 1, subscriber, topic)];
/** put + put-ok of `msg` at t and t + 1. */
export const accepted = (t: number, msg: string, topic = 'a', process = 'pub-1'): HistoryEvent[] => [put(t, msg, topic, process), putOk(t + 1, msg, topic, process)];

