import { performance } from 'node:perf_hooks';
import { createLogger } from '../../reference/util/log';
import { Subscriber } from '../../reference/pubsub/subscriber';
import { announce, arg, exitWithParent, fail, intArg, onRequest } from './child-io';

/**
 * `--count` reference KHP/1 Subscribers in ONE process (one process, not one each: the machine has
 * 2 cores and the proxy and the publisher need theirs), each on its own DEALER connection, each
 * subscribed to `--topic` and taking messages with `get()` back to back, as an application would:
 * get() records the position and then acknowledges. Positions live in memory (no positions file),
 * so nothing is written per message. Every message is checked: the topic, the payload length, and
 * the sequence, which must follow the previous one with no gap (get() hands them out in order, so a
 * gap or a repeat means the proxy lost or duplicated something). Announces `ready` once every
 * subscription is durable at the proxy, and answers `counts` with each subscriber's count and last
 * sequence and this process's clock.
 */
async function main(): Promise<void> {
  const proxy = arg('proxy');
  const topic = arg('topic');
  const payloadBytes = intArg('payload-bytes');
  const count = intArg('count');
  const logger = createLogger('bench-subscribers', 'warn');
  const subscribers: Subscriber[] = [];
  const received: number[] = [];
  const last: number[] = [];
  let closing = false;
  exitWithParent(async () => {
    closing = true;
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  });
  onRequest((type) => (type === 'counts' ? { at: performance.now(), received, last } : undefined));

  for (let i = 0; i < count; i++) {
    const subscriber = await Subscriber.open({ proxy, id: `bench-sub-${i}`, logger });
    subscribers.push(subscriber);
    await subscriber.subscribe(topic);
    received.push(0);
    // Owed every message after the subscription's position, none before.
    last.push(subscriber.positions().get(topic) ?? 0);
  }

  const take = async (subscriber: Subscriber, index: number): Promise<void> => {
    while (!closing) {
      const delivery = await subscriber.get(topic, { timeoutMs: 1000 });
      if (delivery === undefined) continue;
      if (delivery.topic !== topic || delivery.payload.length !== payloadBytes || delivery.seq !== last[index] + 1) {
        throw new Error(
          `subscriber ${index} got ${delivery.topic}#${delivery.seq} with ${delivery.payload.length} bytes, expected ${topic}#${last[index] + 1} with ${payloadBytes}`,
        );
      }
      last[index] = delivery.seq;
      received[index]++;
    }
  };
  subscribers.forEach((subscriber, index) => take(subscriber, index).catch(fail));
  announce({ type: 'ready', count, last });
}

main().catch(fail);
