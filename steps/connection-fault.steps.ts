import { Given, Then, When } from '@cucumber/cucumber';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectOthersRanJobsBetween } from '../harness/systems/request-reply/expectations';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/**
 * Connection faults (keelhaul extensions of the fault proxy: docs/fault-proxy.md). Each is measured
 * on the proxy: the end of the fault records how many connections it refused, hung or cut, and one
 * that touched none makes the scenario INCONCLUSIVE.
 */

const FIND_TRAFFIC_TIMEOUT_MS = scaled(10_000);

/** Before any node starts: on a fault proxy without them (a real Toxiproxy) the scenario is INCONCLUSIVE, not failed. */
Given("a fault proxy with keelhaul's connection toxics", async function (this: KeelhaulWorld) {
  const { network } = this.harness;
  if (!network) throw new Inconclusive('this scenario runs without the fault proxy, so connections cannot be faulted');
  if (!(await network.hasExtensionToxics())) throw new Inconclusive(`the fault proxy at ${network.url} has no keelhaul connection toxics (a real Toxiproxy has not): run without TOXIPROXY_URL`);
});

/** When the last refusal began and ended (history times), for the check that open connections kept working. */
const refusals = new WeakMap<KeelhaulWorld, { worker: string; from: number; to: number }>();

When('new connections from the workers are refused while a worker that holds a job crashes and restarts, for {int} liveness periods', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const { cluster, nemesis, history, timing } = this.harness;
  const worker = await cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  const refuse = await nemesis.begin({ kind: 'refuse-connections', links: { of: cluster.workers.map((node) => node.name) } });
  const from = history.now();
  await this.strike({ kind: 'crash-restart', target: worker.name, pauseMs: livenessPeriod(timing) }, worker);
  await sleep(Math.max(0, periods * livenessPeriod(timing) - (history.now() - from)));
  await refuse.heal();
  this.markHealed();
  refusals.set(this, { worker: worker.name, from, to: this.healedAt });
});

Then('the other workers kept running jobs on their open connections meanwhile', function (this: KeelhaulWorld) {
  const refusal = refusals.get(this);
  if (!refusal) throw new Error('no connection refusal happened in this scenario');
  expectOthersRanJobsBetween(this.harness.history.events(), refusal.worker, refusal.from, refusal.to);
});

When('{string} stops hearing the broker on its open connection, and its new connections hang, for {int} ms', async function (this: KeelhaulWorld, name: string, ms: number) {
  const { cluster, nemesis, history } = this.harness;
  const node = cluster.node(name);
  // A reply first: the reference client opens its socket at its first call, and a connection still
  // being made when the faults begin would be neither cut nor hung.
  const answered = (): boolean => history.events().some((event) => event.type === 'ok' && event.process === name);
  await waitFor(() => answered() && cluster.openCalls(name).length > 0, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to have had a reply and have a call open` });
  // The silence first, while the client's connection is surely open (a connection the hang held
  // would not be cut); the hang follows within an API call, long before the client's first timeout.
  const silence = await nemesis.begin({ kind: 'half-open', fin: false, links: { of: [name] }, direction: 'backward' });
  const hang = await nemesis.begin({ kind: 'hang-connections', links: { of: [name] } });
  this.rememberFault(silence.event, node);
  await sleep(scaled(ms));
  await silence.heal();
  await hang.heal();
  this.markHealed();
});

When('a worker that holds a job stops hearing the broker on its open connection for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  await this.strike({ kind: 'half-open', fin: false, links: { of: [worker.name] }, direction: 'backward', durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});
