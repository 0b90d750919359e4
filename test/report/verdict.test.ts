import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROFILES, type Profile } from '../../harness/checker/profile';
import { checkHistory, judge } from '../../harness/checker';
import { blame, failedCheckProfile } from '../../harness/report/scenario-report';
import type { HistoryEvent } from '../../harness/history/event';
import { failureDetails, renderJUnit } from '../../harness/report/junit';
import { renderMarkdownSummary, type RunInfo } from '../../harness/report/markdown-summary';
import {
  claims,
  clauseTags,
  countVerdicts,
  decideVerdict,
  exitCodeFor,
  scenarioProfile,
  VERDICTS,
  type CaseStatus,
  type ScenarioVerdict,
  type Verdict,
  type VerdictAnomaly,
} from '../../harness/report/verdict';
import { escapeXml } from '../../harness/util/xml';

function verdictOf(overrides: Partial<ScenarioVerdict> = {}): ScenarioVerdict {
  return {
    scenario: 'a scenario',
    feature: 'features/a.feature',
    tags: ['@exactly-once'],
    profile: 'exactly-once',
    clauses: [],
    verdict: 'PASS',
    reason: 'meets exactly-once',
    anomalies: [],
    durationMs: 1000,
    dir: 'a-scenario',
    ...overrides,
  };
}

const anomaly = (name: string, job?: string, detail = `${name} detail`): VerdictAnomaly => ({ name, job, detail, events: [] });

describe('scenarioProfile', () => {
  test('no profile tag: no profile', () => {
    assert.equal(scenarioProfile([]), undefined);
    assert.equal(scenarioProfile(['@smoke', '@rfc7:heartbeating']), undefined);
  });

  test('each profile tag alone names its profile', () => {
    for (const profile of PROFILES) assert.equal(scenarioProfile([`@${profile}`]), profile);
  });

  test('the strongest tag wins, whatever the order of the tags', () => {
    assert.equal(scenarioProfile(['@exactly-once', '@mdp']), 'exactly-once');
    assert.equal(scenarioProfile(['@mdp', '@exactly-once']), 'exactly-once');
    assert.equal(scenarioProfile(['@at-least-once', '@mdp']), 'at-least-once');
    assert.equal(scenarioProfile(['@mdp', '@at-least-once', '@exactly-once']), 'exactly-once');
  });

  test('a pub/sub scenario names the pub/sub profile', () => {
    assert.equal(scenarioProfile(['@pubsub', '@khp1', '@pubsub-exactly-once']), 'pubsub-exactly-once');
  });

  test('a tag must match exactly, with its @', () => {
    assert.equal(scenarioProfile(['exactly-once', '@exactly_once', '@Exactly-Once', '@exactly-once-ish']), undefined);
  });
});

describe('failedCheckProfile: the verdict names the profile whose check failed, not the strongest tag', () => {
  const lastCheck = (profile: Profile, verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE') => ({
    lastCheck: { profile, result: { anomalies: [] } as never, judgement: { verdict, violations: [], undecided: [] } as never },
  });

  test('a failed scenario whose last check found anomalies: that check\'s profile', () => {
    // A retry-policy scenario that also checks exactly-once: the exactly-once check failed.
    assert.equal(failedCheckProfile(lastCheck('exactly-once', 'FAIL'), { status: 'FAILED' }), 'exactly-once');
    assert.equal(failedCheckProfile(lastCheck('retry-policy', 'INCONCLUSIVE'), { status: 'FAILED' }), 'retry-policy');
  });

  test('a check that passed, a passed scenario, or no check at all: none (the tags decide)', () => {
    assert.equal(failedCheckProfile(lastCheck('exactly-once', 'PASS'), { status: 'FAILED' }), undefined);
    assert.equal(failedCheckProfile(lastCheck('exactly-once', 'FAIL'), { status: 'PASSED' }), undefined);
    assert.equal(failedCheckProfile({ lastCheck: undefined }, { status: 'FAILED' }), undefined);
  });
});

describe('claims', () => {
  test('claiming a profile claims it and every weaker one, not the stronger ones', () => {
    const table: [Profile, Profile, boolean][] = [
      ['mdp', 'mdp', true],
      ['mdp', 'at-least-once', false],
      ['mdp', 'exactly-once', false],
      ['at-least-once', 'mdp', true],
      ['at-least-once', 'at-least-once', true],
      ['at-least-once', 'exactly-once', false],
      ['exactly-once', 'mdp', true],
      ['exactly-once', 'at-least-once', true],
      ['exactly-once', 'exactly-once', true],
    ];
    for (const [claimed, profile, expected] of table) assert.equal(claims([claimed], profile), expected, `claims([${claimed}], ${profile})`);
  });

  test('the strongest of several claimed profiles counts, in any order', () => {
    assert.equal(claims(['exactly-once', 'mdp'], 'at-least-once'), true);
    assert.equal(claims(['mdp', 'at-least-once'], 'at-least-once'), true);
    assert.equal(claims(['mdp', 'at-least-once'], 'exactly-once'), false);
  });

  test('pub/sub is a ladder of its own: no request-reply claim implies it, and it implies no request-reply profile', () => {
    for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) {
      assert.equal(claims([profile], 'pubsub-exactly-once'), false, `claims([${profile}], pubsub-exactly-once)`);
      assert.equal(claims(['pubsub-exactly-once'], profile), false, `claims([pubsub-exactly-once], ${profile})`);
    }
    assert.equal(claims(['pubsub-exactly-once'], 'pubsub-exactly-once'), true);
    assert.equal(claims(['mdp', 'pubsub-exactly-once'], 'pubsub-exactly-once'), true);
    assert.equal(claims(['mdp', 'pubsub-exactly-once'], 'exactly-once'), false);
  });

  test('claiming nothing claims no profile', () => {
    for (const profile of PROFILES) assert.equal(claims([], profile), false);
  });
});

describe('clauseTags', () => {
  test('rfc and khx clause tags are kept without the @, in order', () => {
    assert.deepEqual(clauseTags(['@exactly-once', '@rfc7:heartbeating', '@smoke', '@khx1:journal-before-dispatch', '@rfc18:framing']), [
      'rfc7:heartbeating',
      'khx1:journal-before-dispatch',
      'rfc18:framing',
    ]);
  });

  test('tags that only look like clauses are not clauses', () => {
    assert.deepEqual(
      clauseTags(['rfc7:heartbeating', '@rfc:heartbeating', '@rfc7', '@rfc7:', '@RFC7:heartbeating', '@rfc7:Heartbeating', '@rfc7:heart_beating', '@iso7:x', '@rfc7:a b']),
      [],
    );
  });

  test('no tags, no clauses', () => {
    assert.deepEqual(clauseTags([]), []);
  });
});

describe('decideVerdict', () => {
  const ALL: readonly Profile[] = PROFILES;

  test('an Inconclusive step is INCONCLUSIVE with its reason, claimed or not: never a FAIL', () => {
    for (const claimed of [ALL, ['mdp'] as Profile[]]) {
      assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'Inconclusive', error: 'the fault touched nothing\nmore', profile: 'exactly-once', claimed }), {
        verdict: 'INCONCLUSIVE',
        reason: 'the fault touched nothing',
      });
    }
  });

  test('a failure while the harness was starved, or with only undecided findings, is INCONCLUSIVE; a pass stays a pass', () => {
    assert.deepEqual(decideVerdict({ status: 'FAILED', profile: 'mdp', claimed: ALL, starved: 'lag 900 ms' }), { verdict: 'INCONCLUSIVE', reason: 'the machine was too slow to judge: lag 900 ms' });
    assert.deepEqual(decideVerdict({ status: 'FAILED', profile: 'mdp', claimed: ALL, undecided: 'subscriber-2 still catching up' }), { verdict: 'INCONCLUSIVE', reason: 'subscriber-2 still catching up' });
    assert.equal(decideVerdict({ status: 'PASSED', profile: 'mdp', claimed: ALL, starved: 'lag 900 ms' }).verdict, 'PASS');
    // A content anomaly in the history stands, whatever the load or an Inconclusive later step.
    assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'Inconclusive', error: 'x', profile: 'mdp', claimed: ALL, starved: 'y', accused: true }), { verdict: 'FAIL', reason: 'violates mdp' });
    // A step whose evidence already took the harness's stalls off: a FAIL whatever the load; any other failing step is not.
    assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'StallProofFailure', error: '[rfc7:worker-heartbeats] silent', profile: 'mdp', claimed: ALL, starved: 'lag 900 ms' }), { verdict: 'FAIL', reason: 'violates mdp' });
    assert.equal(decideVerdict({ status: 'FAILED', exceptionType: 'Error', error: 'late', profile: 'mdp', claimed: ALL, starved: 'lag 900 ms' }).verdict, 'INCONCLUSIVE');
    // A node that could not start is an ERROR whatever the machine's load.
    assert.equal(decideVerdict({ status: 'FAILED', exceptionType: 'NodeStartError', profile: 'mdp', claimed: ALL, starved: 'x' }).verdict, 'ERROR');
  });

  test('PASSED and claimed: PASS, meets the profile', () => {
    assert.deepEqual(decideVerdict({ status: 'PASSED', profile: 'exactly-once', claimed: ['exactly-once'] }), { verdict: 'PASS', reason: 'meets exactly-once' });
    assert.deepEqual(decideVerdict({ status: 'PASSED', profile: 'mdp', claimed: ['exactly-once'] }), { verdict: 'PASS', reason: 'meets mdp' });
  });

  test('PASSED and not claimed: INFO, saying so', () => {
    assert.deepEqual(decideVerdict({ status: 'PASSED', profile: 'exactly-once', claimed: ['at-least-once'] }), {
      verdict: 'INFO',
      reason: 'passed, though the implementation does not claim exactly-once',
    });
  });

  test('FAILED and claimed: FAIL, violates the profile', () => {
    assert.deepEqual(decideVerdict({ status: 'FAILED', profile: 'at-least-once', claimed: ['exactly-once'] }), { verdict: 'FAIL', reason: 'violates at-least-once' });
  });

  test('FAILED and not claimed: INFO, saying so', () => {
    assert.deepEqual(decideVerdict({ status: 'FAILED', profile: 'exactly-once', claimed: ['mdp'] }), {
      verdict: 'INFO',
      reason: 'failed, but the implementation does not claim exactly-once',
    });
  });

  test('a scenario without a profile counts as claimed, even when nothing is claimed', () => {
    assert.deepEqual(decideVerdict({ status: 'PASSED', claimed: [] }), { verdict: 'PASS', reason: 'passed' });
    assert.deepEqual(decideVerdict({ status: 'FAILED', claimed: [] }), { verdict: 'FAIL', reason: 'failed' });
  });

  test('FAILED with a NodeStartError is ERROR, claimed or not, with or without a profile', () => {
    const expected = { verdict: 'ERROR', reason: 'a node could not be started, so nothing was tested' };
    assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'NodeStartError', profile: 'exactly-once', claimed: ALL }), expected);
    assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'NodeStartError', profile: 'exactly-once', claimed: ['mdp'] }), expected);
    assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType: 'NodeStartError', claimed: [] }), expected);
  });

  test('FAILED with another exception type is an ordinary failure', () => {
    assert.equal(decideVerdict({ status: 'FAILED', exceptionType: 'AssertionError', profile: 'mdp', claimed: ['mdp'] }).verdict, 'FAIL');
    assert.equal(decideVerdict({ status: 'FAILED', exceptionType: 'Error', profile: 'exactly-once', claimed: ['mdp'] }).verdict, 'INFO');
  });

  test('FAILED with a harness bug (TypeError, ReferenceError...) is ERROR, not a FAIL of the implementation', () => {
    for (const exceptionType of ['TypeError', 'ReferenceError']) {
      assert.deepEqual(decideVerdict({ status: 'FAILED', exceptionType, profile: 'pubsub-exactly-once', claimed: ALL }), {
        verdict: 'ERROR',
        reason: `the harness failed (${exceptionType}), so nothing was judged`,
      });
    }
  });

  test('PASSED ignores an exception type', () => {
    assert.equal(decideVerdict({ status: 'PASSED', exceptionType: 'NodeStartError', profile: 'mdp', claimed: ['mdp'] }).verdict, 'PASS');
  });

  for (const status of ['UNDEFINED', 'AMBIGUOUS', 'PENDING'] as const) {
    test(`${status} is ERROR: the harness could not run a step, claimed or not`, () => {
      for (const claimed of [ALL, [] as Profile[]]) {
        assert.deepEqual(decideVerdict({ status, profile: 'exactly-once', claimed }), {
          verdict: 'ERROR',
          reason: `the harness could not run a step (${status.toLowerCase()})`,
        });
      }
    });
  }

  for (const status of ['SKIPPED', 'UNKNOWN'] as const) {
    test(`${status} is ERROR: the scenario did not run, claimed or not`, () => {
      for (const claimed of [ALL, [] as Profile[]]) {
        assert.deepEqual(decideVerdict({ status, profile: 'mdp', claimed }), { verdict: 'ERROR', reason: `the scenario did not run (${status.toLowerCase()})` });
      }
    });
  }

  test('the full matrix: every status × claimed/unclaimed × exception type', () => {
    const statuses: CaseStatus[] = ['PASSED', 'FAILED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'UNKNOWN'];
    const expected = (status: CaseStatus, claimed: boolean, nodeStart: boolean): Verdict => {
      if (status === 'PASSED') return claimed ? 'PASS' : 'INFO';
      if (status === 'FAILED') return nodeStart ? 'ERROR' : claimed ? 'FAIL' : 'INFO';
      return 'ERROR';
    };
    for (const status of statuses) {
      for (const claimed of [true, false]) {
        for (const nodeStart of [true, false]) {
          const result = decideVerdict({
            status,
            exceptionType: nodeStart ? 'NodeStartError' : undefined,
            profile: 'exactly-once',
            claimed: claimed ? ['exactly-once'] : ['at-least-once'],
          });
          assert.equal(result.verdict, expected(status, claimed, nodeStart), `${status}, claimed=${claimed}, NodeStartError=${nodeStart}`);
          assert.ok(result.reason.length > 0);
        }
      }
    }
  });
});

describe('exitCodeFor and countVerdicts', () => {
  const list = (...verdicts: Verdict[]) => verdicts.map((verdict) => ({ verdict }));

  test('0 for no scenarios, and for PASS and INFO only', () => {
    assert.equal(exitCodeFor([]), 0);
    assert.equal(exitCodeFor(list('PASS')), 0);
    assert.equal(exitCodeFor(list('INFO')), 0);
    assert.equal(exitCodeFor(list('PASS', 'INFO', 'PASS', 'INFO')), 0);
  });

  test('1 with any FAIL or ERROR, wherever it is', () => {
    assert.equal(exitCodeFor(list('FAIL')), 1);
    assert.equal(exitCodeFor(list('ERROR')), 1);
    assert.equal(exitCodeFor(list('PASS', 'INFO', 'FAIL')), 1);
    assert.equal(exitCodeFor(list('ERROR', 'PASS', 'INFO')), 1);
    assert.equal(exitCodeFor(list('FAIL', 'ERROR')), 1);
  });

  test('countVerdicts counts each verdict and has every key, even at zero', () => {
    assert.deepEqual(countVerdicts([]), { PASS: 0, FAIL: 0, INFO: 0, ERROR: 0, INCONCLUSIVE: 0 });
    assert.deepEqual(countVerdicts(list('PASS', 'FAIL', 'PASS', 'INFO', 'ERROR', 'ERROR', 'PASS', 'INCONCLUSIVE')), { PASS: 3, FAIL: 1, INFO: 1, ERROR: 2, INCONCLUSIVE: 1 });
  });

  test('VERDICTS lists the five verdicts', () => {
    assert.deepEqual([...VERDICTS], ['PASS', 'FAIL', 'INFO', 'ERROR', 'INCONCLUSIVE']);
  });

  test('INCONCLUSIVE alone exits 3: not judged is not a pass; with a FAIL or ERROR the run exits 1', () => {
    assert.equal(exitCodeFor(list('PASS', 'INCONCLUSIVE')), 3);
    assert.equal(exitCodeFor(list('INCONCLUSIVE', 'FAIL')), 1);
    assert.equal(exitCodeFor(list('INCONCLUSIVE', 'ERROR', 'PASS')), 1);
  });
});

describe('escapeXml', () => {
  test('escapes all five XML special characters', () => {
    assert.equal(escapeXml(`<a href="x">Tom & Jerry's</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });

  test('escapes & first, so existing entities are escaped once, not twice or not at all', () => {
    assert.equal(escapeXml('&lt; &amp;'), '&amp;lt; &amp;amp;');
  });

  test('control characters XML 1.0 cannot hold become visible \\u escapes', () => {
    assert.equal(escapeXml('a\u0000b\u0001c\u0008d\u000be\u000cf\u000eg\u001fh'), 'a\\u0000b\\u0001c\\u0008d\\u000be\\u000cf\\u000eg\\u001fh');
    assert.equal(escapeXml('\u001b[31mred\u001b[0m'), '\\u001b[31mred\\u001b[0m');
  });

  test('tab, line feed and carriage return are kept', () => {
    assert.equal(escapeXml('a\tb\nc\rd'), 'a\tb\nc\rd');
  });

  test('ordinary text and non-ASCII text are unchanged', () => {
    assert.equal(escapeXml('plain text 123'), 'plain text 123');
    assert.equal(escapeXml('ünïcødé ✅ 日本'), 'ünïcødé ✅ 日本');
    assert.equal(escapeXml(''), '');
  });

  test('the result never holds a character XML 1.0 forbids below U+0020', () => {
    let all = '';
    for (let code = 0; code < 0x20; code++) all += String.fromCharCode(code);
    assert.doesNotMatch(escapeXml(all), /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

/** The attributes of the first tag named `name` (or the tag itself when given as text). */
function attributesOf(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

function tags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?=[\\s/>])[^>]*>`, 'g'))].map((m) => m[0]);
}

/** Balanced elements, quoted attributes without raw `<`, no bare `&` in text or attributes. */
function assertWellFormed(xml: string): void {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  const body = xml.replace(/^<\?xml[^?]*\?>/, '');
  const token = /<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const bareAmp = /&(?!(?:amp|lt|gt|quot|apos);)/;
  const stack: string[] = [];
  let position = 0;
  while (position < body.length) {
    token.lastIndex = position;
    const match = token.exec(body);
    assert.ok(match, `not well-formed near ${JSON.stringify(body.slice(position, position + 60))}`);
    const [whole, closing, opening, attributes, selfClosing, text] = match;
    if (closing !== undefined) assert.equal(stack.pop(), closing);
    else if (opening !== undefined) {
      assert.doesNotMatch(attributes, bareAmp);
      if (selfClosing === '') stack.push(opening);
    } else assert.doesNotMatch(text, bareAmp);
    position += whole.length;
  }
  assert.deepEqual(stack, []);
}

describe('renderJUnit', () => {
  const verdicts: ScenarioVerdict[] = [
    verdictOf({ scenario: 'passes', feature: 'features/one.feature', durationMs: 1500 }),
    verdictOf({
      scenario: 'loses a job',
      feature: 'features/one.feature',
      verdict: 'FAIL',
      reason: 'violates exactly-once',
      anomalies: [anomaly('lost', 'j-7', 'accepted, never executed'), anomaly('duplicate-execution', 'j-9', 'ran twice'), anomaly('empty-history')],
      durationMs: 250,
      dir: 'one/loses-a-job',
    }),
    verdictOf({ scenario: 'not claimed', feature: 'features/two.feature', verdict: 'INFO', reason: 'passed, though the implementation does not claim exactly-once', durationMs: 10 }),
    verdictOf({
      scenario: 'cannot start',
      feature: 'features/two.feature',
      verdict: 'ERROR',
      reason: 'a node could not be started, so nothing was tested',
      error: 'NodeStartError: broker-1 exited with code 127',
      durationMs: 5,
    }),
    verdictOf({ scenario: 'also fails', feature: 'features/three.feature', verdict: 'FAIL', reason: 'violates mdp', profile: 'mdp', durationMs: 0 }),
  ];
  const xml = renderJUnit('acme broker', verdicts);

  test('is well-formed XML with one testsuites root', () => {
    assertWellFormed(xml);
    assert.equal(tags(xml, 'testsuites').length, 1);
    assert.ok(xml.endsWith('</testsuites>\n'));
  });

  test('the overall counts: tests, failures = FAIL, errors = ERROR, skipped = INFO, time in seconds', () => {
    assert.deepEqual(attributesOf(tags(xml, 'testsuites')[0]), { name: 'acme broker', tests: '5', failures: '2', errors: '1', skipped: '1', time: '1.765' });
  });

  test('one testsuite per feature, in order of first appearance, each with its own counts', () => {
    const suites = tags(xml, 'testsuite').map(attributesOf);
    assert.deepEqual(suites, [
      { name: 'features/one.feature', tests: '2', failures: '1', errors: '0', skipped: '0', time: '1.750' },
      { name: 'features/two.feature', tests: '2', failures: '0', errors: '1', skipped: '1', time: '0.015' },
      { name: 'features/three.feature', tests: '1', failures: '1', errors: '0', skipped: '0', time: '0.000' },
    ]);
  });

  test('one testcase per scenario, classname the feature, time in seconds', () => {
    const cases = tags(xml, 'testcase').map(attributesOf);
    assert.deepEqual(
      cases.map((c) => [c.classname, c.name, c.time]),
      [
        ['features/one.feature', 'passes', '1.500'],
        ['features/one.feature', 'loses a job', '0.250'],
        ['features/two.feature', 'not claimed', '0.010'],
        ['features/two.feature', 'cannot start', '0.005'],
        ['features/three.feature', 'also fails', '0.000'],
      ],
    );
  });

  test('a FAIL has a failure element whose body lists each anomaly name and job', () => {
    assert.equal(tags(xml, 'failure').length, 2);
    const failure = /<failure message="violates exactly-once" type="FAIL">([^<]*)<\/failure>/.exec(xml);
    assert.ok(failure, 'the failure of "loses a job"');
    const body = failure[1];
    assert.match(body, /^violates exactly-once\n/);
    assert.match(body, /^lost j-7: accepted, never executed$/m);
    assert.match(body, /^duplicate-execution j-9: ran twice$/m);
    assert.match(body, /^empty-history: empty-history detail$/m);
    assert.match(body, /history, logs and timeline: one\/loses-a-job$/);
  });

  test('an ERROR has an error element with the step error; PASS has neither failure nor error', () => {
    const errors = tags(xml, 'error');
    assert.equal(errors.length, 1);
    assert.deepEqual(attributesOf(errors[0]), { message: 'a node could not be started, so nothing was tested', type: 'ERROR' });
    assert.match(xml, /<error [^>]*>[^<]*NodeStartError: broker-1 exited with code 127[^<]*<\/error>/);
    const passing = /<testcase [^>]*name="passes"[^>]*>([\s\S]*?)<\/testcase>/.exec(xml);
    assert.ok(passing);
    assert.doesNotMatch(passing[1], /<failure|<error|<skipped/);
  });

  test('an INFO is skipped with its reason', () => {
    assert.deepEqual(tags(xml, 'skipped').map(attributesOf), [{ message: 'INFO: passed, though the implementation does not claim exactly-once' }]);
  });

  test('each testcase records its verdict, profile and clauses as properties', () => {
    const one = renderJUnit('run', [verdictOf({ profile: 'at-least-once', clauses: ['rfc7:heartbeating', 'khx1:journal-before-dispatch'] })]);
    const properties = tags(one, 'property').map(attributesOf);
    assert.deepEqual(properties, [
      { name: 'verdict', value: 'PASS' },
      { name: 'profile', value: 'at-least-once' },
      { name: 'clause', value: 'rfc7:heartbeating' },
      { name: 'clause', value: 'khx1:journal-before-dispatch' },
    ]);
  });

  test('no profile, no profile property', () => {
    const one = renderJUnit('run', [verdictOf({ profile: undefined })]);
    assert.deepEqual(tags(one, 'property').map(attributesOf), [{ name: 'verdict', value: 'PASS' }]);
  });

  test('system-out holds the verdict, the reason and the folder', () => {
    assert.match(xml, /<system-out>FAIL: violates exactly-once\nhistory, logs and timeline: one\/loses-a-job<\/system-out>/);
  });

  test('names, reasons, anomaly details and errors with <&"\'> are escaped everywhere', () => {
    const nasty = `<a & "b" 'c'>`;
    const escaped = '&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;';
    const out = renderJUnit(nasty, [
      verdictOf({
        scenario: nasty,
        feature: `features/${nasty}.feature`,
        verdict: 'FAIL',
        reason: nasty,
        anomalies: [anomaly('lost', nasty, nasty)],
        error: `${nasty}\u0007`,
        dir: nasty,
      }),
    ]);
    assertWellFormed(out);
    assert.ok(!out.includes(nasty), 'the raw text must not appear');
    assert.equal(attributesOf(tags(out, 'testsuites')[0]).name, escaped);
    assert.equal(attributesOf(tags(out, 'testsuite')[0]).name, `features/${escaped}.feature`);
    assert.equal(attributesOf(tags(out, 'testcase')[0]).name, escaped);
    assert.equal(attributesOf(tags(out, 'failure')[0]).message, escaped);
    assert.ok(out.includes(`lost ${escaped}: ${escaped}`));
    assert.ok(out.includes(`${escaped}\\u0007`));
    assert.doesNotMatch(out, /\u0007/);
  });

  test('no scenarios: an empty testsuites with zero counts', () => {
    const empty = renderJUnit('run', []);
    assertWellFormed(empty);
    assert.deepEqual(attributesOf(tags(empty, 'testsuites')[0]), { name: 'run', tests: '0', failures: '0', errors: '0', skipped: '0', time: '0.000' });
    assert.equal(tags(empty, 'testsuite').length, 0);
  });

  test('failureDetails: reason, anomalies, the error after a blank line, then the folder', () => {
    const details = failureDetails(
      verdictOf({ verdict: 'ERROR', reason: 'why', anomalies: [anomaly('stuck', 'j-1', 'no reply')], error: 'Error: boom\n  at x', dir: 'd' }),
    );
    assert.equal(details, 'why\nstuck j-1: no reply\n\nError: boom\n  at x\n\nhistory, logs and timeline: d');
  });
});

describe('renderMarkdownSummary', () => {
  const info: RunInfo = {
    implementation: 'acme broker',
    claimed: ['mdp', 'at-least-once'],
    seed: '42',
    replay: 'keelhaul verify --impl acme.yaml --seed 42',
  };

  const passOnly = renderMarkdownSummary(info, [
    verdictOf({ scenario: 'one', verdict: 'PASS' }),
    verdictOf({ scenario: 'two', verdict: 'INFO', reason: 'passed, though the implementation does not claim exactly-once', anomalies: [anomaly('lost', 'j-1')] }),
  ]);

  const mixed = renderMarkdownSummary(info, [
    verdictOf({ scenario: 'fine', verdict: 'PASS', clauses: ['rfc7:heartbeating', 'khx1:journal-before-dispatch'] }),
    verdictOf({
      scenario: 'a | b',
      feature: 'features/loss.feature',
      verdict: 'FAIL',
      reason: 'violates exactly-once',
      anomalies: [anomaly('lost', 'j-7', 'accepted | never run'), anomaly('empty-history', undefined, 'no jobs')],
      dir: 'loss/a-b',
    }),
    verdictOf({ scenario: 'no start', verdict: 'ERROR', reason: 'a node could not be started, so nothing was tested', error: 'NodeStartError: exit 127' }),
    verdictOf({ scenario: 'unclaimed', verdict: 'INFO', reason: 'failed, but the implementation does not claim exactly-once', anomalies: [anomaly('stuck', 'j-99')] }),
  ]);

  test('the title names the implementation', () => {
    assert.match(mixed, /^# keelhaul verify: acme broker\n/);
  });

  test('the header says Passed with the counts, the claims and the seed when nothing failed', () => {
    assert.ok(passOnly.includes('**Passed**: 1 pass, 0 fail, 1 info, 0 error, 0 inconclusive (claims: mdp, at-least-once; seed 42)'), passOnly);
  });

  test('the header says Failed with the counts when something failed or errored', () => {
    assert.ok(mixed.includes('**Failed**: 1 pass, 1 fail, 1 info, 1 error, 0 inconclusive (claims: mdp, at-least-once; seed 42)'), mixed);
    const errorOnly = renderMarkdownSummary(info, [verdictOf({ verdict: 'ERROR', reason: 'x' })]);
    assert.ok(errorOnly.includes('**Failed**: 0 pass, 0 fail, 0 info, 1 error'));
  });

  test('INCONCLUSIVE is shown apart from the failures: its own headline and section, with the reason and attempts', () => {
    const text = renderMarkdownSummary(info, [
      verdictOf({ verdict: 'PASS' }),
      verdictOf({ scenario: 'backlog', verdict: 'INCONCLUSIVE', reason: 'the fault touched nothing', attempts: 3, retried: ['a', 'b'] }),
    ]);
    assert.ok(text.includes('**Not judged**: 1 pass, 0 fail, 0 info, 0 error, 1 inconclusive'), text);
    assert.ok(text.includes('## Inconclusive: not judged'), text);
    assert.ok(text.includes('- backlog: the fault touched nothing (3 attempts)'), text);
    assert.ok(!text.includes('## INCONCLUSIVE'), 'not listed among the failures');
    const withHealth = renderMarkdownSummary(info, [verdictOf({ verdict: 'INCONCLUSIVE', reason: 'r', health: { samples: 4, lagMaxMs: 812, lagP99Ms: 300, load1Max: 9.5, cpus: 2 } })]);
    assert.ok(withHealth.includes('Harness health: worst event-loop stall 812 ms, load up to 9.5 on 2 cores (4 samples).'), withHealth);
  });

  test('a verdict that passed after inconclusive attempts lists why they were retried', () => {
    const text = renderMarkdownSummary(info, [verdictOf({ scenario: 'storm', verdict: 'PASS', attempts: 2, retried: ['the machine was too slow to judge: x'] })]);
    assert.ok(text.includes('- storm: PASS on attempt 2; before: the machine was too slow to judge: x'), text);
  });

  test('one table row per scenario, in order, with verdict, profile, clauses and reason', () => {
    const rows = mixed.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| verdict') && !line.startsWith('| ---'));
    assert.deepEqual(rows, [
      '| ✅ PASS | fine | exactly-once | rfc7:heartbeating khx1:journal-before-dispatch | meets exactly-once |',
      '| ❌ FAIL | a \\| b | exactly-once |  | violates exactly-once |',
      '| 💥 ERROR | no start | exactly-once |  | a node could not be started, so nothing was tested |',
      '| ℹ️ INFO | unclaimed | exactly-once |  | failed, but the implementation does not claim exactly-once |',
    ]);
    assert.ok(mixed.includes('| verdict | scenario | profile | clauses | why |\n| --- | --- | --- | --- | --- |\n'));
  });

  test('pipes and line breaks in a scenario name or reason do not break the table', () => {
    const out = renderMarkdownSummary(info, [verdictOf({ scenario: 'x|y\nz', reason: 'p|q\r\nr', profile: undefined })]);
    assert.ok(out.includes('| ✅ PASS | x\\|y z |  |  | p\\|q r |'), out);
  });

  test('a section for each FAIL and ERROR, listing its anomalies with their job ids', () => {
    assert.ok(mixed.includes('## FAIL: a \\| b\n\nfeatures/loss.feature · violates exactly-once · files: `loss/a-b`\n'));
    assert.ok(mixed.includes('- **lost** `j-7`: accepted \\| never run\n'));
    assert.ok(mixed.includes('- **empty-history**: no jobs\n'));
    assert.ok(mixed.includes('## ERROR: no start\n'));
    assert.ok(mixed.includes('```\nNodeStartError: exit 127\n```'));
    assert.equal(mixed.match(/^## /gm)?.length, 2);
  });

  test('no section for PASS or INFO, even with anomalies', () => {
    assert.doesNotMatch(mixed, /^## (PASS|INFO)/m);
    assert.doesNotMatch(mixed, /j-99/);
    assert.doesNotMatch(passOnly, /^## /m);
    assert.doesNotMatch(passOnly, /\*\*lost\*\*/);
  });

  test('the replay command is at the end', () => {
    assert.ok(mixed.endsWith('\nReplay: `keelhaul verify --impl acme.yaml --seed 42`\n'));
    assert.ok(passOnly.endsWith('\nReplay: `keelhaul verify --impl acme.yaml --seed 42`\n'));
  });

  test('a long anomaly list is cut at 20 with a line saying how many more', () => {
    const anomalies = Array.from({ length: 23 }, (_, i) => anomaly('lost', `j-${i}`));
    const out = renderMarkdownSummary(info, [verdictOf({ verdict: 'FAIL', reason: 'violates exactly-once', anomalies })]);
    const listed = out.split('\n').filter((line) => line.startsWith('- **lost**'));
    assert.equal(listed.length, 20);
    assert.equal(listed[19], '- **lost** `j-19`: lost detail');
    assert.ok(!out.includes('`j-20`'));
    assert.ok(out.includes('- ... and 3 more (see verdict.json)'));
  });

  test('exactly 20 anomalies are all listed, with no "more" line', () => {
    const anomalies = Array.from({ length: 20 }, (_, i) => anomaly('lost', `j-${i}`));
    const out = renderMarkdownSummary(info, [verdictOf({ verdict: 'FAIL', reason: 'violates exactly-once', anomalies })]);
    assert.equal(out.split('\n').filter((line) => line.startsWith('- **lost**')).length, 20);
    assert.doesNotMatch(out, /more \(see verdict\.json\)/);
  });

  test('a long step error is cut to its first 15 lines', () => {
    const error = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const out = renderMarkdownSummary(info, [verdictOf({ verdict: 'ERROR', reason: 'x', error })]);
    assert.ok(out.includes('line 14\n```'));
    assert.ok(!out.includes('line 15'));
  });

  test('no scenarios: Nothing ran (not Passed), with zero counts and an empty table', () => {
    const out = renderMarkdownSummary(info, []);
    assert.ok(out.includes('**Nothing ran**: 0 pass, 0 fail, 0 info, 0 error'));
    assert.ok(out.includes('| --- | --- | --- | --- | --- |\n\nReplay: '));
  });
});

/* A problem these tests found in the first version; the test keeps its fix in place. */
describe('problems found and fixed', () => {
  test('escapeXml replaces U+FFFE, U+FFFF and lone surrogates, which XML 1.0 forbids', () => {
    assert.doesNotMatch(escapeXml('a\ufffeb\uffffc\ud800d'), /[\ufffe\uffff\ud800-\udfff]/);
  });
});

describe('blame: whose fault a failed history is', () => {
  const starvedSample: HistoryEvent = { type: 'harness', t: 50, windowMs: 500, lagMaxMs: 580, lagP99Ms: 580, load1: 10.5, cpus: 2 };
  const healthy: HistoryEvent = { ...starvedSample, lagMaxMs: 20, lagP99Ms: 5 };
  const invoke: HistoryEvent = { type: 'invoke', t: 1, process: 'client-1', job: 'j1', service: 'echo' };
  const start: HistoryEvent = { type: 'exec-start', t: 2, worker: 'worker-1', job: 'j1' };
  const end: HistoryEvent = { type: 'exec-end', t: 3, worker: 'worker-1', job: 'j1' };
  const gaveUp: HistoryEvent = { type: 'info', t: 5000, process: 'client-1', job: 'j1', error: 'no answer after 8 attempts' };
  const failed: HistoryEvent = { type: 'fail', t: 5000, process: 'client-1', job: 'j1', error: 'refused' };
  // Another job that was answered, so the history is not empty of successes.
  const answered: HistoryEvent[] = [
    { type: 'invoke', t: 1, process: 'client-2', job: 'j2', service: 'echo' },
    { type: 'exec-start', t: 2, worker: 'worker-2', job: 'j2' },
    { type: 'exec-end', t: 3, worker: 'worker-2', job: 'j2' },
    { type: 'ok', t: 4, process: 'client-2', job: 'j2', reply: 'j2' },
  ];
  const judged = (events: HistoryEvent[]) => judge(checkHistory([...answered, ...events], { callBound: 10_000, recoveryBound: 10_000 }), 'exactly-once');

  test('a client that gave up (lost, ended in info) while the harness stalled: starved, not accused', () => {
    const events = [invoke, start, end, starvedSample, gaveUp];
    const verdict = blame(events, judged(events), 150);
    assert.equal(verdict.accused, false);
    assert.match(verdict.starved ?? '', /stalled 580 ms/);
    assert.equal(decideVerdict({ status: 'FAILED', profile: 'exactly-once', claimed: ['exactly-once'], ...verdict }).verdict, 'INCONCLUSIVE');
  });

  test('the same with a harness that kept up: a FAIL', () => {
    const events = [invoke, start, end, healthy, gaveUp];
    const verdict = blame(events, judged(events), 150);
    assert.deepEqual(verdict, { accused: false, starved: undefined, undecided: undefined });
    assert.equal(decideVerdict({ status: 'FAILED', profile: 'exactly-once', claimed: ['exactly-once'], ...verdict }).verdict, 'FAIL');
  });

  test('a run a step cut short (INCONCLUSIVE before any check): its open calls and unanswered jobs accuse nobody; a duplicate still does', () => {
    const cut = [{ type: 'invoke', t: 1, process: 'client-1', job: 'j3', service: 'echo' } as HistoryEvent, healthy];
    const judgedAlone = judge(checkHistory(cut, { callBound: 1, recoveryBound: 10_000 }), 'exactly-once');
    assert.ok(judgedAlone.violations.some((a) => a.name === 'no-success'), 'the open call reads as no-success afterwards');
    assert.equal(blame(cut, judgedAlone, 150).accused, true, 'in a scenario that ran to its checks, no-success accuses');
    const verdict = blame(cut, judgedAlone, 150, { cutShort: true });
    assert.equal(verdict.accused, false);
    assert.equal(decideVerdict({ status: 'FAILED', exceptionType: 'Inconclusive', error: 'the node could not be cut', profile: 'exactly-once', claimed: ['exactly-once'], ...verdict }).verdict, 'INCONCLUSIVE');
    const twice = [...answered, { type: 'exec-start', t: 5, worker: 'worker-3', job: 'j2' } as HistoryEvent, { type: 'exec-end', t: 6, worker: 'worker-3', job: 'j2' } as HistoryEvent, healthy];
    const judgedTwice = judge(checkHistory(twice, { callBound: 10_000, recoveryBound: 10_000 }), 'exactly-once');
    assert.equal(blame(twice, judgedTwice, 150, { cutShort: true }).accused, true, 'a job run twice accuses even in a run cut short');
  });

  test('a definite failure of a job that ran accuses the implementation however starved the harness was', () => {
    const events = [invoke, start, end, starvedSample, failed];
    const verdict = blame(events, judged(events), 150);
    assert.equal(verdict.accused, true);
    assert.equal(decideVerdict({ status: 'FAILED', profile: 'exactly-once', claimed: ['exactly-once'], ...verdict }).verdict, 'FAIL');
  });
});
