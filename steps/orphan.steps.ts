import { Given, Then } from '@cucumber/cucumber';
import { expectOrphansDropped } from '../harness/systems/request-reply/orphan-expectations';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/**
 * Orphans (features/request-reply/orphans.feature, issue #19 item 3): late replies dropped by the node
 * that got them, recorded as `orphan` events, never delivered. The logic is in orphan-expectations.ts.
 */

/** Every backoff lies in [ms/2, ms] (equal jitter with initial = max = ms): a retry never comes sooner than ms/2. */
Given('clients that back off {int} ms before a retry', function (this: KeelhaulWorld, ms: number) {
  this.harness.timing.backoffInitial = scaled(ms);
  this.harness.timing.backoffMax = scaled(ms);
});

/** Work as a multiple of the clients' reply timeout (set before), so both scale alike on a slow machine. */
Given('{int} workers serving {string} whose jobs take {float} times the clients\' reply timeout', async function (this: KeelhaulWorld, count: number, service: string, factor: number) {
  await this.harness.cluster.startWorkers(count, service, Math.round(factor * this.harness.timing.clientTimeout));
});

Then('every reply to a given-up attempt was dropped by its client as an orphan, never delivered', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  await this.workload?.wait(this.workloadBound);
  expectOrphansDropped(this.harness.history.events(), 'earlier-attempt', { beforeAnswer: true });
});
