import path from 'node:path';
import { Dealer } from 'zeromq';
import { MajordomoClient } from '../../reference/client';
import { decodeJobReply, encodeJobRequest, KhxStatus, type Frame, type JobReply } from '../../reference/mdp/codec';
import type { BenchChild } from '../children';
import { expectPayload, pipelinedMeasurement, syncMeasurement, type MeasurementHeading } from '../kinds';
import { defineMeasurement, type Environment, type Measurement } from '../measurement';
import { SERVICE, startBrokerAndWorkers } from './reference-broker';

/**
 * Durable mode: KHX/1 job requests (a unique job id each, so every one is a new job that runs) to
 * the reference broker with its job store on a journal file (fdatasync on, group commit), against
 * the same broker with the in-memory store. Both use the layout of the reference-broker rows
 * (broker in one process, `settings.workers` MajordomoWorkers, KHX/1 on by default, in another),
 * so the two differ only in `--journal`.
 */
export interface KhxBroker {
  endpoint: string;
  /** The broker's `stats()`, asked over its stdin; only between runs. */
  stats(): Promise<StoreCounters>;
}

interface StoreCounters {
  /** Records handed to the store's log: 2 per job (accepted, completed), plus `forgotten` ones. */
  appends: number;
  /** Write+fdatasync rounds of the journal (always 0 in memory). */
  flushes: number;
}

const STATS_TIMEOUT_MS = 5000;

function khxBroker(durable: boolean): Environment<KhxBroker> {
  return {
    id: durable ? 'khx-broker-journal' : 'khx-broker-memory',
    description: durable
      ? 'reference Broker with a journal file, fsync on (one process) + MajordomoWorker echo workers (one process)'
      : 'reference Broker with the in-memory job store (one process) + MajordomoWorker echo workers (one process)',
    async start(context) {
      // A fresh directory per bench run, removed when the children are stopped (or the bench dies).
      const brokerArgs = durable ? ['--journal', path.join(context.children.tempDir('keelhaul-bench-journal-'), 'jobs.journal')] : [];
      const { endpoint, broker } = await startBrokerAndWorkers(context, { name: durable ? 'journal-broker' : 'memory-broker', brokerArgs });
      return { endpoint, stats: () => storeCounters(broker) };
    },
  };
}

export async function storeCounters(broker: BenchChild): Promise<StoreCounters> {
  const answer = await broker.request('stats', STATS_TIMEOUT_MS);
  const journal = (answer.stats as { store?: { journal?: Partial<StoreCounters> } } | undefined)?.store?.journal;
  if (typeof journal?.appends !== 'number' || typeof journal.flushes !== 'number') throw new Error(`${broker.name} answered stats without store.journal counters`);
  return { appends: journal.appends, flushes: journal.flushes };
}

export const khxMemoryBroker = khxBroker(false);
export const khxJournalBroker = khxBroker(true);

/** Job ids unique across bench runs too (a broker answers a known id from its record without running it). */
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let jobCounter = 0;
export function nextJobId(tag: string): string {
  return `${RUN}-${tag}-${jobCounter++}`;
}

/** The reference client as an application would use it for KHX/1: `request(service, body, { job })`, one new job id per call. */
export function khxSync(heading: MeasurementHeading<KhxBroker>): Measurement {
  return syncMeasurement<KhxBroker>({
    ...heading,
    open({ endpoint }, { payload, replyTimeoutMs }) {
      // One attempt: a lost reply fails the run instead of being retried (and hidden) by the client.
      const client = new MajordomoClient({ broker: endpoint, checkService: true, timeout: replyTimeoutMs, attempts: 1 });
      return {
        async call() {
          // request() rejects unless the broker answered 200 for this job.
          const reply = await client.request(SERVICE, [payload], { job: nextJobId('s') });
          if (reply.length !== 1) throw new Error(`reply body has ${reply.length} frames, expected 1`);
          expectPayload(reply[0], payload);
        },
        close: () => client.close(),
      };
    },
  });
}

/** How job requests and replies are framed: KHXC01 here, KHRC01 for a cluster (replicated-broker.ts). */
export interface JobWire {
  encode(service: string, job: string, body: readonly Frame[]): Frame[];
  decode(frames: readonly Frame[]): JobReply;
}

const KHX_WIRE: JobWire = { encode: encodeJobRequest, decode: decodeJobReply };

/**
 * Raw DEALERs speaking `wire` (default KHXC01: the codec's encodeJobRequest / decodeJobReply),
 * `settings.inFlight` jobs outstanding on each, sent to `pipelinedEndpoint` when the broker has one
 * (a cluster's leader), else `endpoint`; every reply must be a 200 for a job this connection has outstanding.
 */
export function khxPipelined<T extends KhxBroker & { pipelinedEndpoint?: string }>(heading: MeasurementHeading<T>, wire: JobWire = KHX_WIRE): Measurement {
  return pipelinedMeasurement<T>({
    ...heading,
    connect({ endpoint: anyEndpoint, pipelinedEndpoint }, { payload, replyTimeoutMs }, index) {
      const endpoint = pipelinedEndpoint ?? anyEndpoint;
      const socket = new Dealer({ linger: 0, receiveTimeout: replyTimeoutMs });
      socket.connect(endpoint);
      const outstanding = new Set<string>();
      return {
        socket,
        request() {
          const job = nextJobId(`p${index}`);
          outstanding.add(job);
          return wire.encode(SERVICE, job, [payload]);
        },
        check(frames) {
          const reply = wire.decode(frames);
          if (!outstanding.delete(reply.job)) throw new Error(`reply about job "${reply.job}", which this connection does not have outstanding`);
          if (reply.status !== KhxStatus.Done) throw new Error(`job ${reply.job} answered ${reply.status}, expected ${KhxStatus.Done}`);
          if (reply.service !== SERVICE) throw new Error(`reply from service "${reply.service}", expected "${SERVICE}"`);
          if (reply.body.length !== 1) throw new Error(`reply body has ${reply.body.length} frames, expected 1`);
          expectPayload(reply.body[0], payload);
        },
      };
    },
  });
}

/**
 * Adds the store's counters around each run of `inner`: fails the run if nothing was recorded (the
 * requests were not KHX/1 jobs), and with `batchFigure` reports the journal's appends per flush over
 * the run (warm-up and drain included), the group-commit batching factor.
 */
export function withStoreCounters(inner: Measurement, batchFigure?: { id: string; label: string }): Measurement {
  return defineMeasurement<KhxBroker>({
    id: inner.id,
    title: inner.title,
    environment: inner.environment as Environment<KhxBroker>,
    figures: batchFigure ? [...inner.figures, { ...batchFigure, unit: 'appends/flush' }] : inner.figures,
    async run(environment, settings) {
      const before = await environment.stats();
      const result = await inner.run(environment, settings);
      const after = await environment.stats();
      const appends = after.appends - before.appends;
      const flushes = after.flushes - before.flushes;
      if (appends <= 0) throw new Error(`${inner.id}: the broker recorded no job: the requests did not go through KHX/1`);
      if (!batchFigure) return result;
      if (flushes <= 0) throw new Error(`${inner.id}: the journal flushed nothing for ${appends} appends`);
      return { ...result, [batchFigure.id]: appends / flushes };
    },
  });
}

const MEMORY = 'KHX/1 broker, in-memory store';
const JOURNAL = 'KHX/1 broker, journal + fsync';

/** The non-durable baseline; compared with the plain 7/MDP broker rows to show what KHX/1 itself costs. */
export const khxMemorySync = withStoreCounters(khxSync({ environment: khxMemoryBroker, id: 'khx.memory.sync', title: `${MEMORY} (MajordomoClient)`, baseline: 'broker.sync' }));
export const khxMemoryPipelined = withStoreCounters(khxPipelined({ environment: khxMemoryBroker, id: 'khx.memory.pipelined', title: `${MEMORY} (raw KHXC01 DEALERs)`, baseline: 'broker.pipelined' }));

export const khxDurableSync = withStoreCounters(khxSync({ environment: khxJournalBroker, id: 'khx.durable.sync', title: `${JOURNAL} (MajordomoClient)`, baseline: 'khx.memory.sync' }), {
  id: 'khx.durable.sync.batch',
  label: `${JOURNAL}: sync, journal appends per flush`,
});
export const khxDurablePipelined = withStoreCounters(khxPipelined({ environment: khxJournalBroker, id: 'khx.durable.pipelined', title: `${JOURNAL} (raw KHXC01 DEALERs)`, baseline: 'khx.memory.pipelined' }), {
  id: 'khx.durable.pipelined.batch',
  label: `${JOURNAL}: pipelined, journal appends per flush`,
});
