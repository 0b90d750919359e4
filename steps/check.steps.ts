import { Then } from '@cucumber/cucumber';
import { checkStuck, parseRequestReplyProfile } from '../harness/checker';
import { clientCallBound, recoveryBound } from '../harness/timing/timing';
import { expectJobsAnswered, expectJobsCompletedElsewhere, expectJobsResentElsewhere, expectNoJobRanTwice, expectWorkerRanJobsSince } from '../harness/systems/request-reply/expectations';
import { waitFor } from '../harness/util/wait-for';
import { expectPass } from '../harness/verdict/inconclusive';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

Then('the history shows no anomaly the {string} profile forbids', function (this: KeelhaulWorld, profile: string) {
  const { judgement, summary } =
    profile === 'control'
      ? this.harness.checkControl()
      : profile === 'retry-policy'
        ? this.harness.checkRetryPolicy()
        : profile === 'replicated-exactly-once'
          ? this.harness.checkReplicated()
          : this.harness.check(parseRequestReplyProfile(profile));
  this.attach(summary, 'text/plain');
  expectPass(judgement, summary);
});

Then('the history shows no anomaly the {string} profile forbids, with a failover bound of {int} ms', function (this: KeelhaulWorld, profile: string, boundMs: number) {
  if (profile !== 'replicated-exactly-once') throw new Error(`a failover bound is for the replicated-exactly-once profile, not "${profile}"`);
  const { judgement, summary } = this.harness.checkReplicated('replicated-exactly-once', { failoverBoundMs: scaled(boundMs) });
  this.attach(summary, 'text/plain');
  expectPass(judgement, summary);
});

Then('no call is stuck', function (this: KeelhaulWorld) {
  const { timing, history } = this.harness;
  const stuck = checkStuck(history.events(), { callBound: clientCallBound(timing), recoveryBound: recoveryBound(timing) });
  if (stuck.length > 0) throw new Error(stuck.map((a) => a.detail).join('\n'));
});

Then('the jobs the fault hit were completed by other workers', function (this: KeelhaulWorld) {
  expectJobsCompletedElsewhere(this.harness.history.events(), this.faultJobs, this.faultTarget?.name ?? '');
});

Then('no job ran more than once', function (this: KeelhaulWorld) {
  expectNoJobRanTwice(this.harness.history.events());
});

Then('the jobs the fault hit were answered', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  // A KHX/1 broker may wait out its result grace before the answer comes: allow the recovery bound.
  const check = () => expectJobsAnswered(this.harness.history.events(), this.faultJobs, this.faultTarget?.name ?? '');
  await waitFor(() => succeeds(check), { timeoutMs: recoveryBound(this.harness.timing), what: 'the jobs the fault hit to be answered' }).catch(() => undefined);
  check();
});

Then('the broker re-sent the jobs the fault hit to other workers within the recovery bound', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const boundMs = recoveryBound(this.harness.timing);
  const check = () => expectJobsResentElsewhere(this.harness.history.events(), this.faultJobs, this.faultTarget?.name ?? '', boundMs);
  await waitFor(() => succeeds(check), { timeoutMs: boundMs, what: 'the jobs the fault hit to start on other workers' }).catch(() => undefined);
  check();
});

function succeeds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether workers ran jobs since the heal is only a fair question while there is work: the clients go
 * on calling (bounded by the recovery bound) until every one named has, or the bound says it never will.
 */
async function expectWorkersRanJobsSinceHeal(world: KeelhaulWorld, workers: readonly string[]): Promise<void> {
  const { history, timing } = world.harness;
  const check = () => workers.forEach((worker) => expectWorkerRanJobsSince(history.events(), worker, world.healedAt));
  if (!world.workload) throw new Error('no workload was started');
  await world.harness.submitUntil(() => succeeds(check), { service: world.workload.service, boundMs: recoveryBound(timing) });
  check();
}

Then(/^the (?:frozen|partitioned|faulted) worker has run jobs since (?:it resumed|the fault healed)$/, { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  await expectWorkersRanJobsSinceHeal(this, [this.faultTarget?.name ?? '']);
});

Then(/^every worker has run jobs since the (?:broker restarted|fault healed)$/, { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  await expectWorkersRanJobsSinceHeal(this, this.harness.cluster.workers.map((worker) => worker.name));
});
