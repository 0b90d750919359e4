import fs from 'node:fs';
import type { HistoryEvent } from '../../harness/history/event';
import { prng as random } from '../../test/support/prng';
import { EventQueue } from './event-queue';

/**
 * Large, realistic histories for measuring the checkers: what a long run of many clients and
 * workers (or publishers and subscribers) records, with client retries, faults that hit jobs and
 * messages in flight, and a known set of anomalies spread through the run. The same options give
 * the same history, and the generator says which findings a correct checker must report, so a
 * check of a generated history can be tested for exactly them at any size.
 */

/** A finding the checkers must report: its anomaly, the job or message it names, and whether a fault excuses it. */
export interface ExpectedFinding {
  name: string;
  job: string;
  explained?: boolean;
}

export interface GeneratorOptions {
  /** Stop once about this many events were written (the last job or message is completed). */
  events: number;
  seed?: number;
  /** How many of each kind of anomaly to plant, spread evenly through the run. */
  anomaliesEach?: number;
}

export interface GeneratedHistory {
  events: number;
  expected: ExpectedFinding[];
}

const round = (t: number): number => Math.round(t * 1000) / 1000;

/** Where generated events go: handed one at a time, in history order. */
export type EventSink = (event: HistoryEvent) => void;

/** The sink, counting what went through it: a generator stops at its target count. */
function countingSink(sink: EventSink): { write: EventSink; written(): number } {
  let written = 0;
  return {
    write: (event) => {
      sink(event);
      written++;
    },
    written: () => written,
  };
}

/** Plants `kinds` anomalies `each` times, evenly over `units` jobs or messages, away from both ends. */
function anomalyPlan(kinds: readonly string[], each: number, units: number): Map<number, string> {
  const plan = new Map<number, string>();
  kinds.forEach((kind, offset) => {
    for (let n = 0; n < each; n++) plan.set(Math.floor(((n + 0.5) * units) / (each + 1)) + 7 * offset + 11, kind);
  });
  return plan;
}

/** A health sample of the harness every simulated second: the monitor's `harness` events. */
function healthSample(t: number): HistoryEvent {
  return { type: 'harness', t, windowMs: 1000, lagMaxMs: 3.2, lagP99Ms: 1.1, load1: 0.8, cpus: 2 };
}

const JOB_GAP_MS = 0.2;
const FAULT_EVERY_JOBS = 4000;
const CLIENT_TIMEOUT_MS = 400;
/** The last jobs of a run, twice a client timeout's worth, get no retry. */
const RETRY_FREE_TAIL_JOBS = (2 * CLIENT_TIMEOUT_MS) / JOB_GAP_MS;
/** Past SCENARIO_TIMING's call bound (8.2 s): a call this long is stuck. */
const STUCK_CALL_MS = 8300;
const RR_ANOMALIES = ['duplicate-reply', 'duplicate-execution', 'stale-reply', 'unexpected', 'lost', 'stuck'] as const;

/**
 * A request-reply history: 64 clients calling 24 workers through a broker, a job every 0.2 ms, each
 * invoke → exec-start → exec-end → ok; some calls retried after a client timeout, some failing
 * definitely (no worker for the service) or indefinitely; a worker killed every 4,000 jobs with a
 * job on it, which the broker hands to another worker (re-run after a commit: an explained
 * duplicate execution); plus the planted anomalies.
 */
export function generateRequestReplyHistory(options: GeneratorOptions, sink: EventSink): GeneratedHistory {
  const rng = random(options.seed ?? 1);
  const clients = 64;
  const workers = 24;
  const jobs = Math.ceil(options.events / 4);
  const plan = anomalyPlan(RR_ANOMALIES, options.anomaliesEach ?? 10, jobs);
  const expected: ExpectedFinding[] = [];
  const queue = new EventQueue();
  const out = countingSink(sink);
  const write = out.write;
  let nextHealth = 1000;
  const worker = (): string => `worker-${1 + Math.floor(rng() * workers)}`;

  for (let k = 0; out.written() + queue.size < options.events; k++) {
    const t = round(10 + k * JOB_GAP_MS + rng() * 0.1);
    queue.drainUntil(t, write);
    if (t >= nextHealth) {
      write(healthSample(nextHealth));
      nextHealth += 1000;
    }
    const job = `job-${k}`;
    const process = `client-${1 + (k % clients)}`;
    const planted = plan.get(k);
    const faulted = planted === undefined && k % FAULT_EVERY_JOBS === FAULT_EVERY_JOBS / 2 && k < jobs - Math.min(30_000, jobs / 5);
    const dice = rng();
    const service = dice < 0.005 ? 'nobody-home' : 'echo';
    queue.push({ type: 'invoke', t, process, job, service });
    if (service === 'nobody-home') {
      queue.push({ type: 'fail', t: round(t + 0.3), process, job, error: 'no worker for service nobody-home' });
      continue;
    }
    if (planted === undefined && dice < 0.008) {
      // Every attempt timed out on the way to the broker: the outcome is unknown, nothing ran.
      queue.push({ type: 'info', t: round(t + 8 * CLIENT_TIMEOUT_MS), process, job, error: 'timeout after 8 attempts', accepted: false });
      continue;
    }
    // The first attempt lost on the way, the client's retry ran it. Not in the run's last stretch:
    // with no new calls coming, a worker sits idle while the retry waits (idle-worker-bypassed).
    const retried = planted === undefined && !faulted && dice < 0.02 && k < jobs - RETRY_FREE_TAIL_JOBS;
    const first = worker();
    let start = round(t + (retried ? CLIENT_TIMEOUT_MS : 0) + 0.05 + rng() * 0.5);
    let end = round(start + 0.1 + rng() * 2);
    if (faulted) {
      // The worker dies with the job on it; every other kill comes after its commit (the reply died with it).
      const committed = k % (2 * FAULT_EVERY_JOBS) === FAULT_EVERY_JOBS / 2;
      const id = `fault-${k}`;
      queue.push({ type: 'exec-start', t: start, worker: first, job });
      if (committed) queue.push({ type: 'exec-end', t: end, worker: first, job });
      const faultAt = round(end + 0.05);
      queue.push({ type: 'nemesis', t: faultAt, phase: 'start', id, fault: 'crash-restart', targets: [first], effect: { hit: true, jobsInFlight: [job] } });
      queue.push({ type: 'nemesis', t: round(faultAt + 40), phase: 'end', id, fault: 'crash-restart', targets: [first] });
      if (committed) expected.push({ name: 'duplicate-execution', job, explained: true });
      const again = first === 'worker-1' ? 'worker-2' : 'worker-1';
      start = round(faultAt + 150 + rng());
      end = round(start + 0.3);
      queue.push({ type: 'exec-start', t: start, worker: again, job });
      queue.push({ type: 'exec-end', t: end, worker: again, job });
      queue.push({ type: 'ok', t: round(end + 0.1), process, job, reply: job });
      continue;
    }
    queue.push({ type: 'exec-start', t: start, worker: first, job });
    if (planted === 'lost') {
      queue.push({ type: 'info', t: round(t + 8 * CLIENT_TIMEOUT_MS), process, job, error: 'timeout after 8 attempts', accepted: true });
      expected.push({ name: 'lost', job });
      continue;
    }
    queue.push({ type: 'exec-end', t: end, worker: first, job });
    if (planted === 'duplicate-execution') {
      const again = first === 'worker-1' ? 'worker-2' : 'worker-1';
      queue.push({ type: 'exec-start', t: round(end + 0.2), worker: again, job });
      queue.push({ type: 'exec-end', t: round(end + 0.4), worker: again, job });
      end = round(end + 0.4);
      expected.push({ name: 'duplicate-execution', job }, { name: 'gratuitous-duplicate', job });
    }
    const okAt = planted === 'stuck' ? round(t + STUCK_CALL_MS) : round(end + 0.05 + rng() * 0.3);
    const reply = planted === 'stale-reply' ? `job-${k - 1}` : job;
    queue.push({ type: 'ok', t: okAt, process, job, reply });
    if (planted === 'duplicate-reply') queue.push({ type: 'ok', t: round(okAt + 5), process, job, reply: job });
    if (planted === 'unexpected') queue.push({ type: 'ok', t: round(okAt + 1), process, job: `ghost-${k}`, reply: `ghost-${k}` });
    if (planted === 'unexpected') expected.push({ name: 'unexpected', job: `ghost-${k}` });
    else if (planted !== undefined && planted !== 'duplicate-execution') expected.push({ name: planted, job });
  }
  queue.drainAll(write);
  return { events: out.written(), expected };
}

const MESSAGE_GAP_MS = 0.3;
const PUT_OK_MS = 0.4;
const PROXY_CRASH_EVERY = 3000;
const CRASH_DOWN_MESSAGES = 50;
const PUBSUB_ANOMALIES = ['duplicate-delivery', 'lost', 'unexpected', 'reordered'] as const;

/**
 * A pub/sub history: 6 publishers, 10 durable subscribers on 5 topics (each subscriber on two, so
 * 4 subscribers a topic), a put every 0.3 ms, each put → put-ok → a deliver to every subscriber of
 * its topic; the proxy crashed every 3,000 messages (the puts meanwhile end indefinitely and are
 * never delivered), a subscriber frozen as often (its deliveries catch up after the thaw), plus the
 * planted anomalies.
 */
export function generatePubSubHistory(options: GeneratorOptions, sink: EventSink): GeneratedHistory {
  const rng = random(options.seed ?? 2);
  const publishers = 6;
  const subscriberCount = 10;
  const topics = ['orders', 'payments', 'stock', 'alerts', 'audit'];
  const messages = Math.ceil(options.events / 6);
  const plan = anomalyPlan(PUBSUB_ANOMALIES, options.anomaliesEach ?? 10, messages);
  const expected: ExpectedFinding[] = [];
  const queue = new EventQueue();
  const out = countingSink(sink);
  const write = out.write;
  const subscribers = Array.from({ length: subscriberCount }, (_, index) => ({
    name: `subscriber-${index + 1}`,
    topics: [topics[index % topics.length], topics[(index + 2) % topics.length]],
    latency: 0.5 + 0.1 * index,
    lastDelivery: 0,
    frozenUntil: 0,
  }));
  subscribers.forEach((subscriber, index) => {
    for (const topic of subscriber.topics) {
      queue.push({ type: 'subscribe', t: 0.1 * index, subscriber: subscriber.name, topic });
      queue.push({ type: 'subscribed', t: round(0.1 * index + 0.5), subscriber: subscriber.name, topic });
    }
  });
  const deliver = (subscriber: (typeof subscribers)[number], at: number, msg: string, topic: string, publisher: string): void => {
    // A frozen subscriber gets everything after its thaw, in order; nobody's deliveries overtake each other.
    const t = round(Math.max(at, subscriber.frozenUntil, subscriber.lastDelivery + 0.001));
    subscriber.lastDelivery = t;
    queue.push({ type: 'deliver', t, subscriber: subscriber.name, topic, msg, publisher });
  };
  let nextHealth = 1000;
  let proxyDownUntil = -1;

  for (let k = 0; out.written() + queue.size < options.events; k++) {
    const t = round(10 + k * MESSAGE_GAP_MS + rng() * 0.05);
    queue.drainUntil(t, write);
    if (t >= nextHealth) {
      write(healthSample(nextHealth));
      nextHealth += 1000;
    }
    const planted = plan.get(k);
    const late = k >= messages - Math.min(15_000, messages / 5);
    if (planted === undefined && !late && k % PROXY_CRASH_EVERY === 0 && k > 0) {
      const id = `proxy-crash-${k}`;
      queue.push({ type: 'nemesis', t, phase: 'start', id, fault: 'crash-restart', targets: ['pubsub-proxy'], effect: { hit: true, messagesOwed: 12 } });
      queue.push({ type: 'nemesis', t: round(t + CRASH_DOWN_MESSAGES * MESSAGE_GAP_MS), phase: 'end', id, fault: 'crash-restart', targets: ['pubsub-proxy'] });
      proxyDownUntil = k + CRASH_DOWN_MESSAGES;
    }
    if (planted === undefined && !late && k % PROXY_CRASH_EVERY === PROXY_CRASH_EVERY / 2) {
      const frozen = subscribers[Math.floor(rng() * subscribers.length)];
      const id = `freeze-${k}`;
      queue.push({ type: 'nemesis', t, phase: 'start', id, fault: 'freeze', targets: [frozen.name], effect: { hit: true, messagesOwed: 3, durationMs: 100 } });
      queue.push({ type: 'nemesis', t: round(t + 100), phase: 'end', id, fault: 'freeze', targets: [frozen.name] });
      frozen.frozenUntil = round(t + 100.01);
    }
    const publisher = `publisher-${1 + (k % publishers)}`;
    const topic = topics[Math.floor(rng() * topics.length)];
    const msg = `msg-${k}`;
    queue.push({ type: 'put', t, process: publisher, topic, msg });
    if (k < proxyDownUntil) {
      queue.push({ type: 'put-info', t: round(t + 400), process: publisher, topic, msg, error: 'timeout', accepted: false });
      continue;
    }
    const okAt = round(t + PUT_OK_MS);
    queue.push({ type: 'put-ok', t: okAt, process: publisher, topic, msg });
    const owed = subscribers.filter((subscriber) => subscriber.topics.includes(topic));
    if (planted === 'reordered') {
      // A second message of the same publisher and topic, delivered before this one to the first subscriber.
      const next = `${msg}-b`;
      queue.push({ type: 'put', t: round(t + 0.1), process: publisher, topic, msg: next });
      queue.push({ type: 'put-ok', t: round(okAt + 0.1), process: publisher, topic, msg: next });
      owed.forEach((subscriber, index) => {
        const order = index === 0 ? [next, msg] : [msg, next];
        for (const id of order) deliver(subscriber, okAt + 0.2 + subscriber.latency, id, topic, publisher);
      });
      expected.push({ name: 'reordered', job: msg });
      continue;
    }
    owed.forEach((subscriber, index) => {
      if (planted === 'lost' && index === 0) return;
      deliver(subscriber, okAt + subscriber.latency, msg, topic, publisher);
      if (planted === 'duplicate-delivery' && index === 0) deliver(subscriber, okAt + subscriber.latency, msg, topic, publisher);
    });
    if (planted === 'unexpected') {
      const ghost = `ghost-${k}`;
      deliver(owed[0], okAt + owed[0].latency, ghost, topic, publisher);
      expected.push({ name: 'unexpected', job: ghost });
    } else if (planted !== undefined) {
      expected.push({ name: planted, job: msg });
    }
  }
  queue.drainAll(write);
  return { events: out.written(), expected };
}

export type GeneratedSystem = 'request-reply' | 'pubsub';

/** Writes a generated history of `system` to `file` as JSON lines, in 1 MB chunks. */
export function writeGeneratedHistory(system: GeneratedSystem, file: string, options: GeneratorOptions): GeneratedHistory {
  const fd = fs.openSync(file, 'w');
  let chunk: string[] = [];
  let size = 0;
  const flush = (): void => {
    fs.writeSync(fd, chunk.join(''));
    chunk = [];
    size = 0;
  };
  try {
    const generate = system === 'pubsub' ? generatePubSubHistory : generateRequestReplyHistory;
    const result = generate(options, (event) => {
      const line = `${JSON.stringify(event)}\n`;
      chunk.push(line);
      size += line.length;
      if (size > 1 << 20) flush();
    });
    flush();
    return result;
  } finally {
    fs.closeSync(fd);
  }
}
