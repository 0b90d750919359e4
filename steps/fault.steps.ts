import { When } from '@cucumber/cucumber';
import { livenessPeriod } from '../harness/timing/timing';
import { waitFor } from '../harness/util/wait-for';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';
import { callerStopGrace, STOP_GRACE_MS } from './stop-grace';

const FIND_JOB_TIMEOUT_MS = scaled(10_000);

When('a worker is killed while it holds a job', async function (this: KeelhaulWorld) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await this.strike({ kind: 'kill', target: worker.name }, worker);
});

When('a worker that holds a job is frozen for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await this.strike({ kind: 'freeze', target: worker.name, durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});

When('a worker that holds a job is cut off from the network for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await this.strike({ kind: 'isolate', target: worker.name, durationMs: periods * livenessPeriod(this.harness.timing) }, worker);
});

When(/^a worker that holds a job is stopped gracefully by (SIGTERM|closing its stdin)$/, { timeout: scaled(20_000) }, async function (this: KeelhaulWorld, how: string) {
  const worker = await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await this.strike({ kind: 'stop', target: worker.name, how: how === 'SIGTERM' ? 'signal' : 'stdin', graceMs: STOP_GRACE_MS }, worker);
});

/**
 * A client stopped mid-run, as an application shuts down: the workload gives it no more jobs, and it
 * has one reply timeout more than the usual grace to end the calls it has open and exit.
 */
When(/^a client with calls open is stopped gracefully by (SIGTERM|closing its stdin)$/, { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, how: string) {
  const { cluster, history, timing } = this.harness;
  if (!this.workload) throw new Error('no workload was started');
  // Mid-run: some calls answered, and the client stopped holds some open.
  await waitFor(() => history.events().filter((e) => e.type === 'ok').length >= 10, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: '10 answered jobs' });
  const withCallsOpen = () => cluster.clients.find((candidate) => cluster.openCalls(candidate.name).length > 0);
  await waitFor(() => withCallsOpen() !== undefined, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: 'a client with calls open' });
  const client = withCallsOpen() ?? cluster.clients[0];
  this.workload.retire(client);
  await this.strike({ kind: 'stop', target: client.name, how: how === 'SIGTERM' ? 'signal' : 'stdin', graceMs: callerStopGrace(timing) }, client);
});

// A graceful stop and start, as a supervisor or a rolling upgrade does it: whatever the broker held must come back with it.
When(/^the broker is stopped gracefully by (SIGTERM|closing its stdin) while a worker holds a job, and started again (\d+) ms later$/, { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, how: string, pauseMs: string) {
  await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  const broker = brokerOf(this);
  await this.strike({ kind: 'stop', target: broker.name, how: how === 'SIGTERM' ? 'signal' : 'stdin', graceMs: STOP_GRACE_MS, restartAfterMs: scaled(Number(pauseMs)) }, broker);
});

When('the broker is killed mid-run and restarted {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  const { history } = this.harness;
  // Mid-run: some jobs answered, some still open.
  await waitFor(() => history.events().filter((e) => e.type === 'ok').length >= 20, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: '20 answered jobs' });
  await crashRestartBroker(this, pauseMs);
});

function brokerOf(world: KeelhaulWorld) {
  const broker = world.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  return broker;
}

async function crashRestartBroker(world: KeelhaulWorld, pauseMs: number, kind: 'crash-restart' | 'lose-unsynced-writes' = 'crash-restart'): Promise<void> {
  const broker = brokerOf(world);
  await world.strike({ kind, target: broker.name, pauseMs: scaled(pauseMs) }, broker);
}

// A power cut (docs/power-loss.md): the crash, and whatever the broker wrote without making it durable is gone.
When('the broker loses its unsynced writes while a worker holds a job, and restarts {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  await this.harness.cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await crashRestartBroker(this, pauseMs, 'lose-unsynced-writes');
});

/**
 * A job whose result the broker recorded and whose client has not heard of it: the client hears
 * nothing from the broker from the moment one of its jobs starts until after the power cut, which
 * comes once that job is committed and its result has had a heartbeat to reach the broker. The
 * client's retry must get the recorded result, never a second run.
 */
When('the broker loses its unsynced writes after recording a job of {string} that the client has not heard of, and restarts {int} ms later', async function (this: KeelhaulWorld, name: string, pauseMs: number) {
  const { cluster, nemesis, timing } = this.harness;
  const { job } = await cluster.nextExecStart(FIND_JOB_TIMEOUT_MS, (candidate) => cluster.openCalls(name).includes(candidate), `no job of ${name} started`);
  const silence = await nemesis.begin({ kind: 'partition', links: { of: [name] }, direction: 'backward' });
  try {
    await cluster.nextExecEnd(FIND_JOB_TIMEOUT_MS, job);
    await sleep(timing.heartbeatInterval);
    await crashRestartBroker(this, pauseMs, 'lose-unsynced-writes');
  } finally {
    await silence.heal();
  }
});

When('the broker is killed once every worker is busy and more calls wait, and restarted {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  const { cluster, timing } = this.harness;
  const busy = () => cluster.workers.every((worker) => cluster.jobsInFlightOn(worker.name).length > 0);
  await waitFor(() => busy() && cluster.openCalls().length > cluster.workers.length, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: 'every worker busy and more calls open' });
  // The waiting calls were sent with the ones the workers took: a heartbeat more and the broker has them all.
  await sleep(timing.heartbeatInterval);
  await crashRestartBroker(this, pauseMs);
});

When('the broker is killed again as soon as it is back, and restarted {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  await crashRestartBroker(this, pauseMs);
});

When('{string} is killed', async function (this: KeelhaulWorld, name: string) {
  await this.strike({ kind: 'kill', target: this.harness.cluster.node(name).name });
});
