import { Given, When } from '@cucumber/cucumber';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/**
 * Clock skew (docs/clock-skew.md): scenarios tagged @clock-skew start their nodes with libfaketime,
 * and these steps set a node's wall clock off while jobs are in flight. Without libfaketime (or in a
 * runtime that cannot skew clocks) the scenario is INCONCLUSIVE, saying what is missing.
 */

const FIND_JOB_TIMEOUT_MS = scaled(10_000);

async function skewBroker(world: KeelhaulWorld, offsetMs: number, rate: number, periods: number): Promise<void> {
  const { cluster, timing } = world.harness;
  const broker = cluster.broker;
  if (!broker) throw new Error('no broker was started');
  await cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
  await world.strike({ kind: 'clock-skew', target: broker.name, offsetMs, rate, durationMs: periods * livenessPeriod(timing) }, broker);
}

/**
 * Before any node starts: without a fake clock the harness cannot create the scenario's condition,
 * which is INCONCLUSIVE (never FAIL), and said before any call is open that could be judged stuck.
 */
Given('nodes whose wall clocks the harness can skew', function (this: KeelhaulWorld) {
  const { runtime } = this.harness;
  if (!runtime.clock) throw new Inconclusive(`the ${runtime.kind} runtime cannot skew a node's clock (docs/clock-skew.md)`);
  const problem = runtime.clockSkewProblem?.();
  if (problem !== undefined) throw new Inconclusive(problem);
});

When("the broker's wall clock jumps {int} ms ahead for {int} liveness periods while a worker holds a job", async function (this: KeelhaulWorld, offsetMs: number, periods: number) {
  await skewBroker(this, offsetMs, 1, periods);
});

When("the broker's wall clock runs {int} times as fast for {int} liveness periods while a worker holds a job", async function (this: KeelhaulWorld, rate: number, periods: number) {
  await skewBroker(this, 0, rate, periods);
});
