import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aggregateRepetitions,
  formatPassRate,
  missedSeeds,
  renderFlakeJUnit,
  renderFlakeSummary,
  renderFlakeTable,
  type Repetition,
} from '../../harness/report/flake-report';
import type { ScenarioVerdict, Verdict } from '../../harness/report/verdict';

function verdictOf(scenario: string, verdict: Verdict, overrides: Partial<ScenarioVerdict> = {}): ScenarioVerdict {
  return {
    scenario,
    feature: 'features/a.feature',
    tags: ['@exactly-once'],
    profile: 'exactly-once',
    clauses: [],
    verdict,
    reason: verdict === 'PASS' ? 'meets exactly-once' : `${verdict.toLowerCase()} reason`,
    anomalies: [],
    durationMs: 1000,
    dir: scenario.toLowerCase().replace(/\W+/g, '-'),
    ...overrides,
  };
}

function rep(index: number, seed: string, verdicts?: ScenarioVerdict[]): Repetition {
  return { index, seed, dir: `rep-${index}`, verdicts, replay: `KEELHAUL_SEED=${seed} keelhaul features` };
}

const duplicate = { name: 'duplicate-execution', job: 'client-1:3', detail: 'ran twice', events: [] };

/** Three repetitions: "steady" always passes, "flaky" fails once with an anomaly, "slow" is inconclusive once. */
function threeRuns(): Repetition[] {
  return [
    rep(1, '11', [verdictOf('steady', 'PASS'), verdictOf('flaky', 'PASS'), verdictOf('slow', 'PASS')]),
    rep(2, '22', [verdictOf('steady', 'PASS'), verdictOf('flaky', 'FAIL', { anomalies: [duplicate, duplicate] }), verdictOf('slow', 'INCONCLUSIVE', { reason: 'the fault touched nothing' })]),
    rep(3, '33', [verdictOf('steady', 'PASS'), verdictOf('flaky', 'PASS'), verdictOf('slow', 'PASS')]),
  ];
}

describe('aggregateRepetitions', () => {
  test('pass rates, verdict counts and the seeds and folders of the misses, per scenario', () => {
    const report = aggregateRepetitions(3, threeRuns());
    assert.deepEqual(
      report.scenarios.map((f) => [f.scenario, formatPassRate(f), f.passRate, missedSeeds(f)]),
      [
        ['steady', '3/3', 1, []],
        ['flaky', '2/3', 2 / 3, ['22']],
        ['slow', '2/3', 2 / 3, ['22']],
      ],
    );
    const flaky = report.scenarios[1];
    assert.deepEqual(flaky.counts, { PASS: 2, FAIL: 1, INFO: 0, ERROR: 0, INCONCLUSIVE: 0 });
    assert.deepEqual(flaky.misses, [
      { repetition: 2, seed: '22', verdict: 'FAIL', reason: 'fail reason', anomalies: ['duplicate-execution'], dir: 'rep-2/flaky', replay: 'KEELHAUL_SEED=22 keelhaul features' },
    ]);
    assert.equal(report.scenarios[2].misses[0].reason, 'the fault touched nothing');
    assert.deepEqual(report.counts, { PASS: 7, FAIL: 1, INFO: 0, ERROR: 0, INCONCLUSIVE: 1 });
    assert.deepEqual(
      report.repetitions.map((r) => [r.index, r.seed, r.finished, r.counts?.PASS]),
      [
        [1, '11', true, 3],
        [2, '22', true, 1],
        [3, '33', true, 3],
      ],
    );
  });

  test('the same scenario name in two features is two scenarios', () => {
    const report = aggregateRepetitions(1, [rep(1, '1', [verdictOf('same', 'PASS'), verdictOf('same', 'FAIL', { feature: 'features/b.feature' })])]);
    assert.deepEqual(report.scenarios.map((f) => `${f.feature} ${formatPassRate(f)}`), ['features/a.feature 1/1', 'features/b.feature 0/1']);
  });

  test('a fixed seed is listed once however many runs missed with it', () => {
    const report = aggregateRepetitions(2, [rep(1, '7', [verdictOf('s', 'FAIL')]), rep(2, '7', [verdictOf('s', 'ERROR')])]);
    assert.deepEqual(missedSeeds(report.scenarios[0]), ['7']);
    assert.equal(report.scenarios[0].misses.length, 2);
  });

  describe('exit code, as exitCodeFor over every repetition', () => {
    test('every run passed: 0', () => {
      assert.equal(aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'PASS')]), rep(2, '2', [verdictOf('s', 'PASS')])]).exit, 0);
    });
    test('INFO (an unclaimed profile) is not a failure: 0', () => {
      assert.equal(aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'INFO')]), rep(2, '2', [verdictOf('s', 'PASS')])]).exit, 0);
    });
    test('one FAIL in any repetition: 1, even with an INCONCLUSIVE elsewhere', () => {
      assert.equal(aggregateRepetitions(3, threeRuns()).exit, 1);
    });
    test('one ERROR: 1', () => {
      assert.equal(aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'PASS')]), rep(2, '2', [verdictOf('s', 'ERROR')])]).exit, 1);
    });
    test('nothing failed but one run stayed INCONCLUSIVE: 3', () => {
      assert.equal(aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'INCONCLUSIVE')]), rep(2, '2', [verdictOf('s', 'PASS')])]).exit, 3);
    });
    test('a repetition that did not finish, or fewer repetitions than asked for: 2 unless something failed', () => {
      const unfinished = aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'PASS')]), rep(2, '2')]);
      assert.equal(unfinished.exit, 2);
      assert.deepEqual(unfinished.repetitions.map((r) => r.finished), [true, false]);
      assert.equal(aggregateRepetitions(3, [rep(1, '1', [verdictOf('s', 'PASS')])]).exit, 2);
      assert.equal(aggregateRepetitions(2, [rep(1, '1', [verdictOf('s', 'FAIL')]), rep(2, '2')]).exit, 1);
    });
  });
});

describe('renderFlakeSummary', () => {
  const summary = renderFlakeSummary({ title: 'keelhaul features', implementation: 'reference' }, aggregateRepetitions(3, threeRuns()));

  test('a flake table, the scenarios that missed first, with their seeds', () => {
    assert.match(summary, /^# keelhaul features: reference, 3 repetitions$/m);
    assert.match(summary, /\*\*Failed\*\*: 1 of 3 scenarios passed every run; 3 of 3 repetitions finished; .*exit 1/);
    const rows = summary.split('\n').filter((line) => /^\| \d+\/\d+ \|/.test(line));
    assert.deepEqual(rows, [
      '| 2/3 | flaky | features/a.feature | 1 FAIL | 22 |',
      '| 2/3 | slow | features/a.feature | 1 INCONCLUSIVE | 22 |',
      '| 3/3 | steady | features/a.feature |  |  |',
    ]);
  });

  test('each miss with its verdict, reason, anomalies, folder and replay line', () => {
    assert.match(summary, /^- repetition 2, seed 22: FAIL, fail reason \(duplicate-execution\) · files: `rep-2\/flaky` · replay: `KEELHAUL_SEED=22 keelhaul features`$/m);
    assert.match(summary, /^- repetition 2, seed 22: INCONCLUSIVE, the fault touched nothing · files: `rep-2\/slow`/m);
    assert.match(summary, /^\| 2 \| 22 \| 1 pass, 1 fail, 0 info, 0 error, 1 inconclusive \| `rep-2` \|$/m);
  });

  test('all green: says so, and lists no misses', () => {
    const green = renderFlakeSummary({ title: 'keelhaul verify', implementation: 'x' }, aggregateRepetitions(1, [rep(1, '1', [verdictOf('s', 'PASS')])]));
    assert.match(green, /\*\*Passed every time\*\*/);
    assert.doesNotMatch(green, /Runs that did not pass/);
  });

  test('a pipe in a scenario name does not break the table', () => {
    const text = renderFlakeSummary({ title: 't', implementation: 'i' }, aggregateRepetitions(1, [rep(1, '1', [verdictOf('a | b', 'PASS')])]));
    assert.match(text, /\| 1\/1 \| a \\\| b \|/);
  });
});

describe('renderFlakeJUnit', () => {
  const junit = renderFlakeJUnit('keelhaul features: reference', aggregateRepetitions(3, threeRuns()));
  const testcase = (name: string) => junit.match(new RegExp(`<testcase [^>]*name="${name}">[\\s\\S]*?</testcase>`))?.[0] ?? assert.fail(`no testcase ${name}\n${junit}`);

  test('one testcase per scenario, with pass-rate, runs and failed-seeds properties', () => {
    assert.match(junit, /<testsuites name="keelhaul features: reference" tests="3" failures="1" errors="0" skipped="0">/);
    assert.equal(junit.match(/<testcase /g)?.length, 3);
    assert.match(testcase('flaky'), /<property name="pass-rate" value="2\/3"\/>\s*<property name="runs" value="3"\/>\s*<property name="failed-seeds" value="22"\/>/);
    assert.match(testcase('steady'), /<property name="failed-seeds" value=""\/>/);
  });

  test('a failure element when any repetition FAILed, naming its seed and folder; none for a mere INCONCLUSIVE', () => {
    assert.match(testcase('flaky'), /<failure message="passed 2\/3 runs; 1 FAIL; seeds 22" type="FAIL">repetition 2, seed 22: FAIL, fail reason \(duplicate-execution\); files rep-2\/flaky<\/failure>/);
    assert.doesNotMatch(testcase('slow'), /<failure|<error|<skipped/);
    assert.doesNotMatch(testcase('steady'), /<failure|<error|<skipped/);
  });

  test('ERROR without FAIL is an error; never passing, only INCONCLUSIVE or INFO, is skipped', () => {
    const report = aggregateRepetitions(2, [
      rep(1, '1', [verdictOf('broken', 'ERROR'), verdictOf('unjudged', 'INCONCLUSIVE'), verdictOf('unclaimed', 'INFO')]),
      rep(2, '2', [verdictOf('broken', 'PASS'), verdictOf('unjudged', 'INCONCLUSIVE'), verdictOf('unclaimed', 'INFO')]),
    ]);
    const xml = renderFlakeJUnit('r', report);
    assert.match(xml, /tests="3" failures="0" errors="1" skipped="2"/);
    assert.match(xml, /<error message="passed 1\/2 runs; 1 ERROR; seeds 1" type="ERROR">/);
    assert.match(xml, /<skipped message="never passed: 2 INCONCLUSIVE"\/>/);
    assert.match(xml, /<skipped message="never passed: 2 INFO"\/>/);
  });

  test('names are escaped', () => {
    const xml = renderFlakeJUnit('r', aggregateRepetitions(1, [rep(1, '1', [verdictOf('a <b> & "c"', 'PASS')])]));
    assert.match(xml, /name="a &lt;b&gt; &amp; &quot;c&quot;"/);
  });
});

describe('renderFlakeTable', () => {
  test('one line per scenario: pass rate, name, and for a miss its verdicts and seeds', () => {
    assert.equal(
      renderFlakeTable(aggregateRepetitions(3, threeRuns())),
      ['pass rate  scenario', '3/3        steady', '2/3        flaky (1 FAIL; seeds 22)', '2/3        slow (1 INCONCLUSIVE; seeds 22)', ''].join('\n'),
    );
  });
});
