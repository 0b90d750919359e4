import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brokenClauseIds, brokenClausesLine } from '../../harness/report/broken-clauses';
import { renderJUnit } from '../../harness/report/junit';
import { renderMarkdownSummary } from '../../harness/report/markdown-summary';
import type { ScenarioVerdict } from '../../harness/report/verdict';
import { anomalyList } from '../../harness/report/verdict-formatter';
import { clauseSummary, shortClauseText } from '../../harness/spec/clause-summary';

const failed = (clauses: string[]): ScenarioVerdict => ({
  scenario: 'A worker killed while it holds a job',
  feature: 'features/request-reply/worker-faults.feature',
  tags: ['@at-least-once', ...clauses.map((clause) => `@${clause}`)],
  profile: 'at-least-once',
  clauses,
  broken: clauses.map(clauseSummary),
  verdict: 'FAIL',
  reason: 'violates at-least-once',
  anomalies: [{ name: 'gratuitous-duplicate', job: 'j-1', detail: 'job j-1 attempt 3 on worker-3 ...', events: [] }],
  durationMs: 1000,
  dir: 'a-worker-killed',
});

describe('verdicts name the clauses a FAIL broke', () => {
  test('a clause is named by id, level and its rule from the catalogue', () => {
    assert.deepEqual(clauseSummary('rfc7:drop-invalid'), {
      id: 'rfc7:drop-invalid',
      level: 'SHOULD',
      text: 'The broker SHOULD respond to invalid messages by dropping them and treating that peer as invalid.',
    });
    assert.equal(brokenClausesLine({ broken: [clauseSummary('rfc7:drop-invalid')] }), 'breaks rfc7:drop-invalid (SHOULD: The broker SHOULD respond to invalid messages by dropping them and treating that peer as invalid.)');
  });

  test('a group tag has no level, an unknown id says so, several clauses are "one or more of"', () => {
    assert.equal(clauseSummary('rfc7:no-such-rule').text, 'not in the clause catalogue');
    const line = brokenClausesLine({ broken: [clauseSummary('rfc7:heartbeating'), clauseSummary('rfc7:no-such-rule')] });
    assert.match(line, /^breaks one or more of rfc7:heartbeating \(Broker and worker send heartbeats[^()]*\); rfc7:no-such-rule \(not in the clause catalogue\)$/);
    assert.equal(brokenClausesLine({}), '');
  });

  test('a long rule is cut to its first sentence, and at a word past 120 characters', () => {
    assert.equal(shortClauseText('One. Two.'), 'One.');
    const long = shortClauseText(`${'word '.repeat(40)}end.`);
    assert.ok(long.length <= 121 && long.endsWith('word…'), long);
  });

  test('junit.xml and summary.md show the broken clause beside the evidence', () => {
    const verdict = failed(['rfc7:drop-invalid']);
    const xml = renderJUnit('run', [verdict]);
    assert.match(xml, /<failure message="violates at-least-once" type="FAIL">violates at-least-once\nbreaks rfc7:drop-invalid \(SHOULD: The broker SHOULD respond/);
    const summary = renderMarkdownSummary({ implementation: 'x', claimed: ['at-least-once'], seed: '1', replay: 'r' }, [verdict]);
    assert.ok(summary.includes('Breaks:\n\n- `rfc7:drop-invalid` (SHOULD: The broker SHOULD respond to invalid messages by dropping them and treating that peer as invalid.)\n\n- **gratuitous-duplicate** `j-1`'), summary);
  });

  test("the progress line's anomaly list shows the detail of an anomaly about no job (which outcome was wrong)", () => {
    const list = anomalyList([{ name: 'no-success', detail: 'no operation succeeded: 3 calls to nobody-home ended indefinitely (timeout)', events: [] }]);
    assert.equal(list, 'no-success (no operation succeeded: 3 calls to nobody-home ended indefinitely (timeout))');
  });
});

describe('brokenClauseIds: the clauses a FAIL broke', () => {
  const tagged = ['khp1:adopt-welcome', 'khp1:drop-duplicates-and-gaps', 'khp1:processed-before-ack'];

  test('evidence that names a clause in brackets breaks that clause alone', () => {
    assert.deepEqual(brokenClauseIds(tagged, '[khp1:drop-duplicates-and-gaps] subscriber-1 handed out DELIVER news 8 while 7 was still missing (a gap)'), ['khp1:drop-duplicates-and-gaps']);
  });

  test('evidence naming no clause, or only ids that are not clauses, breaks every clause the scenario is tagged with', () => {
    assert.deepEqual(brokenClauseIds(tagged, '[lost] message publisher-1:x:1 accepted, never delivered'), tagged);
    assert.deepEqual(brokenClauseIds(tagged, '[khp1:no-such-rule] something'), tagged);
    assert.deepEqual(brokenClauseIds(tagged, undefined), tagged);
  });

  test('a MAY the scenario is tagged with is never broken: it permits', () => {
    assert.deepEqual(brokenClauseIds(['rfc7:dispatch-any-basis'], '[idle-worker-bypassed] job client-1:x:3 waited'), []);
    assert.deepEqual(brokenClauseIds(['rfc7:client-recovery', 'rfc7:recover-client-network'], '[stuck] job client-1:x:3 never returned'), ['rfc7:recover-client-network']);
  });

  test('each clause named is listed once, in the order named', () => {
    assert.deepEqual(brokenClauseIds(tagged, '[khp1:adopt-welcome] a; [khp1:eviction] b; [khp1:adopt-welcome] c'), ['khp1:adopt-welcome', 'khp1:eviction']);
  });
});
