import { performance } from 'node:perf_hooks';
import type { BenchChild } from '../children';
import { sleep } from '../deadline';
import { defineMeasurement, type Environment, type Figure, type Measurement, type Settings } from '../measurement';

/**
 * Fan-out throughput: one publisher in the bench process, N subscribers together in one child
 * process that counts what each of them received. The figure is what reached EVERY subscriber:
 * the slowest subscriber's count over the timed window, divided by the window. Counting at the
 * receiving end keeps a lossy floor (PUB drops at its high-water mark) from looking fast.
 */

/** What the subscribers process says when asked `counts` (pubsub-subscribers.js, pub-sub-floor-subscribers.js). */
export interface DeliveryCounts {
  /** `performance.now()` of the subscribers process when it answered: the window is timed on its clock. */
  atMs: number;
  /** Messages received (floor) or handed out by get() (KHP/1) so far, per subscriber. */
  received: number[];
  /** KHP/1 only: the last sequence handed out per subscriber (0 before the first). */
  last?: number[];
}

const COUNTS_TIMEOUT_MS = 5000;

/** Asks the subscribers process for its counts (answered synchronously in that process, between deliveries). */
export async function askCounts(subscribers: BenchChild, expected: number): Promise<DeliveryCounts> {
  const answer = await subscribers.request('counts', COUNTS_TIMEOUT_MS);
  const { at, received, last } = answer;
  const isCounts = (value: unknown): value is number[] => Array.isArray(value) && value.length === expected && value.every((n) => Number.isSafeInteger(n));
  if (typeof at !== 'number' || !isCounts(received) || (last !== undefined && !isCounts(last))) {
    throw new Error(`${subscribers.name} answered counts without ${expected} counts: ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return { atMs: at, received, last };
}

/** The environment side: wherever the subscribers are, they can be counted. */
export interface FanoutSubscribers {
  counts(): Promise<DeliveryCounts>;
}

/** The publishing side of one repetition, in the bench process. */
export interface FanoutPublisher {
  /** Publishes until `stopping()` turns true, then settles what it has in flight; rejects on any wrong answer. */
  run(stopping: () => boolean): Promise<void>;
  /** Messages published so far (the floor: sent; KHP/1: accepted by the proxy). */
  readonly published: number;
  /** After run(): resolves once every subscriber has everything it is going to get, so nothing spills into the next run. */
  drain(): Promise<void>;
  close(): void;
}

export interface FanoutResult {
  /** Messages per second that reached every subscriber (the slowest one's rate). */
  deliveredPerSecond: number;
  /** Messages per second the publisher published over the same window (timed on the bench's clock). */
  publishedPerSecond: number;
}

/**
 * One repetition: publish for `warmupMs` unrecorded, count each subscriber's messages over
 * `durationMs`, stop publishing, drain.
 */
export async function fanoutLoad(subscribers: FanoutSubscribers, publisher: FanoutPublisher, { warmupMs, durationMs }: Pick<Settings, 'warmupMs' | 'durationMs'>): Promise<FanoutResult> {
  let stopping = false;
  const publishing = publisher.run(() => stopping);
  // Surfaces a failed (or prematurely finished) publisher during the timed sleeps rather than after them.
  const failed = publishing.then(
    () => Promise.reject(new Error('the publisher stopped before it was told to')),
    (error: unknown) => Promise.reject(error),
  );
  failed.catch(() => undefined);
  try {
    await Promise.race([sleep(warmupMs), failed]);
    const before = await Promise.race([subscribers.counts(), failed]);
    const published0 = publisher.published;
    const t0 = performance.now();
    await Promise.race([sleep(durationMs), failed]);
    const after = await Promise.race([subscribers.counts(), failed]);
    const published1 = publisher.published;
    const t1 = performance.now();
    stopping = true;
    await publishing;
    await publisher.drain();
    const slowest = Math.min(...after.received.map((n, i) => n - before.received[i]));
    return {
      deliveredPerSecond: slowest / ((after.atMs - before.atMs) / 1000),
      publishedPerSecond: (published1 - published0) / ((t1 - t0) / 1000),
    };
  } finally {
    stopping = true;
  }
}

/**
 * Polls `counts` until `done` says the subscribers have it all. Fails when no subscriber has made
 * progress for `stallMs`: something was lost, or a subscriber hung.
 */
export async function waitForSubscribers(subscribers: FanoutSubscribers, done: (counts: DeliveryCounts) => boolean, stallMs: number, what: string): Promise<DeliveryCounts> {
  let counts = await subscribers.counts();
  let progressAt = performance.now();
  while (!done(counts)) {
    await sleep(10);
    const next = await subscribers.counts();
    if (next.received.some((n, i) => n !== counts.received[i])) progressAt = performance.now();
    else if (performance.now() - progressAt > stallMs) throw new Error(`${what}: no subscriber received anything for ${stallMs} ms (received ${next.received.join(', ')}${next.last ? `; last sequences ${next.last.join(', ')}` : ''})`);
    counts = next;
  }
  return counts;
}

/** What one repetition saw, for an audit of the system under test. */
export interface Repetition extends FanoutResult {
  /** Everything the publisher published in the repetition, warm-up and drain included. */
  publishedTotal: number;
}

/**
 * A fan-out row: figure `<id>.delivered` (msg/s to every subscriber), compared with the figure
 * `deliveredBaseline`; with `published`, also `<id>.published`. With `audit`, each repetition
 * is bracketed: `audit` runs before it (e.g. reads the proxy's counters) and returns the check that
 * runs after it, which throws if the system under test misbehaved and may add figures of its own.
 */
export function fanoutMeasurement<T extends FanoutSubscribers>(spec: {
  id: string;
  title: string;
  environment: Environment<T>;
  /** Figure whose median the delivered figure is divided by. */
  deliveredBaseline?: string;
  /** Also report the publishing rate, as `<id>.published`. */
  published?: { label: string };
  extraFigures?: Figure[];
  open(environment: T, settings: Settings): FanoutPublisher;
  audit?(environment: T): Promise<(repetition: Repetition) => Promise<Record<string, number>>>;
}): Measurement {
  const deliveredId = `${spec.id}.delivered`;
  const publishedId = `${spec.id}.published`;
  const figures: Figure[] = [
    ...(spec.published ? [{ id: publishedId, label: spec.published.label, unit: 'msg/s' as const }] : []),
    { id: deliveredId, label: `${spec.title}: delivered to each subscriber`, unit: 'msg/s', baseline: spec.deliveredBaseline },
    ...(spec.extraFigures ?? []),
  ];
  return defineMeasurement<T>({
    id: spec.id,
    title: spec.title,
    environment: spec.environment,
    figures,
    async run(environment, settings) {
      const check = await spec.audit?.(environment);
      const publisher = spec.open(environment, settings);
      let repetition: Repetition;
      try {
        const result = await fanoutLoad(environment, publisher, settings);
        repetition = { ...result, publishedTotal: publisher.published };
      } finally {
        publisher.close();
      }
      const extra = check ? await check(repetition) : {};
      return {
        [deliveredId]: repetition.deliveredPerSecond,
        ...(spec.published ? { [publishedId]: repetition.publishedPerSecond } : {}),
        ...extra,
      };
    },
  });
}
