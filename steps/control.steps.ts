import { Then, When } from '@cucumber/cucumber';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  expectCallEndedWithoutReply,
  expectCallFailedKilled,
  expectEveryKillAnswered,
  expectKillAnswered,
  expectNeverRan,
  expectNoStartSince,
  expectReportedKilled,
  expectStartedAtMostOnce,
} from '../harness/systems/request-reply/kill-expectations';
import { expectEveryJobAnswered } from '../harness/systems/request-reply/expectations';
import { livenessPeriod, recoveryBound } from '../harness/timing/timing';
import { waitFor } from '../harness/util/wait-for';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';
import { brokerCrash, strikeOnMessage } from './trigger.steps';

/**
 * The control plane (KHC/1, features/control/): kills asked through the client drivers, drains and
 * stops through the broker. The moves are in the request-reply system (kill, drain, stop); what each
 * scenario expects is in kill-expectations.ts; these steps only name the moment.
 */

const FIND_JOB_TIMEOUT_MS = scaled(10_000);

function startLongJobs(world: KeelhaulWorld, jobs: number, service: string, ms: number, unstoppable: boolean): void {
  const options = { jobsPerClient: jobs, concurrency: jobs, service, payload: `work=${scaled(ms)}${unstoppable ? ',unstoppable' : ''}` };
  world.workload = world.harness.startWorkload(options);
  world.workloadBound = world.harness.workloadBound(options) + jobs * scaled(ms);
}

When('the client starts submitting {int} job(s) to {string} that take(s) {int} ms', function (this: KeelhaulWorld, jobs: number, service: string, ms: number) {
  startLongJobs(this, jobs, service, ms, false);
});

When('the client starts submitting {int} unstoppable job(s) to {string} that take(s) {int} ms', function (this: KeelhaulWorld, jobs: number, service: string, ms: number) {
  startLongJobs(this, jobs, service, ms, true);
});

async function killJob(world: KeelhaulWorld, job: string, client = world.harness.cluster.submitterOf(job)): Promise<void> {
  world.killedJob = job;
  await world.harness.cluster.kill(client, job, recoveryBound(world.harness.timing) + world.workloadBound);
}

/** Waits until a worker runs one of the open calls; that job becomes the scenario's job. */
async function runningJob(world: KeelhaulWorld): Promise<{ worker: string; job: string }> {
  const { cluster } = world.harness;
  const running = cluster.workers.map((worker) => ({ worker: worker.name, job: cluster.jobsInFlightOn(worker.name)[0] })).find((held) => held.job !== undefined);
  const found = running ?? (await cluster.nextExecStart(FIND_JOB_TIMEOUT_MS, (job) => cluster.openCalls().includes(job), 'no open call started'));
  world.killedJob = found.job;
  return found;
}

When('the client kills a job that is waiting in the queue', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { cluster, timing } = this.harness;
  await cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  // The waiting calls were sent with the one a worker took: a heartbeat more and the broker has them all.
  await sleep(timing.heartbeatInterval);
  const started = new Set(this.harness.history.events().flatMap((event) => (event.type === 'exec-start' ? [event.job] : [])));
  const waiting = cluster.openCalls().find((job) => !started.has(job));
  if (waiting === undefined) throw new Error('no call was waiting in the queue: every open call had started');
  await killJob(this, waiting);
});

When('the client kills that job once a worker runs it', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { job } = await runningJob(this);
  await killJob(this, job);
});

When('the client kills job {string}', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, job: string) {
  await killJob(this, job, this.harness.cluster.clients[0].name);
});

When('the clients kill {int} jobs, each the moment a worker finishes one', { timeout: scaled(120_000) }, async function (this: KeelhaulWorld, count: number) {
  const { cluster } = this.harness;
  const answers: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    // Half race a result on its way to the broker, half a job still running on another worker.
    const { job: finished, worker } = await cluster.nextExecEnd(FIND_JOB_TIMEOUT_MS);
    const target = i % 2 === 0 ? finished : (cluster.workers.map((w) => w.name).filter((name) => name !== worker).flatMap((name) => cluster.jobsInFlightOn(name))[0] ?? finished);
    answers.push(killJob(this, target));
  }
  await Promise.all(answers);
});

When('the worker running that job is cut off from the broker for {int} liveness periods, and the client kills the job meanwhile', { timeout: scaled(90_000) }, async function (this: KeelhaulWorld, periods: number) {
  const { worker, job } = await runningJob(this);
  const fault = await this.harness.nemesis.begin({ kind: 'partition', links: { of: [worker] } });
  this.rememberFault(fault.event, this.harness.node(worker));
  const answered = killJob(this, job);
  await sleep(periods * livenessPeriod(this.harness.timing));
  await fault.heal();
  this.markHealed();
  await answered;
});

When('the client kills that job once a worker runs it, and the broker is killed right after it sends the worker the KILL, which never arrives, and restarted {int} ms later', { timeout: scaled(90_000) }, async function (this: KeelhaulWorld, pauseMs: number) {
  const { worker, job } = await runningJob(this);
  let answered: Promise<void> | undefined;
  // The kill is sent once the proxy watches for it: the broker dies the moment its CONTROL KILL leaves, which is then lost.
  await strikeOnMessage(this, { links: { of: [worker] }, direction: 'backward', match: { command: 'CONTROL', job }, nth: 1, release: 'drop' }, brokerCrash(this, pauseMs), () => {
    answered = killJob(this, job);
  });
  await answered;
});

When('the worker running that job is killed and the client kills the job', { timeout: scaled(90_000) }, async function (this: KeelhaulWorld) {
  const { worker, job } = await runningJob(this);
  await this.strike({ kind: 'kill', target: worker }, this.harness.node(worker));
  await killJob(this, job);
});

When(
  /^every CONTROL on the links of the worker running that job reaches it twice, and the client kills the job$/,
  { timeout: scaled(60_000) },
  async function (this: KeelhaulWorld) {
    const { worker, job } = await runningJob(this);
    const fault = await this.harness.nemesis.begin({ kind: 'duplicate-messages', match: { command: 'CONTROL', job }, links: { of: [worker] }, direction: 'backward' });
    this.rememberFault(fault.event, this.harness.node(worker));
    try {
      await killJob(this, job);
    } finally {
      await fault.heal();
      this.markHealed();
    }
  },
);

/** Drops the first message `command` naming the running job on its worker's links (`direction` as the fault proxy names it), while the client kills that job. */
async function killLosingFirst(world: KeelhaulWorld, command: 'CONTROL' | 'CONTROL-ACK', direction: 'forward' | 'backward'): Promise<void> {
  const { worker, job } = await runningJob(world);
  const fault = await world.harness.nemesis.begin({ kind: 'drop-messages', match: { command, job }, limit: 1, links: { of: [worker] }, direction });
  world.rememberFault(fault.event, world.harness.node(worker));
  try {
    await killJob(world, job);
  } finally {
    await fault.heal();
    world.markHealed();
  }
}

When('the first CONTROL to the worker running that job is lost, and the client kills the job', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  await killLosingFirst(this, 'CONTROL', 'backward');
});

When('the first CONTROL-ACK from the worker running that job is lost, and the client kills the job', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  await killLosingFirst(this, 'CONTROL-ACK', 'forward');
});

function killedJob(world: KeelhaulWorld): string {
  if (world.killedJob === undefined) throw new Error('no job was killed');
  return world.killedJob;
}

Then('the kill is answered {string}', function (this: KeelhaulWorld, outcome: string) {
  if (outcome !== 'killed' && outcome !== 'finished' && outcome !== 'unknown') throw new Error(`unknown kill outcome "${outcome}"`);
  expectKillAnswered(this.harness.history.events(), killedJob(this), outcome);
});

Then('every kill is answered definitely', function (this: KeelhaulWorld) {
  expectEveryKillAnswered(this.harness.history.events());
});

Then('the killed job\'s call failed "killed"', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  const job = killedJob(this);
  await this.workload?.wait(this.workloadBound);
  expectCallFailedKilled(this.harness.history.events(), job);
});

Then('the killed job\'s call ended without a reply', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await this.workload?.wait(this.workloadBound);
  expectCallEndedWithoutReply(this.harness.history.events(), killedJob(this));
});

Then('the killed job never ran', function (this: KeelhaulWorld) {
  expectNeverRan(this.harness.history.events(), killedJob(this));
});

Then('the killed job never ran again', function (this: KeelhaulWorld) {
  expectStartedAtMostOnce(this.harness.history.events(), killedJob(this));
});

Then('the worker that ran the killed job reported it killed', function (this: KeelhaulWorld) {
  expectReportedKilled(this.harness.history.events(), killedJob(this));
});

Then('the worker that ran the killed job reported it killed once', function (this: KeelhaulWorld) {
  expectReportedKilled(this.harness.history.events(), killedJob(this), 1);
});

Then('every other job is answered exactly once', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await this.workload?.wait(this.workloadBound);
  const job = killedJob(this);
  expectEveryJobAnswered(this.harness.history.events().filter((event) => !('job' in event) || event.job !== job));
});

When('{string} is drained once it holds a job', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, name: string) {
  const { cluster } = this.harness;
  await waitFor(() => cluster.jobsInFlightOn(name).length > 0, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: `${name} to hold a job` });
  await cluster.drainWorker(name);
  this.drainedAt = this.harness.history.now();
});

When('{string} is stopped through the broker once it holds a job', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, name: string) {
  const { cluster } = this.harness;
  await waitFor(() => cluster.jobsInFlightOn(name).length > 0, { timeoutMs: FIND_JOB_TIMEOUT_MS, what: `${name} to hold a job` });
  await cluster.stopWorker(name);
});

Then('{string} started no job after it acknowledged the drain', function (this: KeelhaulWorld, name: string) {
  if (this.drainedAt === undefined) throw new Error('no worker was drained');
  expectNoStartSince(this.harness.history.events(), name, this.drainedAt);
});

Then('{string} exited by itself with status 0', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, name: string) {
  const node = this.harness.node(name);
  await waitFor(() => !node.running, { timeoutMs: 2 * livenessPeriod(this.harness.timing) + scaled(5_000), what: `${name} to exit after its STOP` });
  if (node.lastExit !== 'code 0') throw new Error(`${name} ended with ${node.lastExit}, expected code 0`);
});
