import { Given, When } from '@cucumber/cucumber';
import { livenessPeriod } from '../harness/timing/timing';
import { waitFor } from '../harness/util/wait-for';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

const FIND_TRAFFIC_TIMEOUT_MS = scaled(10_000);

Given('clients that wait {int} ms for a reply', function (this: KeelhaulWorld, ms: number) {
  this.harness.timing.clientTimeout = scaled(ms);
});

Given('clients that wait {int} liveness periods for a reply', function (this: KeelhaulWorld, periods: number) {
  this.harness.timing.clientTimeout = periods * livenessPeriod(this.harness.timing);
});

Given('clients that try each call up to {int} times', function (this: KeelhaulWorld, attempts: number) {
  this.harness.timing.clientAttempts = attempts;
});

When('a worker that holds a job is partitioned from the broker for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await this.strike({ kind: 'partition', links: { of: [worker.name] }, durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});

When('a worker that holds a job loses everything it sends to the broker for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await this.strike({ kind: 'partition', links: { of: [worker.name] }, direction: 'forward', durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});

When('a worker that holds a job is partitioned from the broker, finishes it cut off, and stays cut off for {int} liveness periods in all', async function (this: KeelhaulWorld, periods: number) {
  const { cluster, timing } = this.harness;
  const worker = await cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  const job = cluster.jobsInFlightOn(worker.name)[0];
  const finished = cluster.nextExecEnd(FIND_TRAFFIC_TIMEOUT_MS, job);
  const fault = await this.harness.nemesis.begin({ kind: 'partition', links: { of: [worker.name] } });
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
  await this.strike({ kind: 'partition', links: { of: [name] }, direction: 'backward', durationMs: scaled(ms) }, node);
});

When('the connections of a worker that holds a job are reset for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await this.strike({ kind: 'reset', timeoutMs: 0, links: { of: [worker.name] }, durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});

When('{string} is partitioned from the broker for {int} ms while it has calls open', async function (this: KeelhaulWorld, name: string, ms: number) {
  const { cluster } = this.harness;
  const node = cluster.node(name);
  await waitFor(() => cluster.openCalls(name).length > 0, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to have a call open` });
  await this.strike({ kind: 'partition', links: { of: [name] }, durationMs: scaled(ms) }, node);
});

When('the broker is blackholed for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const broker = this.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  await this.strike({ kind: 'partition', links: { of: [broker.name] }, durationMs: periods * livenessPeriod(this.harness.timing) }, broker);
});

When('the network is split between {string} and the rest for {int} liveness periods', async function (this: KeelhaulWorld, side: string, periods: number) {
  const names = side.split(',').map((name) => name.trim());
  for (const name of names) this.harness.cluster.node(name);
  await this.strike({ kind: 'partition', links: { across: names }, durationMs: periods * livenessPeriod(this.harness.timing) });
});

When('every link gets {int} ms of latency with {int} ms of jitter', async function (this: KeelhaulWorld, latency: number, jitter: number) {
  await this.strike({ kind: 'latency', latencyMs: scaled(latency), jitterMs: scaled(jitter), links: { all: true } });
});

When('every link slices data into {int}-byte pieces', async function (this: KeelhaulWorld, size: number) {
  await this.strike({ kind: 'slice', averageSize: size, sizeVariation: 0, delayMicros: 0, links: { all: true } });
});

When('the links heal', async function (this: KeelhaulWorld) {
  await this.harness.nemesis.healAll();
  this.markHealed();
});

When('the link {string} is partitioned for {int} liveness periods', async function (this: KeelhaulWorld, name: string, periods: number) {
  const from = name.split('->')[0];
  await this.strike({ kind: 'partition', links: { link: name }, durationMs: periods * livenessPeriod(this.harness.timing) }, this.harness.cluster.node(from));
});

When('every link is limited to {int} KB\\/s', async function (this: KeelhaulWorld, rate: number) {
  await this.strike({ kind: 'bandwidth', rateKBps: rate, links: { all: true } });
});

When('every connection of the workers closes after {int} bytes', async function (this: KeelhaulWorld, bytes: number) {
  const workers = this.harness.cluster.workers.map((worker) => worker.name);
  await this.strike({ kind: 'limit-data', bytes, links: { of: workers } });
});
