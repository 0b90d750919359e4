import { When } from '@cucumber/cucumber';
import { livenessPeriod } from '../harness/cluster/timing';
import { waitFor } from '../harness/util/wait-for';
import type { KeelhaulWorld } from './world';

const FIND_JOB_TIMEOUT_MS = 10_000;

When('a worker is killed while it holds a job', async function (this: KeelhaulWorld) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  const fault = await this.harness.nemesis.kill(worker);
  this.rememberFault(fault, worker);
  this.markHealed();
});

When('a worker that holds a job is frozen for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  const fault = await this.harness.nemesis.freeze(worker, periods * livenessPeriod(this.harness.timing));
  this.rememberFault(fault, worker);
  this.markHealed();
});

When('the broker is killed mid-run and restarted {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  const { cluster, history } = this.harness;
  // Mid-run: some jobs answered, some still open.
  await waitFor(() => history.events().filter((e) => e.type === 'ok').length >= 20, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: '20 answered jobs' });
  const broker = cluster.broker;
  if (!broker) throw new Error('no broker was started');
  const fault = await this.harness.nemesis.kill(broker, { restartAfterMs: pauseMs });
  this.rememberFault(fault, broker);
  this.markHealed();
});

When('{string} is killed', async function (this: KeelhaulWorld, name: string) {
  const node = this.harness.cluster.node(name);
  const fault = await this.harness.nemesis.kill(node);
  this.rememberFault(fault, node);
  this.markHealed();
});
