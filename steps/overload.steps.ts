import { Given, Then, When } from '@cucumber/cucumber';
import { GOODPUT_WINDOW_MS } from '../harness/checker/retry-policy';
import { expectGoodputRecovered } from '../harness/systems/request-reply/overload-expectations';
import { clientCallBound, declareClassesAndPolicy } from '../harness/timing/timing';
import { scaled, timeScale } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/**
 * Overload that recovers (features/request-reply/overload.feature, issue #19 item 5): an open-loop
 * workload (open-loop-workload.ts), the capacity and recovery a scenario declares (RequestReplySystem.
 * declareOverload), and the goodput check (harness/checker/retry-policy/goodput-not-recovered.ts).
 */

Given('overload declared with the classes {string} and the retry policy {string}', function (this: KeelhaulWorld, classes: string, policy: string) {
  declareClassesAndPolicy(this.harness.timing, classes, policy, timeScale());
});

Given('overload declared for {string}: goodput back to {int}% of its workers\' capacity within {int} ms of the last fault', function (this: KeelhaulWorld, service: string, percent: number, withinMs: number) {
  this.harness.cluster.declareOverload(service, { fraction: percent / 100, recoverWithinMs: scaled(withinMs), windowMs: scaled(GOODPUT_WINDOW_MS) });
});

/**
 * Workers whose job time stretches with the time scale (the shared worker step keeps it as written):
 * with the offered rate divided by the same scale below, the overload stays 2× on a loaded machine.
 */
Given('overload declared with {int} workers serving {string} whose jobs take {int} ms, stretched by the time scale', async function (this: KeelhaulWorld, count: number, service: string, workMs: number) {
  await this.harness.cluster.startWorkers(count, service, scaled(workMs));
});

/** On a slow machine the rate drops and the duration stretches by the time scale, as the workers' jobs do: the overload stays 2×. */
When('each client offers {int} jobs per second to {string} for {int} ms, at most {int} at a time', function (this: KeelhaulWorld, perSecond: number, service: string, durationMs: number, maxOutstanding: number) {
  this.offered = this.harness.cluster.startOpenLoop({ service, perSecond: perSecond / timeScale(), durationMs: scaled(durationMs), maxOutstanding });
  this.offeredBound = scaled(durationMs) + 2 * clientCallBound(this.harness.timing) + scaled(5_000);
});

Then('goodput recovers as declared', { timeout: scaled(120_000) }, async function (this: KeelhaulWorld) {
  if (!this.offered) throw new Error('no open-loop workload was started');
  const summary = await this.offered.wait(this.offeredBound);
  this.attach(`open-loop workload: ${JSON.stringify({ ...summary, pending: summary.pending.length })}\n${expectGoodputRecovered(this.harness.history.events())}`, 'text/plain');
});
