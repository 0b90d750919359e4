import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { formatCheckResult } from '../../harness/checker/format';
import { judge } from '../../harness/checker/profile';
import type { OrphanEvent } from '../../harness/history/event';
import { countOrphans } from '../../harness/history/orphan-count';
import { renderMarkdownSummary } from '../../harness/report/markdown-summary';
import type { ScenarioVerdict } from '../../harness/report/verdict';
import { cleanJob, execEnd, execStart, info, invoke, ok } from './fixture';

const options = { callBound: 1000, recoveryBound: 1000 };

const orphan = (t: number, job: string, what: OrphanEvent['what'], node: { process: string } | { worker: string } = { process: 'client-1' }): OrphanEvent => ({
  type: 'orphan',
  t,
  ...node,
  job,
  what,
  detail: 'dropped',
});

/** A call whose first attempt gave up: that attempt's answer was dropped as an orphan, the retry got the recorded result. */
const droppedHistory = [
  ...cleanJob(0, 'j-1'),
  invoke(10, 'j-2'),
  execStart(11, 'worker-1', 'j-2'),
  execEnd(30, 'worker-1', 'j-2'),
  orphan(31, 'j-2', 'earlier-attempt'),
  ok(40, 'j-2'),
  // One for a job nobody invoked (a plain reply names no invoked job), one a worker dropped.
  orphan(41, 'plain-reply-body', 'late-reply'),
  orphan(42, 'j-1', 'late-result', { worker: 'worker-1' }),
];

/** A call that gave up for good (info), whose reply then came: what the checkers find is the same with or without the orphan. */
const gaveUpHistory = [...cleanJob(0, 'j-0'), invoke(0, 'j-3'), execStart(1, 'worker-1', 'j-3'), info(20, 'j-3'), execEnd(30, 'worker-1', 'j-3'), orphan(31, 'j-3', 'late-reply')];

test('orphans: no request-reply check reads an orphan, so it is never an anomaly in any profile; it is only counted', () => {
  const result = checkHistory(droppedHistory, options);
  assert.deepEqual(result.anomalies, [], 'an orphan of an invoked job, of a job never invoked, and a worker\'s: no anomaly (unexpected skips them)');
  for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) assert.equal(judge(result, profile).verdict, 'PASS', profile);
  assert.equal(result.stats.orphans, 3);
  assert.match(formatCheckResult(result, 'exactly-once'), /^history: 2 invoked, 2 ok, 0 fail, 0 info, 2 executions, 0 faults, 3 orphans dropped$/m);
});

test('orphans: a history judged with and without its orphans gets the same findings (a call that gave up is still lost: the orphan excuses nothing)', () => {
  for (const history of [droppedHistory, gaveUpHistory]) {
    const without = history.filter((event) => event.type !== 'orphan');
    assert.deepEqual(checkHistory(history, options).anomalies, checkHistory(without, options).anomalies);
  }
  assert.deepEqual(checkHistory(gaveUpHistory, options).anomalies.map((anomaly) => anomaly.name), ['lost']);
});

test('orphans: a late reply that reached the application as an answer is an ok, judged as one (duplicate-reply), not an orphan', () => {
  const delivered = [...cleanJob(0, 'j-1'), ok(10, 'j-1')];
  const result = checkHistory(delivered, options);
  assert.equal(result.counts['duplicate-reply'], 1);
  assert.equal(result.stats.orphans, 0);
});

test('orphans: the scenario report counts them by kind, and the Markdown summary lists them', () => {
  assert.equal(countOrphans(cleanJob(0, 'j-1')), undefined, 'none: no count at all');
  const count = countOrphans([...droppedHistory, ...gaveUpHistory]);
  assert.deepEqual(count, { total: 4, byKind: { 'earlier-attempt': 1, 'late-reply': 2, 'late-result': 1 } });
  const verdict: ScenarioVerdict = { scenario: 'late replies', feature: 'f.feature', tags: [], clauses: [], verdict: 'PASS', reason: 'ok', anomalies: [], durationMs: 1, dir: 'x', orphans: count };
  const summary = renderMarkdownSummary({ implementation: 'ref', claimed: ['exactly-once'], seed: '1', replay: 'r' }, [verdict]);
  assert.match(summary, /## Orphans dropped\n\n- late replies: 4 \(earlier-attempt 1, late-reply 2, late-result 1\)/);
});
