import path from 'node:path';
import { Dealer } from 'zeromq';
import { freePort } from '../../harness/runtime/ports';
import { decodeAtPublisher, encodePut } from '../../reference/pubsub/codec';
import { DEFAULT_PUBLISHER_OPTIONS, Publisher } from '../../reference/pubsub/publisher';
import type { PubSubProxyStats } from '../../reference/pubsub/proxy';
import type { BenchChild } from '../children';
import { closeQuietly } from '../kinds';
import { askCounts, fanoutMeasurement, waitForSubscribers, type FanoutPublisher, type FanoutSubscribers, type Repetition } from '../load/fanout';
import type { Environment, Measurement, Settings } from '../measurement';
import { FANOUT_SUBSCRIBERS, FANOUT_TOPIC } from './pub-sub-floor';

/**
 * Fan-out through the reference KHP/1 pub/sub proxy: the PubSubProxy in one process (default
 * options, its state in a journal file), `FANOUT_SUBSCRIBERS` reference Subscribers together in a
 * second process (pubsub-subscribers.js), and the publisher in the bench process. The journal is
 * fdatasync'ed (the proxy's default, what a user gets), or, to show what the disk's sync costs,
 * written without fdatasync.
 */
export interface PubSubFanout extends FanoutSubscribers {
  endpoint: string;
  /** The proxy's counters, asked over its stdin; only between runs. */
  stats(): Promise<ProxyCounters>;
  /**
   * The topic's last sequence the bench has seen accepted. Only the bench publishes, and every run
   * drains, so each accepted put must get exactly the next sequence.
   */
  topic: { last: number };
}

/** The proxy's own counters, and the journal's records and write(+fdatasync) rounds. */
type ProxyCounters = Pick<PubSubProxyStats, 'accepted' | 'deduplicated' | 'refusedBusy' | 'refusedBad' | 'delivered' | 'retransmitted' | 'malformed' | 'resets' | 'outOfOrder' | 'acks'> & { appends: number; flushes: number };

const STATS_TIMEOUT_MS = 5000;

async function proxyCounters(proxy: BenchChild): Promise<ProxyCounters> {
  const answer = await proxy.request('stats', STATS_TIMEOUT_MS);
  const stats = answer.stats as Partial<Record<keyof ProxyCounters, unknown>> & { store?: { journal?: { appends?: unknown; flushes?: unknown } } };
  const journal = stats?.store?.journal;
  const counters = {
    accepted: stats?.accepted,
    deduplicated: stats?.deduplicated,
    refusedBusy: stats?.refusedBusy,
    refusedBad: stats?.refusedBad,
    delivered: stats?.delivered,
    retransmitted: stats?.retransmitted,
    malformed: stats?.malformed,
    resets: stats?.resets,
    outOfOrder: stats?.outOfOrder,
    acks: stats?.acks,
    appends: journal?.appends,
    flushes: journal?.flushes,
  };
  for (const [name, value] of Object.entries(counters)) if (typeof value !== 'number') throw new Error(`${proxy.name} answered stats without ${name}`);
  return counters as ProxyCounters;
}

/**
 * A proxy and its subscribers. Every row gets its own pair, so that what one row published (the
 * proxy's dedup table, its journal) never weighs on another, and `--only` measures the same thing.
 */
function pubsubProxy(name: string, fsync: boolean): Environment<PubSubFanout> {
  return {
    id: name,
    description: `${name}: reference PubSubProxy, journal ${fsync ? 'with' : 'without'} fsync (one process) + ${FANOUT_SUBSCRIBERS} reference Subscribers (one process)`,
    async start({ children, settings: { payload }, timeoutMs }) {
      const endpoint = `tcp://127.0.0.1:${await freePort()}`;
      // A fresh directory per bench run (so TMPDIR chooses the disk), removed when the children stop.
      const journal = path.join(children.tempDir(`keelhaul-bench-${name}-`), 'pubsub.journal');
      const proxy = children.spawn(name, 'pubsub-proxy-server', ['--endpoint', endpoint, '--journal', journal, '--fsync', fsync ? 'on' : 'off']);
      await proxy.waitFor('ready', timeoutMs, 'the pub/sub proxy to bind');
      const subscribers = children.spawn(`${name}-subscribers`, 'pubsub-subscribers', [
        '--proxy',
        endpoint,
        '--topic',
        FANOUT_TOPIC,
        '--count',
        String(FANOUT_SUBSCRIBERS),
        '--payload-bytes',
        String(payload.length),
      ]);
      await subscribers.waitFor('ready', timeoutMs, `all ${FANOUT_SUBSCRIBERS} subscribers to subscribe`);
      return { endpoint, stats: () => proxyCounters(proxy), counts: () => askCounts(subscribers, FANOUT_SUBSCRIBERS), topic: { last: 0 } };
    },
  };
}

/** Unique across bench runs too: the proxy dedups by (publisher id, message id). */
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
/** Message ids of the pipelined publisher: unique across its repetitions, which share its publisher id. */
let pipelinedMessages = 0;

/** Checks an accepted put against what only this bench can have published, and counts it. */
function acceptedInOrder(environment: PubSubFanout, topic: string, seq: number): void {
  if (topic !== FANOUT_TOPIC) throw new Error(`put accepted on topic "${topic}", expected "${FANOUT_TOPIC}"`);
  if (seq !== environment.topic.last + 1) throw new Error(`put accepted as ${topic}#${seq}, expected #${environment.topic.last + 1}`);
  environment.topic.last = seq;
}

/** After the publisher stopped: every subscriber must reach exactly the last accepted sequence. */
async function drainTo(environment: PubSubFanout, replyTimeoutMs: number): Promise<void> {
  const target = environment.topic.last;
  const counts = await waitForSubscribers(environment, ({ last }) => (last ?? []).every((seq) => seq >= target), replyTimeoutMs, `waiting for every subscriber to reach ${FANOUT_TOPIC}#${target}`);
  if (counts.last?.some((seq) => seq !== target)) throw new Error(`subscribers are at ${counts.last.join(', ')}, past the last accepted sequence ${target}`);
}

/**
 * The reference Publisher as an application would use it: `put(topic, payload)` calls kept `window`
 * deep (a new put as soon as one resolves), each resolving once the proxy accepted it durably.
 * Window 1 is a revision 1 publisher: one put at a time, awaited before the next.
 */
function publisherWithWindow(window: number) {
  return (environment: PubSubFanout, { payload, replyTimeoutMs }: Settings): FanoutPublisher => {
    // One attempt: a lost answer fails the run instead of being retried (and hidden) by the publisher.
    const publisher = new Publisher({ proxy: environment.endpoint, id: `bench-${RUN}-${window}`, timeout: replyTimeoutMs, attempts: 1, window });
    let published = 0;
    const putOne = async (): Promise<void> => {
      const accepted = await publisher.put(FANOUT_TOPIC, payload);
      // Puts resolve in the order the proxy answered them, which is the order it accepted them.
      acceptedInOrder(environment, accepted.topic, accepted.seq);
      published++;
    };
    return {
      get published() {
        return published;
      },
      run(stopping) {
        // Refilled from each put's own callback: no Promise.race over the window, whose cost grows
        // with the window squared and would make the load generator the bottleneck.
        return new Promise<void>((resolve, reject) => {
          let outstanding = 0;
          let failure: unknown;
          const refill = (): void => {
            while (failure === undefined && !stopping() && outstanding < window) {
              outstanding++;
              putOne().then(
                () => {
                  outstanding--;
                  refill();
                },
                (error: unknown) => {
                  outstanding--;
                  failure ??= error;
                  refill();
                },
              );
            }
            if (outstanding === 0) {
              if (failure === undefined) resolve();
              else reject(failure);
            }
          };
          refill();
        });
      },
      drain: () => drainTo(environment, replyTimeoutMs),
      close: () => void publisher.close(),
    };
  };
}

const onePublisher = publisherWithWindow(DEFAULT_PUBLISHER_OPTIONS.window);

/**
 * One publisher id on one raw DEALER with `settings.inFlight` PUTs outstanding (the codec's
 * encodePut / decodeAtPublisher): the frames Publisher sends, without its one-put-at-a-time rule.
 * On one TCP connection with no retries, the proxy still sees the PUTs in send order.
 */
function pipelinedPublisher(environment: PubSubFanout, { payload, replyTimeoutMs, inFlight }: Settings): FanoutPublisher {
  const socket = new Dealer({ linger: 0, receiveTimeout: replyTimeoutMs });
  socket.connect(environment.endpoint);
  const publisherId = `bench-pipelined-${RUN}`;
  const outstanding = new Set<string>();
  let published = 0;
  const put = () => {
    const msg = String(pipelinedMessages++);
    outstanding.add(msg);
    return socket.send(encodePut(publisherId, msg, FANOUT_TOPIC, payload));
  };
  return {
    get published() {
      return published;
    },
    async run(stopping) {
      for (let i = 0; i < inFlight; i++) await put();
      while (outstanding.size > 0) {
        let frames: Buffer[];
        try {
          frames = await socket.receive();
        } catch (error) {
          throw new Error(`no answer within ${replyTimeoutMs} ms with ${outstanding.size} puts outstanding (${(error as Error).message})`);
        }
        const answer = decodeAtPublisher(frames);
        if (answer.kind === 'refused') throw new Error(`put ${answer.msg} refused (${answer.code}): ${answer.reason}`);
        if (answer.kind === 'batch') throw new Error('the proxy answered a BATCH this DEALER never sent');
        // This DEALER never says BATCH (a revision 3 publisher): one put per ACCEPTED, but nothing here depends on it.
        for (const accepted of answer.puts) {
          if (!outstanding.delete(accepted.msg)) throw new Error(`answer about message "${accepted.msg}", which is not outstanding`);
          acceptedInOrder(environment, accepted.topic, accepted.seq);
          published++;
          if (!stopping()) await put();
        }
      }
    },
    drain: () => drainTo(environment, replyTimeoutMs),
    close: () => closeQuietly(socket),
  };
}

/**
 * Reads the proxy's counters around each repetition: fails the run unless the proxy accepted
 * exactly what the bench saw accepted, each once, and delivered every one to every subscriber
 * (no retransmission, nothing malformed, no busy refusal); with `batchFigure`, reports the
 * journal's appends per flush over the repetition (warm-up and drain included).
 */
function auditProxy(id: string, batchFigure?: string) {
  return async (environment: PubSubFanout) => {
    const before = await environment.stats();
    return async ({ publishedTotal }: Repetition): Promise<Record<string, number>> => {
      const after = await environment.stats();
      const delta = (name: keyof ProxyCounters) => after[name] - before[name];
      const problems = [
        delta('accepted') !== publishedTotal && `the proxy accepted ${delta('accepted')} puts, the publisher saw ${publishedTotal}`,
        delta('deduplicated') > 0 && `${delta('deduplicated')} puts were duplicates`,
        delta('delivered') !== FANOUT_SUBSCRIBERS * publishedTotal && `the proxy sent ${delta('delivered')} DELIVERs for ${publishedTotal} messages × ${FANOUT_SUBSCRIBERS} subscribers`,
        delta('retransmitted') > 0 && `${delta('retransmitted')} DELIVERs were retransmitted`,
        delta('refusedBusy') + delta('refusedBad') > 0 && `${delta('refusedBusy') + delta('refusedBad')} puts were refused`,
        delta('malformed') > 0 && `${delta('malformed')} messages were malformed`,
        delta('resets') > 0 && `${delta('resets')} RESETs were sent`,
        delta('outOfOrder') > 0 && `${delta('outOfOrder')} windowed puts arrived ahead of their stream`,
      ].filter((problem): problem is string => typeof problem === 'string');
      if (problems.length > 0) throw new Error(`${id}: ${problems.join('; ')}`);
      if (!batchFigure) return {};
      if (delta('flushes') <= 0) throw new Error(`${id}: the journal flushed nothing for ${delta('appends')} appends`);
      return { [batchFigure]: delta('appends') / delta('flushes') };
    };
  };
}

function proxyRow(spec: {
  id: string;
  title: string;
  environment: Environment<PubSubFanout>;
  open: (environment: PubSubFanout, settings: Settings) => FanoutPublisher;
  batchLabel?: string;
  /** Also report the rate of accepted puts: whether the publisher outruns delivery. */
  published?: boolean;
}): Measurement {
  const batchFigure = spec.batchLabel ? `${spec.id}.batch` : undefined;
  return fanoutMeasurement<PubSubFanout>({
    id: spec.id,
    title: spec.title,
    environment: spec.environment,
    deliveredBaseline: 'fanout.floor.delivered',
    published: spec.published ? { label: `${spec.title}: puts accepted` } : undefined,
    extraFigures: batchFigure && spec.batchLabel ? [{ id: batchFigure, label: spec.batchLabel, unit: 'appends/flush' }] : [],
    open: spec.open,
    audit: auditProxy(spec.id, batchFigure),
  });
}

const FSYNC = 'KHP/1 proxy, journal + fsync';
const NO_FSYNC = 'KHP/1 proxy, journal without fsync';

export const fanoutFsync = proxyRow({
  id: 'fanout.fsync',
  title: `${FSYNC} (one Publisher)`,
  environment: pubsubProxy('pubsub-proxy-fsync', true),
  open: onePublisher,
  batchLabel: `${FSYNC}: one Publisher, journal appends per flush`,
});

export const fanoutFsyncWindow1 = proxyRow({
  id: 'fanout.fsync.window1',
  title: `${FSYNC} (one Publisher, window 1)`,
  environment: pubsubProxy('pubsub-proxy-fsync-window1', true),
  open: publisherWithWindow(1),
  batchLabel: `${FSYNC}: one Publisher with window 1, journal appends per flush`,
});

export const fanoutNoFsync = proxyRow({
  id: 'fanout.nofsync',
  title: `${NO_FSYNC} (one Publisher)`,
  environment: pubsubProxy('pubsub-proxy-nofsync', false),
  open: onePublisher,
});

export const fanoutFsyncPipelined = proxyRow({
  id: 'fanout.fsync.pipelined',
  title: `${FSYNC} (raw PUT DEALER, pipelined)`,
  environment: pubsubProxy('pubsub-proxy-fsync-pipelined', true),
  open: pipelinedPublisher,
  published: true,
  batchLabel: `${FSYNC}: pipelined PUTs, journal appends per flush`,
});
