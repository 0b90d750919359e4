import { After, Before, setDefaultTimeout, Status } from '@cucumber/cucumber';
import { Scenario } from '../harness/scenario/scenario';
import type { KeelhaulWorld } from './world';

// Each step sets its own bound where it waits longer; this catches a step that forgot to.
setDefaultTimeout(20_000);

Before(async function (this: KeelhaulWorld, { pickle }) {
  this.scenario = await Scenario.create({ name: pickle.name });
});

After({ timeout: 30_000 }, async function (this: KeelhaulWorld, { result }) {
  const scenario = this.scenario;
  if (!scenario) return;
  await scenario.teardown();
  if (result?.status !== Status.PASSED) {
    this.attach(`history and node logs: ${scenario.dir}`, 'text/plain');
  }
});
