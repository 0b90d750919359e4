import assert from 'node:assert/strict';
import { PubSubProxy, type PubSubProxyOptions } from '../../reference/pubsub/proxy';
import { Subscriber, type Delivery, type SubscriberOptions } from '../../reference/pubsub/subscriber';
import { Publisher, type PublisherOptions } from '../../reference/pubsub/publisher';
import { freePort } from '../../harness/runtime/ports';
import { endpointAndDirPerTest } from '../support/endpoint-and-dir';

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


/** What each test of a suite gets from `proxyPerTest`. */
export interface ProxyPerTest {
  /** A tcp://127.0.0.1 endpoint on a port that was free when the test began. */
  readonly endpoint: string;
  /** A fresh temporary folder (journals, positions files). */
  readonly dir: string;
  /** The proxy the test started last; throws if it started none. */
  readonly proxy: PubSubProxy;
  /** Starts a proxy on `endpoint` (closing the one before, if any) with the fast timings. */
  start(options?: Partial<PubSubProxyOptions>): Promise<PubSubProxy>;
  /** Something to close after the test, before the proxy (last registered, first closed). */
  onClose(close: () => unknown): void;
  /** A publisher of `endpoint` with the fast timings, closed after the test. */
  publisher(id: string, options?: Partial<PublisherOptions>): Publisher;
  /** A subscriber of `endpoint` with the fast timings, closed after the test. */
  subscriber(id: string, options?: Partial<SubscriberOptions>): Promise<Subscriber>;
}

/** For each test of the enclosing suite: an endpoint, a folder and a proxy slot, all released after the test. */
export function proxyPerTest(prefix: string): ProxyPerTest {
  let current: PubSubProxy | undefined;
  const closers: (() => unknown)[] = [];
  const fresh = endpointAndDirPerTest(prefix, async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await current?.close();
    current = undefined;
  });
  return {
    get endpoint() {
      return fresh.endpoint;
    },
    get dir() {
      return fresh.dir;
    },
    get proxy() {
      if (current === undefined) throw new Error('the test started no proxy');
      return current;
    },
    async start(options = {}) {
      await current?.close();
      current = undefined;
      return (current = await startProxy({ endpoint: fresh.endpoint, ...options }));
    },
    onClose(close) {
      closers.push(close);
    },
    publisher(id, options = {}) {
      const created = new Publisher({ ...FAST_PUBLISHER, proxy: fresh.endpoint, id, ...options });
      closers.push(() => created.close());
      return created;
    },
    async subscriber(id, options = {}) {
      const created = await openSubscriber(fresh.endpoint, id, options);
      closers.push(() => created.close());
      return created;
    },
  };
}
