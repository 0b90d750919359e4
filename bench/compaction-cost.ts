import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { freePort } from '../harness/runtime/ports';
import { decodeClusterImage, encodeClusterImage } from '../reference/cluster/cluster-image';
import type { ClusterMember } from '../reference/cluster/cluster-members';
import { ClusterNode } from '../reference/cluster/cluster-node';
import { encodeSnapshotFile } from '../reference/cluster/snapshot-file';
import { JobStore, MemoryLog, type JobStoreOptions } from '../reference/journal/job-store';
import { createLogger, silentLogger } from '../reference/util/log';
import { median } from './stats';

/**
 * What a cluster node's Raft compaction costs its event loop at the bench's retention (every job
 * kept, bench/README.md "Replicated broker"): a job table of `--jobs` completed jobs (64-byte request
 * and reply, bench-like ids), each step of a compaction timed alone (median of `--reps`), then a
 * one-voter ClusterNode (real files, fsync off) filled with as many jobs through Raft while the event
 * loop's delay is sampled, across the compactions the doubling rule makes on the way.
 * `--no-compaction` fills the node the same way with compaction off: the loop delay of the load alone.
 *   node dist/bench/compaction-cost.js [--jobs 100000] [--reps 5] [--no-node] [--no-compaction]
 */
const args = process.argv.slice(2);
const JOBS = Number(valueOf('--jobs') ?? 100_000);
const REPS = Number(valueOf('--reps') ?? 5);
const PAYLOAD = Buffer.alloc(64, 0x61);
const STORE: JobStoreOptions = { retentionMs: 3_600_000, retentionCount: 10_000_000 };
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;

function valueOf(flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

function timed<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = run();
  return { ms: performance.now() - started, value };
}

function medianMs(run: () => unknown): number {
  const samples: number[] = [];
  for (let n = 0; n < REPS; n++) samples.push(timed(run).ms);
  return median(samples);
}

async function tableSteps(): Promise<void> {
  const store = JobStore.inMemory(STORE);
  for (let n = 0; n < JOBS; n++) {
    const job = `${RUN}-p0-${n}`;
    await store.accept(job, 'echo', [PAYLOAD]);
    await store.complete(job, [PAYLOAD]);
  }
  const members: ClusterMember[] = [{ id: 'b1', client: 'tcp://127.0.0.1:5001', replication: 'tcp://127.0.0.1:6001' }];
  const first = timed(() => store.liveRecordPayloads());
  const records = first.value;
  const image = encodeClusterImage({ records, members });
  const snapshot = { index: 1, term: 1, voters: ['b1'], data: image };
  const steps: [string, number][] = [
    ['liveRecordPayloads, first', first.ms],
    ['liveRecordPayloads, again', medianMs(() => store.liveRecordPayloads())],
    ['encodeClusterImage', medianMs(() => encodeClusterImage({ records, members }))],
    ['snapshot file bytes', medianMs(() => encodeSnapshotFile(snapshot))],
    ['decodeClusterImage', medianMs(() => decodeClusterImage(image))],
    ['JobStore.fromRecords (a follower installs it)', medianMs(() => JobStore.fromRecords(new MemoryLog(), STORE, decodeClusterImage(image).records))],
  ];
  console.log(`job table: ${JOBS} completed jobs, ${records.length} live records, image ${(image.length / 1e6).toFixed(1)} MB, snapshot file ${(encodeSnapshotFile(snapshot).reduce((sum, chunk) => sum + chunk.length, 0) / 1e6).toFixed(1)} MB`);
  for (const [step, ms] of steps) console.log(`  ${step.padEnd(48)} ${ms.toFixed(1)} ms`);
}

async function nodeLoopDelay(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'keelhaul-compaction-cost-'));
  const self: ClusterMember = { id: 'solo', client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}` };
  const node = await ClusterNode.start({ self, members: [self], join: false, dataDir, electionTimeoutMs: 1_000, heartbeatMs: 100, fsync: false, compactEvery: args.includes('--no-compaction') ? Number.MAX_SAFE_INTEGER : undefined, store: STORE, log: process.env.COMPACTION_COST_LOG === undefined ? silentLogger() : createLogger('compaction-cost', 'warn') });
  try {
    const deadline = Date.now() + 10_000;
    while (!node.isServing && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!node.isServing) throw new Error('the one-voter cluster did not serve within 10 s');
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const snapshots: number[] = [];
    const sampler = setInterval(() => {
      const snapshot = node.status().snapshot;
      if (snapshot !== (snapshots[snapshots.length - 1] ?? 0)) snapshots.push(snapshot);
    }, 20);
    const started = performance.now();
    const BATCH = 256;
    for (let from = 0; from < JOBS; from += BATCH) {
      const jobs = Array.from({ length: Math.min(BATCH, JOBS - from) }, (_, n) => `${RUN}-n-${from + n}`);
      // Bounded: a loop stalled past the election timeout deposes the leader, and its proposals then never settle.
      await within(Promise.all(jobs.map((job) => node.store.accept(job, 'echo', [PAYLOAD]))), `accepting jobs ${from}-${from + jobs.length - 1}`, node, delay);
      await within(Promise.all(jobs.map((job) => node.store.complete(job, [PAYLOAD]))), `completing jobs ${from}-${from + jobs.length - 1}`, node, delay);
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    delay.disable();
    console.log(`one-voter ClusterNode, ${JOBS} jobs through Raft in ${seconds.toFixed(1)} s, ${snapshots.length} compactions (snapshot indexes ${snapshots.join(', ')})`);
    console.log(`  event loop delay: max ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, mean ${(delay.mean / 1e6).toFixed(2)} ms`);
  } finally {
    await node.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function within(work: Promise<unknown>, what: string, node: ClusterNode, delay: ReturnType<typeof monitorEventLoopDelay>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const status = node.status();
      reject(new Error(`${what}: not done within 20 s (role ${status.role}, serving ${status.serving}, snapshot ${status.snapshot}, applied ${status.applied}; event loop delay max so far ${(delay.max / 1e6).toFixed(1)} ms)`));
    }, 20_000);
  });
  try {
    await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  await tableSteps();
  if (!args.includes('--no-node')) await nodeLoopDelay();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
