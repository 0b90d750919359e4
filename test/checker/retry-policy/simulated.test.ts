import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { checkRetryPolicy, JITTER_ALPHA, LOCKSTEP_ALPHA } from '../../../harness/checker/retry-policy';
import { judgeRetryPolicy } from '../../../harness/checker/profile';
import { simulateHistory, type ClientDefect } from './simulate';

const SEEDS = 1000;
/** The findings made of chance, each at most at its stated rate per history; every other one is exact and must never fire on a correct client. */
const STATISTICAL = new Set(['jitter-missing', 'lockstep']);
/** Per history: α for the jitter of the one retry service, plus α for lockstep. */
const STATED_RATE = JITTER_ALPHA + LOCKSTEP_ALPHA;
/** Binomial(1000, 0.002) exceeds this with probability under 0.001. */
const MOST_STATISTICAL = 8;

interface Tally {
  verdicts: Record<string, number>;
  /** Per anomaly name, the seeds it was found in. */
  found: Record<string, number>;
}

function run(t: TestContext, defect: ClientDefect | undefined, synchronized: boolean): Tally {
  const tally: Tally = { verdicts: {}, found: {} };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = checkRetryPolicy(simulateHistory({ seed, defect, synchronized }));
    const { verdict } = judgeRetryPolicy(result, 'retry-policy');
    tally.verdicts[verdict] = (tally.verdicts[verdict] ?? 0) + 1;
    for (const name of new Set(result.anomalies.map((anomaly) => anomaly.name))) tally.found[name] = (tally.found[name] ?? 0) + 1;
  }
  t.diagnostic(`${defect ?? 'correct'}${synchronized ? ' (synchronized)' : ''}: ${JSON.stringify(tally)}`);
  return tally;
}

function assertCorrectJudged(tally: Tally): void {
  const exact = Object.entries(tally.found).filter(([name]) => !STATISTICAL.has(name) && name !== 'too-few-retries');
  assert.deepEqual(exact, [], 'an exact check fired on a correct client');
  const statistical = [...STATISTICAL].reduce((sum, name) => sum + (tally.found[name] ?? 0), 0);
  assert.ok(statistical <= MOST_STATISTICAL, `${statistical} statistical false alarms in ${SEEDS} correct histories (stated rate ${STATED_RATE} per history)`);
  // The measure is not vacuous: nearly every correct history had enough retries to judge its jitter.
  assert.ok((tally.verdicts.PASS ?? 0) >= 0.95 * SEEDS, `only ${tally.verdicts.PASS ?? 0} of ${SEEDS} correct histories were judged PASS`);
}

function assertCaught(tally: Tally, by: string): void {
  assert.ok((tally.verdicts.FAIL ?? 0) >= 0.99 * SEEDS, `the defect FAILed only ${tally.verdicts.FAIL ?? 0} of ${SEEDS} seeds: ${JSON.stringify(tally)}`);
  assert.ok((tally.found[by] ?? 0) >= 0.99 * SEEDS, `${by} found in only ${tally.found[by] ?? 0} of ${SEEDS} seeds`);
}

describe(`retry-policy checkers over ${SEEDS} simulated histories per case`, () => {
  test('correct clients (calls spread out, one long outage): no exact check fires, statistical ones within their stated rate', (t) => {
    assertCorrectJudged(run(t, undefined, false));
  });

  test('correct clients under synchronized load (restarts fail every client at once): the same', (t) => {
    assertCorrectJudged(run(t, undefined, true));
  });

  test('a fixed backoff with no jitter (declared full or equal) is caught by jitter-missing in >= 99% of seeds', (t) => {
    assertCaught(run(t, 'fixed-backoff', false), 'jitter-missing');
  });

  test('the same under synchronized load is also caught by lockstep in >= 99% of seeds', (t) => {
    assertCaught(run(t, 'fixed-backoff', true), 'lockstep');
  });

  test('a client that ignores its retry budget is caught by retry-without-budget in >= 99% of seeds', (t) => {
    assertCaught(run(t, 'no-budget', false), 'retry-without-budget');
  });

  test('a client that retries a give-up service is caught by too-many-attempts in >= 99% of seeds', (t) => {
    assertCaught(run(t, 'retry-give-up', false), 'too-many-attempts');
  });
});
