import { Given, Then } from '@cucumber/cucumber';
import { takeOverBound } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import { endChaos, startChaosWorker } from '../harness/systems/request-reply/chaos-worker';
import { expectNoJobWhileStuck, expectSlowJobsTakenOver, expectTakenOver } from '../harness/systems/request-reply/processing-timeout-expectations';
import type { KeelhaulWorld } from './world';

/**
 * Processing timeouts (features/request-reply/processing-timeout.feature): a broker that takes a job
 * back from a worker that heartbeats but does not finish it, and workers in the chaos modes that make
 * one (busy, slow). The moves are in chaos-worker.ts, the expectations in processing-timeout-expectations.ts.
 */

Given('a broker with a processing timeout of {int} ms', async function (this: KeelhaulWorld, ms: number) {
  this.harness.timing.processingTimeout = scaled(ms);
  await this.harness.cluster.startBroker();
});

Given('1 busy worker serving {string}', { timeout: scaled(20_000) }, async function (this: KeelhaulWorld, service: string) {
  this.chaosWorker = await startChaosWorker(this.harness.cluster, this.harness.history, service, { kind: 'busy' });
});

Given('1 slow worker serving {string} whose {int} ms jobs take {int} times as long', { timeout: scaled(20_000) }, async function (this: KeelhaulWorld, service: string, workMs: number, factor: number) {
  this.chaosWorker = await startChaosWorker(this.harness.cluster, this.harness.history, service, { kind: 'slow', factor }, scaled(workMs));
});

/** The chaos worker, once the workload is over: its fault ends (and says what it hit) before anything is judged. */
async function chaosWorkerAfterLoad(world: KeelhaulWorld): Promise<string> {
  if (world.chaosWorker === undefined) throw new Error('no busy or slow worker was started');
  await world.workload?.wait(world.workloadBound);
  endChaos(world.harness.history, world.chaosWorker);
  return world.chaosWorker.name;
}

Then('the job the busy worker was stuck on was answered by another worker within the processing timeout and the recovery bound', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  const worker = await chaosWorkerAfterLoad(this);
  expectTakenOver(this.harness.history.events(), worker, takeOverBound(this.harness.timing));
});

Then('the busy worker started no other job until it reported that job killed', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  expectNoJobWhileStuck(this.harness.history.events(), await chaosWorkerAfterLoad(this), true);
});

Then('every job the slow worker started was killed and committed by another worker', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  expectSlowJobsTakenOver(this.harness.history.events(), await chaosWorkerAfterLoad(this));
});
