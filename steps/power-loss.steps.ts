import { Given } from '@cucumber/cucumber';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/**
 * Power loss (docs/power-loss.md): scenarios tagged @power-loss start every node that has a state
 * folder with the ledger library preloaded, and the fault steps (fault.steps.ts, pubsub.steps.ts)
 * cut a node's power. Without a C compiler to build the library (or in a runtime that cannot cut
 * power) the scenario is INCONCLUSIVE, saying what is missing, before any node or call exists.
 */
Given('nodes whose unsynced writes the harness can destroy', function (this: KeelhaulWorld) {
  const { runtime } = this.harness;
  if (!runtime.powerLoss) throw new Inconclusive(`the ${runtime.kind} runtime cannot cut a node's power (lose its unsynced writes; docs/power-loss.md)`);
  const problem = runtime.powerLossProblem?.();
  if (problem !== undefined) throw new Inconclusive(problem);
});
