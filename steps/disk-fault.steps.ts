import { Given, Then, When } from '@cucumber/cucumber';
import { expectRefusedDuringThenAnswered } from '../harness/systems/request-reply/disk-fault-expectations';
import { waitFor } from '../harness/util/wait-for';
import { scaled } from '../harness/util/time-scale';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/**
 * Disk faults (docs/disk-faults.md): scenarios tagged @disk-faults start every node that has a state
 * folder with the ledger library, whose switch fails the node's disk while it runs.
 */

const ANSWERED_TIMEOUT_MS = scaled(20_000);

Given('nodes whose disk the harness can fail', function (this: KeelhaulWorld) {
  const { runtime } = this.harness;
  if (!runtime.powerLoss) throw new Inconclusive(`the ${runtime.kind} runtime cannot fail a node's disk (docs/disk-faults.md)`);
  const problem = runtime.powerLossProblem?.();
  if (problem !== undefined) throw new Inconclusive(problem.replace('power loss', 'disk faults'));
});

async function onceAnswered(world: KeelhaulWorld, answered: number): Promise<void> {
  const { history } = world.harness;
  await waitFor(() => history.events().filter((event) => event.type === 'ok').length >= answered, { timeoutMs: ANSWERED_TIMEOUT_MS, what: `${answered} answered jobs` });
}

When(/^the broker's disk (is full|turns read-only) for (\d+) ms once (\d+) jobs are answered$/, { timeout: scaled(40_000) }, async function (this: KeelhaulWorld, how: string, durationMs: string, answered: string) {
  await onceAnswered(this, Number(answered));
  const broker = this.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  await this.strike({ kind: how === 'is full' ? 'disk-full' : 'read-only', target: broker.name, durationMs: scaled(Number(durationMs)), shortWrites: how === 'is full' ? 1 : 0 }, broker);
});

When("the broker's fsyncs fail for {int} ms once {int} jobs are answered, then it loses its unsynced writes and restarts {int} ms later", { timeout: scaled(40_000) }, async function (this: KeelhaulWorld, durationMs: number, answered: number, pauseMs: number) {
  await onceAnswered(this, answered);
  const broker = this.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  await this.strike({ kind: 'fsync-fails', target: broker.name, durationMs: scaled(durationMs) }, broker);
  await this.strike({ kind: 'lose-unsynced-writes', target: broker.name, pauseMs: scaled(pauseMs) }, broker);
});

Then('every call made while the disk fault lasted failed definitely or was answered, and every call made after it was answered', { timeout: scaled(70_000) }, async function (this: KeelhaulWorld) {
  expectRefusedDuringThenAnswered(this.harness.history.events());
});
