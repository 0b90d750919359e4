import { Then, When, type DataTable } from '@cucumber/cucumber';
import assert from 'node:assert/strict';
import { askService, brokerRoutes } from '../harness/probe/mdp-probe';
import { describeProbeProblems, runProbes } from '../harness/probe/probe-run';
import { badMessageNamed } from '../harness/probe/malformed-messages';
import { livenessPeriod } from '../harness/timing/timing';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../harness/util/time-scale';
import { StallProofFailure } from '../harness/verdict/stall-proof-failure';
import type { KeelhaulWorld } from './world';

const ANSWER_TIMEOUT_MS = scaled(2_000);

Then('the broker answers {string} about {string} with {string}', async function (this: KeelhaulWorld, service: string, about: string, status: string) {
  const { cluster } = this.harness;
  const answer = await askService(cluster.brokerEndpoint, service, about, ANSWER_TIMEOUT_MS);
  if (answer === status) return;
  const wrong = `${service} about "${about}" answered ${answer === undefined ? 'nothing' : `"${answer}"`}, expected "${status}"`;
  // No answer, or 200 against 404 (a worker not yet registered or already expired), may be the timing of a starved run; any other wrong code is not.
  const timing = answer === undefined || (REGISTRATION_CODES.has(answer) && REGISTRATION_CODES.has(status));
  throw timing ? new Error(wrong) : new StallProofFailure(wrong);
});

/** The two answers of `mmi.service` that follow a worker's registration, and so its timing. */
const REGISTRATION_CODES = new Set(['200', '404']);

Then('within {int} liveness periods the broker answers {string} about {string} with {string}', async function (this: KeelhaulWorld, periods: number, service: string, about: string, status: string) {
  const { cluster, timing } = this.harness;
  const deadline = Date.now() + periods * livenessPeriod(timing);
  let answer: string | undefined;
  do {
    answer = await askService(cluster.brokerEndpoint, service, about, ANSWER_TIMEOUT_MS);
    if (answer === status) return;
    await sleep(timing.heartbeatInterval / 2);
  } while (Date.now() < deadline);
  assert.fail(`${service} about "${about}" still answered ${answer === undefined ? 'nothing' : `"${answer}"`} after ${periods} liveness periods, expected "${status}"`);
});

When('peers send the broker these messages, it answers each as 7\\/MDP requires:', async function (this: KeelhaulWorld, table: DataTable) {
  const { cluster } = this.harness;
  const broker = cluster.broker;
  assert.ok(broker, 'start the broker before probing it');
  const endpoint = cluster.brokerEndpoint;
  const findings = await runProbes(
    table.hashes().map(({ message }) => badMessageNamed(message)),
    {
      broker,
      endpoint,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      // A silent answer is only proven after a wait; a DISCONNECT comes at once.
      silenceMs: scaled(150),
      stillServes: (timeoutMs) => brokerRoutes(endpoint, timeoutMs),
    },
  );
  const problems = describeProbeProblems(findings);
  if (problems.length > 0) throw new Error(problems.join('\n'));
});

Then('the broker is still running', function (this: KeelhaulWorld) {
  const broker = this.harness.cluster.broker;
  assert.ok(broker?.running, 'the broker process exited');
});
