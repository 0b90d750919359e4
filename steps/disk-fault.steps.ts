import { Given, Then, When } from '@cucumber/cucumber';
import { expectRefusalsDuring, expectRefusedDuringThenAnswered } from '../harness/systems/request-reply/disk-fault-expectations';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../harness/util/wait-for';
import { scaled } from '../harness/util/time-scale';
import { Inconclusive } from '../harness/verdict/inconclusive';
import { ClauseBroken } from '../harness/probe/clause-broken';
import type { KeelhaulWorld } from './world';

/**
 * Disk faults (docs/disk-faults.md): scenarios tagged @disk-faults start every node that has a state
 * folder with the ledger library, whose switch fails the node's disk while it runs.
 */

const ANSWERED_TIMEOUT_MS = scaled(20_000);

Given('nodes whose disk the harness can fail', function (this: KeelhaulWorld) {
  const { runtime } = this.harness;
  if (!runtime.powerLoss) throw new Inconclusive(`the ${runtime.kind} runtime cannot fail a node's disk (docs/disk-faults.md)`);
  const problem = runtime.powerLossProblem?.();
  if (problem !== undefined) throw new Inconclusive(problem.replace('power loss', 'disk faults'));
});

async function onceAnswered(world: KeelhaulWorld, answered: number): Promise<void> {
  const { history } = world.harness;
  await waitFor(() => history.events().filter((event) => event.type === 'ok').length >= answered, { timeoutMs: ANSWERED_TIMEOUT_MS, what: `${answered} answered jobs` });
}

/**
 * The running workload's calls wait on jobs in the broker's hands, whose results it cannot record
 * while its disk refuses writes: the new calls, made a quarter into the fault by every client, are
 * what the broker must refuse. The step ends when the first workload has.
 */
When(/^the broker's disk (is full|turns read-only) for (\d+) ms once (\d+) jobs are answered, while each client submits (\d+) more jobs to "([^"]+)"$/, { timeout: scaled(120_000) }, async function (this: KeelhaulWorld, how: string, duration: string, answered: string, more: string, service: string) {
  const first = this.workload;
  if (!first) throw new Error('no workload was started');
  const firstBound = this.workloadBound;
  await onceAnswered(this, Number(answered));
  const broker = this.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  const durationMs = scaled(Number(duration));
  const fault = this.strike({ kind: how === 'is full' ? 'disk-full' : 'read-only', target: broker.name, durationMs, shortWrites: how === 'is full' ? 1 : 0 }, broker);
  await sleep(durationMs / 4);
  const options = { jobsPerClient: Number(more), concurrency: 1, service };
  this.workload = this.harness.startWorkload(options);
  this.workloadBound = this.harness.workloadBound(options);
  await fault;
  await first.wait(firstBound);
});

/**
 * The broker's fsyncs fail from the moment a job of `name` starts, and `name` hears nothing from the
 * broker from then until after the power cut that follows the fault: a broker that acknowledges
 * after a failed sync records that job's result only in the page cache, the cut takes it, and the
 * client's retry runs the job again. A careful broker stops at the failed sync; the worker keeps the
 * result it could not hand in, and the retry is answered with it after the restart.
 */
When('the broker\'s fsyncs fail for {int} ms from the start of a job of {string} that the client does not hear of, then it loses its unsynced writes and restarts {int} ms later', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, durationMs: number, name: string, pauseMs: number) {
  const { cluster, nemesis, timing } = this.harness;
  const broker = cluster.broker;
  if (!broker) throw new Error('no broker was started');
  const { job } = await cluster.nextExecStart(ANSWERED_TIMEOUT_MS, (candidate) => cluster.openCalls(name).includes(candidate), `no job of ${name} started`);
  const silence = await nemesis.begin({ kind: 'partition', links: { of: [name] }, direction: 'backward' });
  try {
    const fault = this.strike({ kind: 'fsync-fails', target: broker.name, durationMs: scaled(durationMs) }, broker);
    // A careful broker stops at its first failed sync, and a worker that loses its broker abandons its job: no end comes then.
    const ended = () => this.harness.history.events().some((event) => event.type === 'exec-end' && event.job === job);
    await waitFor(() => ended() || !broker.running, { timeoutMs: ANSWERED_TIMEOUT_MS, what: `job ${job} to end, or the broker to stop` });
    await sleep(timing.heartbeatInterval);
    await fault;
    await this.strike({ kind: 'lose-unsynced-writes', target: broker.name, pauseMs: scaled(pauseMs) }, broker);
  } finally {
    await silence.heal();
  }
});

Then('every call made while the disk fault lasted failed definitely or was answered, and every call made after it was answered', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  expectRefusedDuringThenAnswered(this.harness.history.events());
});

Then('some calls failed definitely while the disk fault lasted', function (this: KeelhaulWorld) {
  expectRefusalsDuring(this.harness.history.events());
});

/**
 * KHP/1 proxy rule 12: the proxy's fsyncs fail once messages flow; it must stop serving (exit 70)
 * rather than acknowledge what it could not make durable. A power cut then takes whatever it wrote
 * without syncing, and it starts again on its journal: every message it acknowledged must still be
 * delivered. A proxy that wrote nothing during the fault (no puts came) was not tested: INCONCLUSIVE.
 */
When("the pub\\/sub proxy's fsyncs fail for {int} ms once {int} messages are accepted, then it loses its unsynced writes and restarts {int} ms later", { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, durationMs: number, accepted: number, pauseMs: number) {
  const { pubsub, history } = this.harness;
  const proxy = pubsub.proxy;
  if (!proxy) throw new Error('no pub/sub proxy was started');
  await waitFor(() => pubsub.accepted() >= accepted, { timeoutMs: ANSWERED_TIMEOUT_MS, what: `${accepted} accepted messages` });
  const from = history.now();
  const fault = this.strike({ kind: 'fsync-fails', target: proxy.name, durationMs: scaled(durationMs) }, proxy);
  await waitFor(() => !proxy.running, { timeoutMs: scaled(durationMs), what: 'the proxy to stop' }).catch(() => undefined);
  await fault;
  const acceptedDuring = history.events().filter((event) => event.type === 'put-ok' && event.t >= from).length;
  if (proxy.running) {
    if (acceptedDuring === 0) throw new Inconclusive(`no put was accepted while the proxy's fsyncs failed (${durationMs} ms), and it went on: the fault may have met no write`);
    throw new ClauseBroken('khp1:journal-failure', `the proxy acknowledged ${acceptedDuring} puts during and after ${durationMs} ms of failing fsyncs and went on serving: after a failed fdatasync it stops`);
  }
  this.proxyExitOnDiskFault = proxy.lastExit;
  await this.strike({ kind: 'lose-unsynced-writes', target: proxy.name, pauseMs: scaled(pauseMs) }, proxy);
});

Then('the pub\\/sub proxy exited with status 70 at the failed sync', function (this: KeelhaulWorld) {
  if (this.proxyExitOnDiskFault !== 'code 70') throw new ClauseBroken('khp1:journal-failure', `the proxy stopped at the failed sync with ${this.proxyExitOnDiskFault ?? 'no exit recorded'}, not status 70`);
});
