import { Given, When } from '@cucumber/cucumber';
import { livenessPeriod } from '../harness/cluster/timing';
import type { ActiveLinkFault, LinkNemesis } from '../harness/nemesis/link-nemesis';
import type { NodeHandle } from '../harness/runtime/node-handle';
import { waitFor } from '../harness/util/wait-for';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

const FIND_TRAFFIC_TIMEOUT_MS = scaled(10_000);

function links(world: KeelhaulWorld): LinkNemesis {
  if (!world.harness.links) throw new Error('this scenario runs without the fault proxy, so links cannot be faulted');
  return world.harness.links;
}

/** Remembers what the fault hit, holds it for `ms` (if given), and notes when it healed. */
async function hold(world: KeelhaulWorld, fault: ActiveLinkFault, target: NodeHandle | undefined, ms?: number): Promise<void> {
  world.rememberFault(fault.event, target);
  if (ms === undefined) return;
  await fault.healAfter(ms);
  world.markHealed();
}

Given('clients that wait {int} ms for a reply', function (this: KeelhaulWorld, ms: number) {
  this.harness.timing.clientTimeout = scaled(ms);
});

Given('clients that try each call up to {int} times', function (this: KeelhaulWorld, attempts: number) {
  this.harness.timing.clientAttempts = attempts;
});

When('a worker that holds a job is partitioned from the broker for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await hold(this, await links(this).partition(links(this).linksOf(worker.name)), worker, periods * livenessPeriod(this.harness.timing));
});

When('a worker that holds a job loses everything it sends to the broker for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await hold(this, await links(this).partition(links(this).linksOf(worker.name), 'forward'), worker, periods * livenessPeriod(this.harness.timing));
});

When('a worker that holds a job is partitioned from the broker, finishes it cut off, and stays cut off for {int} liveness periods in all', async function (this: KeelhaulWorld, periods: number) {
  const { cluster, timing } = this.harness;
  const worker = await cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  const job = cluster.jobsInFlightOn(worker.name)[0];
  const finished = cluster.nextExecEnd(FIND_TRAFFIC_TIMEOUT_MS, job);
  const fault = await links(this).partition(links(this).linksOf(worker.name));
  const startedAt = Date.now();
  this.rememberFault(fault.event, worker);
  // The result exists only in the cut-off worker's hands: the broker must wait for it, not run the job again.
  await finished;
  await sleep(Math.max(0, periods * livenessPeriod(timing) - (Date.now() - startedAt)));
  await fault.heal();
  this.markHealed();
});

When('{string} hears nothing from the broker for {int} ms from the moment a worker starts one of its jobs', async function (this: KeelhaulWorld, name: string, ms: number) {
  const { cluster } = this.harness;
  const node = cluster.node(name);
  // Struck once a request of the client's is already running: its reply is sure to be lost, so the
  // client must retry that same job. (A retry's new connection cannot finish its handshake until the heal.)
  await cluster.nextExecStart(FIND_TRAFFIC_TIMEOUT_MS, (job) => cluster.openCalls(name).includes(job), `no job of ${name} started`);
  await hold(this, await links(this).partition(links(this).linksOf(name), 'backward'), node, scaled(ms));
});

When('the connections of a worker that holds a job are reset for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await hold(this, await links(this).reset(links(this).linksOf(worker.name), 0), worker, periods * livenessPeriod(this.harness.timing));
});

When('{string} is partitioned from the broker for {int} ms while it has calls open', async function (this: KeelhaulWorld, name: string, ms: number) {
  const { cluster } = this.harness;
  const node = cluster.node(name);
  await waitFor(() => cluster.openCalls(name).length > 0, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to have a call open` });
  await hold(this, await links(this).partition(links(this).linksOf(name)), node, scaled(ms));
});

When('the broker is blackholed for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const broker = this.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  await hold(this, await links(this).partition(links(this).linksOf(broker.name)), broker, periods * livenessPeriod(this.harness.timing));
});

When('the network is split between {string} and the rest for {int} liveness periods', async function (this: KeelhaulWorld, side: string, periods: number) {
  const names = side.split(',').map((name) => name.trim());
  for (const name of names) this.harness.cluster.node(name);
  await hold(this, await links(this).partition(links(this).linksAcross(names)), undefined, periods * livenessPeriod(this.harness.timing));
});

When('every link gets {int} ms of latency with {int} ms of jitter', async function (this: KeelhaulWorld, latency: number, jitter: number) {
  const network = links(this);
  await hold(this, await network.latency(this.harness.network!.all(), scaled(latency), scaled(jitter)), undefined);
});

When('every link slices data into {int}-byte pieces', async function (this: KeelhaulWorld, size: number) {
  const network = links(this);
  await hold(this, await network.slice(this.harness.network!.all(), size, 0, 0), undefined);
});

When('the links heal', async function (this: KeelhaulWorld) {
  await links(this).healAll();
  this.markHealed();
});

When('the link {string} is partitioned for {int} liveness periods', async function (this: KeelhaulWorld, name: string, periods: number) {
  const link = this.harness.network!.named(name);
  await hold(this, await links(this).partition([link]), this.harness.cluster.node(link.from), periods * livenessPeriod(this.harness.timing));
});

When('every link is limited to {int} KB\\/s', async function (this: KeelhaulWorld, rate: number) {
  await hold(this, await links(this).bandwidth(this.harness.network!.all(), rate), undefined);
});

When('every connection of the workers closes after {int} bytes', async function (this: KeelhaulWorld, bytes: number) {
  const workerLinks = this.harness.cluster.workers.flatMap((worker) => links(this).linksOf(worker.name));
  await hold(this, await links(this).limitData(workerLinks, bytes), undefined);
});
