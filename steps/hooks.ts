import { After, Before, setDefaultTimeout, Status } from '@cucumber/cucumber';
import { performance } from 'node:perf_hooks';
import { implementationUnderTest } from '../harness/manifest/selected-implementation';
import { VERDICT_MEDIA_TYPE } from '../harness/report/verdict-formatter';
import { writeScenarioReport } from '../harness/report/scenario-report';
import { pickleLine } from '../harness/report/pickle-line';
import type { CaseStatus, ScenarioVerdict } from '../harness/report/verdict';
import { defaultReportDir, Scenario } from '../harness/scenario/scenario';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

// Each step sets its own bound where it waits longer; this catches a step that forgot to.
setDefaultTimeout(scaled(20_000));

/**
 * Scenarios whose verdict is final although Cucumber will run them again: Cucumber retries every
 * failed attempt, but only an INCONCLUSIVE one (the harness could not create its own condition) is
 * worth another try. A FAIL is an accusation that stands; its retry is skipped.
 */
const decided = new Set<string>();

Before(async function (this: KeelhaulWorld, { pickle }) {
  if (decided.has(pickle.id)) {
    this.skippedAsDecided = true;
    return 'skipped';
  }
  this.startedAt = performance.now();
  const { implementation, timing } = implementationUnderTest();
  // A scenario that skews clocks starts every node with libfaketime preloaded (docs/clock-skew.md).
  const fakeClocks = pickle.tags.some((tag) => tag.name === '@clock-skew');
  // One that cuts a node's power or fails its disk starts nodes with state folders under the ledger library (docs/power-loss.md, docs/disk-faults.md).
  const powerLoss = pickle.tags.some((tag) => tag.name === '@power-loss' || tag.name === '@disk-faults');
  this.scenario = await Scenario.create({ name: pickle.name, implementation, timing, fakeClocks, powerLoss });
});

After({ timeout: scaled(30_000) }, async function (this: KeelhaulWorld, { gherkinDocument, pickle, result, willBeRetried }) {
  if (this.skippedAsDecided) return;
  const scenario = this.scenario;
  const outcome = {
    name: pickle.name,
    feature: pickle.uri,
    line: pickleLine(gherkinDocument, pickle),
    tags: pickle.tags.map((tag) => tag.name),
    status: (result?.status ?? Status.UNKNOWN) as CaseStatus,
    exceptionType: result?.exception?.type,
    exceptionMessage: result?.exception?.message,
    error: result?.exception?.message ?? result?.message,
    durationMs: performance.now() - this.startedAt,
    claimed: implementationUnderTest().claimed,
  };
  for (const peer of this.standInPeers.splice(0)) peer.close();
  let verdict: ScenarioVerdict;
  if (scenario) {
    await scenario.teardown();
    verdict = writeScenarioReport(scenario, outcome, defaultReportDir());
    if (result?.status !== Status.PASSED) this.attach(`history, node logs and timeline: ${scenario.dir}`, 'text/plain');
  } else {
    // The Before hook itself failed (e.g. the fault proxy did not start): nothing was tested.
    verdict = { scenario: outcome.name, feature: outcome.feature, line: outcome.line, tags: outcome.tags, clauses: [], verdict: 'ERROR', reason: 'the harness could not set the scenario up', error: outcome.error, anomalies: [], durationMs: Math.round(outcome.durationMs), dir: '' };
  }
  if (willBeRetried && verdict.verdict !== 'INCONCLUSIVE') decided.add(pickle.id);
  this.attach(JSON.stringify(verdict), VERDICT_MEDIA_TYPE);
});
