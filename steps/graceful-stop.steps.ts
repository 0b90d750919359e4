import { Then } from '@cucumber/cucumber';
import { expectAnsweredJobsRanOnce, expectExitedWithinGrace, expectOutcomesReported, withoutClient } from '../harness/nemesis/graceful-stop-expectations';
import { expectEveryJobAnswered } from '../harness/systems/request-reply/expectations';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

function stoppedNode(world: KeelhaulWorld): string {
  const node = world.faultTarget?.name;
  if (node === undefined) throw new Error('no node was stopped');
  return node;
}

Then('the node stopped gracefully exited by itself within its grace', function (this: KeelhaulWorld) {
  this.attach(expectExitedWithinGrace(this.harness.history.events()), 'text/plain');
});

Then(/^the stopped (?:client|publisher) reported an outcome for everything it had open$/, function (this: KeelhaulWorld) {
  this.attach(expectOutcomesReported(this.harness.history.events(), stoppedNode(this)), 'text/plain');
});

Then('every job the stopped client got a reply for ran exactly once', function (this: KeelhaulWorld) {
  this.attach(expectAnsweredJobsRanOnce(this.harness.history.events(), stoppedNode(this)), 'text/plain');
});

Then('every job of the other clients is answered exactly once', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  if (!this.workload) throw new Error('no workload was started');
  await this.workload.wait(this.workloadBound);
  expectEveryJobAnswered(withoutClient(this.harness.history.events(), stoppedNode(this)));
});
