import { Given, Then, When } from '@cucumber/cucumber';
import { setTimeout as sleep } from 'node:timers/promises';
import { servePlainPeers, StandInJobClient, StandInKhxWorker } from '../harness/probe/khx-broker-probe';
import { startsOf } from '../harness/systems/request-reply/expectations';
import { livenessPeriod } from '../harness/timing/timing';
import { Inconclusive } from '../harness/verdict/inconclusive';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
import type { KeelhaulWorld } from './world';

/**
 * KHX/1 broker rules a node under test cannot be made to provoke, provoked by stand-in peers of the
 * harness (harness/probe/khx-broker-probe.ts) on the broker under test: a job given back with
 * DISCONNECT, a job that expires (410), plain 7/MDP peers beside KHX/1 ones. Failures name the clause.
 */

/** The stand-in peers close at teardown: a client's answer, a worker's DISCONNECT, have somewhere to go until then. */
function keep<T extends { close(): void }>(world: KeelhaulWorld, peer: T): T {
  world.standInPeers.push(peer);
  return peer;
}

function jobClient(world: KeelhaulWorld): StandInJobClient {
  if (world.standInJobClient === undefined) throw new Error('no stand-in KHX/1 client sent a job');
  return world.standInJobClient;
}

When('a stand-in KHX\\/1 worker for {string} takes a job from a stand-in KHX\\/1 client', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, service: string) {
  const { cluster, timing } = this.harness;
  const worker = keep(this, new StandInKhxWorker(cluster.brokerEndpoint, service, timing.heartbeatInterval));
  if (!(await worker.register(2 * livenessPeriod(timing)))) {
    throw new Error(`khx1:worker-declares: the broker did not answer the stand-in worker's KHX/1 READY with the welcome (an empty RECORDED) within ${2 * livenessPeriod(timing)} ms: it does not speak KHX/1`);
  }
  const client = keep(this, new StandInJobClient(cluster.brokerEndpoint, service, 'stand-in-given-back-1'));
  await client.send();
  const job = await worker.takeJob(2 * livenessPeriod(timing));
  if (job !== client.job) throw new Inconclusive(`the stand-in worker, the only one for "${service}", got ${job === undefined ? 'no REQUEST' : `a REQUEST for ${job}`}, not ${client.job}: the job could not be given back`);
  this.standInJobClient = client;
  this.standInKhxWorker = worker;
  this.standInJob = client.job;
  this.standInSentAt = this.harness.history.now();
});

When('the stand-in worker gives the job back with DISCONNECT', async function (this: KeelhaulWorld) {
  const worker = this.standInKhxWorker;
  if (worker === undefined) throw new Error('no stand-in KHX/1 worker holds a job');
  // The worker under test, started just before, registers within a liveness period.
  await sleep(livenessPeriod(this.harness.timing));
  this.standInSentAt = this.harness.history.now();
  await worker.giveBack();
});

Then('another worker runs the given-back job within {int} liveness periods, inside the result grace', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const { history, timing } = this.harness;
  const job = jobClient(this).job;
  const boundMs = periods * livenessPeriod(timing);
  if (boundMs >= timing.resultGrace) throw new Inconclusive(`${periods} liveness periods (${boundMs} ms) are no shorter than the result grace (${timing.resultGrace} ms): a broker that holds a given-back job for the grace could not be told apart`);
  await waitFor(() => startsOf(history.events(), job).length > 0, { timeoutMs: boundMs, what: `a worker to run ${job}` }).catch(() => {
    throw new Error(`khx1:given-back-requeued: ${job}, given back unrun by a KHX/1 worker's DISCONNECT, reached no other worker within ${boundMs} ms (the result grace is ${timing.resultGrace} ms): the broker did not requeue it at once, with no grace`);
  });
});

Then('the stand-in client gets the result of the job\'s run on another worker', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const client = jobClient(this);
  const statuses = await client.statusesUntil(['200', '400', '410'], 2 * livenessPeriod(this.harness.timing) + this.harness.timing.workMs);
  if (statuses[statuses.length - 1] !== '200') throw new Error(`the stand-in client of ${client.job} was answered ${statuses.join(', ') || 'nothing'}, not 200 with the result of the job's run on the worker that took it over`);
});

Then('another worker runs the stuck job within the processing timeout and a liveness period', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const { history, timing } = this.harness;
  const job = jobClient(this).job;
  if (timing.processingTimeout === undefined) throw new Error('the broker was started without a processing timeout');
  // Counted from the dispatch to the stand-in; seen on the broker's next tick after the timeout.
  const boundMs = timing.processingTimeout + timing.heartbeatInterval + livenessPeriod(timing);
  const waited = history.now() - this.standInSentAt;
  // The other worker may have taken longer to start than the bound (a node's start on a loaded machine
  // takes seconds): once it is up, the broker has a liveness period to hand it the re-queued job.
  const lateStart = waited > boundMs - livenessPeriod(timing);
  const timeoutMs = Math.max(livenessPeriod(timing), boundMs - waited);
  await waitFor(() => startsOf(history.events(), job).length > 0, { timeoutMs, what: `a worker to run ${job}` }).catch(() => {
    const within = lateStart ? `within ${Math.round(waited + timeoutMs)} ms of its dispatch, a liveness period (${timeoutMs} ms) after the other worker was up` : `within ${boundMs} ms of its dispatch`;
    throw new Error(
      `khx1:processing-timeout-plain: ${job}, held by a KHX/1-only worker that heartbeats but never answers, reached no other worker ${within} (processing timeout ${timing.processingTimeout} ms): the broker did not re-queue it at once`,
    );
  });
});

When('a stand-in KHX\\/1 client sends a job to {string}, which no worker serves', async function (this: KeelhaulWorld, service: string) {
  const client = keep(this, new StandInJobClient(this.harness.cluster.brokerEndpoint, service, 'stand-in-expiring-1'));
  await client.send();
  this.standInJobClient = client;
  this.standInJob = client.job;
  this.standInSentAt = this.harness.history.now();
});

Then('the stand-in client is answered 410 once the request expiry has passed, and so is a retry of the job', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { cluster, timing } = this.harness;
  const client = jobClient(this);
  // A broker expires requests on its heartbeat tick: a liveness period of slack, and one more for the journal.
  const boundMs = timing.requestExpiry + 2 * livenessPeriod(timing);
  const statuses = await client.statusesUntil(['200', '400', '410'], boundMs);
  const last = statuses[statuses.length - 1];
  if (last !== '410') throw new Error(`khx1:expiry: a job no worker ever took was answered ${statuses.join(', ') || 'nothing'} within ${boundMs} ms (the request expiry is ${timing.requestExpiry} ms), not 410`);
  const retry = keep(this, new StandInJobClient(cluster.brokerEndpoint, client.service, client.job));
  await retry.send();
  const again = await retry.statusesUntil(['200', '202', '400', '410'], 2 * livenessPeriod(timing));
  if (again[again.length - 1] !== '410') throw new Error(`khx1:expiry: a retry of the expired job ${client.job} was answered ${again.join(', ') || 'nothing'}, not 410: the broker did not abandon it durably`);
});

When('a plain stand-in worker and a plain stand-in client meet on {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, service: string) {
  const { cluster, timing } = this.harness;
  this.plainPeers = await servePlainPeers(cluster.brokerEndpoint, service, 2 * livenessPeriod(timing), livenessPeriod(timing));
});

Then('the plain client was served through the plain worker, which heard nothing but 7\\/MDP', function (this: KeelhaulWorld) {
  const outcome = this.plainPeers;
  if (outcome === undefined) throw new Error('no plain stand-in peers met');
  const problems: string[] = [];
  if (!outcome.dispatched) problems.push('khx1:plain-client-served: the plain client\'s MDPC01 request never reached the plain worker registered for its service');
  else if (!outcome.answered) problems.push('khx1:plain-client-served: the plain worker\'s REPLY never reached the plain client, body intact');
  if (outcome.extensions.length > 0) problems.push(`khx1:plain-worker-served: the plain worker, which declared no extension, got ${outcome.extensions.join(', ')}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
});

Given('a broker that remembers completed jobs for {int} ms', async function (this: KeelhaulWorld, ms: number) {
  this.harness.timing.retentionMs = scaled(ms);
  await this.harness.cluster.startBroker();
});

/** A stand-in KHX/1 client's attempt of `job` on a fresh socket, as a KHX/1 client retries; resolves with its statuses. */
async function attempt(world: KeelhaulWorld, service: string, job: string): Promise<string[]> {
  const { cluster, timing } = world.harness;
  const client = keep(world, new StandInJobClient(cluster.brokerEndpoint, service, job));
  await client.send();
  world.standInJobClient = client;
  return client.statusesUntil(['200', '400', '410'], 2 * livenessPeriod(timing) + timing.workMs);
}

/** Waits out the worker's exec reports, which travel apart from the REPLY, and counts the job's runs. */
async function runsOf(world: KeelhaulWorld, job: string): Promise<number> {
  await sleep(livenessPeriod(world.harness.timing));
  return startsOf(world.harness.history.events(), job).length;
}

When("a stand-in KHX\\/1 client's job to {string} is answered 200", { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, service: string) {
  const job = 'stand-in-kept-1';
  const statuses = await attempt(this, service, job);
  if (statuses[statuses.length - 1] !== '200') throw new Error(`the stand-in client's job ${job} to "${service}", served by a worker, was answered ${statuses.join(', ') || 'nothing'}, not 200`);
  this.standInJob = job;
});

Then('a retry of the job within the retention is answered 200 without running it again', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const { service, job } = jobClient(this);
  const statuses = await attempt(this, service, job);
  const runs = await runsOf(this, job);
  if (statuses[statuses.length - 1] !== '200' || runs !== 1) {
    throw new Error(`khx1:retention: a retry of the completed job ${job} within the retention (${this.harness.timing.retentionMs} ms) was answered ${statuses.join(', ') || 'nothing'} and the job ran ${runs} times: it was not answered from the record`);
  }
});

When('the retention has passed', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { timing } = this.harness;
  // A broker forgets on its heartbeat tick: a liveness period of slack.
  await sleep((timing.retentionMs ?? 0) + livenessPeriod(timing));
});

Then('a retry of the job runs it again, as a new job', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const { service, job } = jobClient(this);
  const statuses = await attempt(this, service, job);
  const runs = await runsOf(this, job);
  if (statuses[statuses.length - 1] !== '200' || runs !== 2) {
    throw new Error(`khx1:retention: a retry of ${job} after its retention (${this.harness.timing.retentionMs} ms) had passed was answered ${statuses.join(', ') || 'nothing'} and the job ran ${runs} time(s) in all: the broker did not forget it as a completed job past its retention, to be run as a new one`);
  }
});
