import assert from 'node:assert/strict';
import { PubSubProxy, type PubSubProxyOptions } from '../../reference/pubsub/proxy';
import { Subscriber, type Delivery, type SubscriberOptions } from '../../reference/pubsub/subscriber';
import { freePort } from '../../harness/runtime/ports';

/** Shared by the pub/sub network tests: fast timings, proxies on free ports, bounded collection. */

export const FAST = { heartbeatInterval: 50, heartbeatLiveness: 3 } as const;
export const FAST_SUBSCRIBER = { ...FAST, reconnectInitial: 20, reconnectMax: 100, requestTimeout: 200, operationTimeout: 5_000 } as const;
export const FAST_PUBLISHER = { timeout: 300, attempts: 20, backoffInitial: 20, backoffMax: 100 } as const;

export async function freeEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await freePort()}`;
}

/** Starts a proxy, retrying the bind for up to `retryMs` (a just-closed one may hold the port a moment). */
export async function startProxy(options: PubSubProxyOptions, retryMs = 2_000): Promise<PubSubProxy> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await PubSubProxy.start({ ...FAST, ...options });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

export function openSubscriber(proxy: string, id: string, options: Partial<SubscriberOptions> = {}): Promise<Subscriber> {
  return Subscriber.open({ ...FAST_SUBSCRIBER, proxy, id, ...options });
}

/** Takes messages until `count` arrived or `timeoutMs` passed; returns what it got. */
export async function collect(subscriber: Subscriber, count: number, timeoutMs: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const delivery = await subscriber.get(undefined, { timeoutMs: remaining });
    if (delivery !== undefined) got.push(delivery);
  }
  return got;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Per publisher and topic, message numbers only grow, and sequences are strictly increasing per topic. */
export function assertOrdered(got: Delivery[], who: string): void {
  const lastIndex = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  for (const delivery of got) {
    const key = `${delivery.publisher}/${delivery.topic}`;
    const index = Number(delivery.msg.split(':')[1]);
    assert.ok(index > (lastIndex.get(key) ?? -1), `${who}: ${delivery.msg} out of order on ${delivery.topic}`);
    lastIndex.set(key, index);
    assert.ok(delivery.seq > (lastSeq.get(delivery.topic) ?? 0), `${who}: sequence ${delivery.seq} out of order`);
    lastSeq.set(delivery.topic, delivery.seq);
  }
}

