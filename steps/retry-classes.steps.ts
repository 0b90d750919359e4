import { Given, Then, When } from '@cucumber/cucumber';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from '../harness/nemesis/fault';
import type { NodeHandle } from '../harness/runtime/node-handle';
import { expectBestEffortDelivered, expectRetries, expectSomeCallsGaveUp } from '../harness/systems/request-reply/class-expectations';
import { livenessPeriod, scaleRetryPolicy, scaleServiceClasses } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import { Inconclusive } from '../harness/verdict/inconclusive';
import { settled, waitFor } from '../harness/util/wait-for';
import type { KeelhaulWorld } from './world';

/**
 * Classes of service and retry policies (features/request-reply/retry-classes.feature, issue #19): the
 * scenario declares each service's class and the clients' retry policy (the nodes get them as
 * `{{serviceClasses}}` and `{{retryPolicy}}`, the history as `service-policy` events), then faults the
 * broker while calls are open. The judging is the retry-policy checker's (docs/checkers.md).
 */

Given('a broker whose services are declared {string}', async function (this: KeelhaulWorld, classes: string) {
  this.harness.timing.serviceClasses = scaleServiceClasses(classes, scaled);
  await this.harness.cluster.startBroker();
});

Given('a broker whose services are declared {string}, with a processing timeout of {int} ms', async function (this: KeelhaulWorld, classes: string, ms: number) {
  this.harness.timing.serviceClasses = scaleServiceClasses(classes, scaled);
  this.harness.timing.processingTimeout = scaled(ms);
  await this.harness.cluster.startBroker();
});

Given('clients that retry by the policy {string}', function (this: KeelhaulWorld, policy: string) {
  this.harness.timing.retryPolicy = scaleRetryPolicy({ ...this.harness.timing, retryPolicy: policy }, scaled);
});

/** Each round waits for open calls (so the fault catches some), strikes, and leaves the system a while to serve between rounds. */
async function brokerRounds(world: KeelhaulWorld, times: number, fault: (broker: string) => Fault): Promise<void> {
  const { cluster, timing } = world.harness;
  const broker = cluster.broker;
  if (broker === undefined) throw new Error('no broker was started');
  for (let round = 0; round < times; round++) {
    await waitFor(() => cluster.openCalls().length > 0 || world.workload?.isOver === true, { timeoutMs: scaled(10_000), what: 'calls open when the fault strikes' });
    if (cluster.openCalls().length === 0) throw new Inconclusive(`the workload was over before fault round ${round + 1} of ${times}: no call was open for the fault to catch`);
    await world.strike(fault(broker.name), broker);
    await sleep(4 * timing.clientTimeout);
  }
}

When('the broker is frozen for {int} ms while calls are open, {int} time(s)', { timeout: scaled(120_000) }, async function (this: KeelhaulWorld, ms: number, times: number) {
  await brokerRounds(this, times, (target) => ({ kind: 'freeze', target, durationMs: scaled(ms) }));
});

When('the broker is killed while calls are open and restarted {int} ms later, {int} time(s)', { timeout: scaled(120_000) }, async function (this: KeelhaulWorld, pauseMs: number, times: number) {
  await brokerRounds(this, times, (target) => ({ kind: 'crash-restart', target, pauseMs: scaled(pauseMs) }));
});

/** Best-effort calls are over as soon as they are sent: "while the clients send" is a workload still handing out jobs. */
async function whileClientsSend(world: KeelhaulWorld, fault: (broker: string) => Fault, target?: NodeHandle): Promise<void> {
  const { cluster } = world.harness;
  const broker = cluster.broker;
  if (broker === undefined) throw new Error('no broker was started');
  await waitFor(() => cluster.invoked() >= 50, { timeoutMs: scaled(10_000), what: '50 calls made before the fault' });
  if (world.workload?.isOver === true) throw new Inconclusive('the clients had sent everything before the fault: it caught no send');
  await world.strike(fault(broker.name), target ?? broker);
}

When('the broker is killed while the clients send and restarted {int} ms later', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, pauseMs: number) {
  await whileClientsSend(this, (target) => ({ kind: 'crash-restart', target, pauseMs: scaled(pauseMs) }));
});

When('the broker is frozen for {int} ms while the clients send', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, ms: number) {
  await whileClientsSend(this, (target) => ({ kind: 'freeze', target, durationMs: scaled(ms) }));
});

When('{string} is partitioned from the broker for {int} ms while the clients send', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, name: string, ms: number) {
  await whileClientsSend(this, () => ({ kind: 'partition', links: { of: [name] }, durationMs: scaled(ms) }), this.harness.cluster.node(name));
});

Then('some calls to {string} gave up', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld, service: string) {
  await this.workload?.wait(this.workloadBound);
  expectSomeCallsGaveUp(this.harness.history.events(), service);
});

Then('best-effort messages to {string} were sent and some ran on a worker', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld, service: string) {
  await this.workload?.wait(this.workloadBound);
  // Sent is not delivered: what a resumed broker still holds reaches the workers after the calls are over. Judge once that settled.
  await settled(() => this.harness.history.events().filter((event) => event.type === 'exec-end').length, { quietMs: 2 * livenessPeriod(this.harness.timing), boundMs: scaled(10_000) });
  expectBestEffortDelivered(this.harness.history.events(), service);
});

Then('the clients retried at least {int} times', function (this: KeelhaulWorld, min: number) {
  expectRetries(this.harness.history.events(), min);
});
