import { Then, When } from '@cucumber/cucumber';
import { expectDefiniteFailures, expectEveryCallSettledDefinitely, expectEveryJobAnswered } from '../harness/systems/request-reply/expectations';
import { endChaos } from '../harness/systems/request-reply/chaos-worker';
import { clientCallBound } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

function startJobs(world: KeelhaulWorld, jobsPerClient: number, service: string, concurrency: number): void {
  const options = { jobsPerClient, concurrency, service };
  world.workload = world.harness.startWorkload(options);
  world.workloadBound = world.harness.workloadBound(options);
}

async function finishJobs(world: KeelhaulWorld): Promise<void> {
  if (!world.workload) throw new Error('no workload was started');
  await world.workload.wait(world.workloadBound);
  // A busy or slow worker's fault lasts as long as the load: it ends, and says what it hit, before anything is judged.
  if (world.chaosWorker !== undefined) endChaos(world.harness.history, world.chaosWorker);
}

When('each client starts submitting {int} jobs to {string}, {int} at a time', function (this: KeelhaulWorld, jobs: number, service: string, concurrency: number) {
  startJobs(this, jobs, service, concurrency);
});

When('each client submits {int} (more )jobs to {string}, {int} at a time', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld, jobs: number, service: string, concurrency: number) {
  startJobs(this, jobs, service, concurrency);
  await finishJobs(this);
});

When('the client calls {string} {int} times', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld, service: string, calls: number) {
  startJobs(this, calls, service, 1);
  await finishJobs(this);
});

Then('the workload finishes', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await finishJobs(this);
});

Then('every job is answered exactly once', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await finishJobs(this);
  expectEveryJobAnswered(this.harness.history.events());
});

Then('every call ends in a reply or a definite failure', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await finishJobs(this);
  expectEveryCallSettledDefinitely(this.harness.history.events());
});

Then('every call to {string} fails definitely within its bound', function (this: KeelhaulWorld, service: string) {
  expectDefiniteFailures(this.harness.history.events(), service, clientCallBound(this.harness.timing));
});
