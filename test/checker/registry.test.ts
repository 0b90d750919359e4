import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { PUBSUB, checkPubSub, type PubSubCheck } from '../../harness/checker/pubsub';
import {
  extendCheckerSystem,
  formatFindings,
  judgeFindings,
  renderAnomalyTable,
  renderProfileTable,
  runChecks,
  type AnomalyCheck,
} from '../../harness/checker/registry';
import { REQUEST_REPLY, type RequestReplyCheck } from '../../harness/checker/request-reply';
import type { HistoryEvent, NemesisEvent, OkEvent } from '../../harness/history/event';
import { cleanJob, faultEnd, faultStart, invoke, ok } from './fixture';

// Adding an anomaly is one file plus its tests: these throwaway entries live only in this file, and
// are registered in a test-local registry (extendCheckerSystem), touching nothing else.

/** An ok for a job no worker ever committed: the reply came from nowhere. */
const REPLY_WITHOUT_EXECUTION: RequestReplyCheck<'reply-without-execution'> = {
  name: 'reply-without-execution',
  system: 'request-reply',
  forbiddenBy: ['exactly-once'],
  describe: 'An `ok` for a job with no `exec-end`.',
  check: (events) =>
    events
      .filter((event): event is OkEvent => event.type === 'ok')
      .filter((reply) => !events.some((event) => event.type === 'exec-end' && event.job === reply.job))
      .map((reply) => ({ name: 'reply-without-execution' as const, job: reply.job, detail: `job ${reply.job} answered, never executed`, events: [reply] })),
};

/**
 * Every fault, as a finding it causes itself: one with a target is excused (listed, not counted), one
 * without names its cause but is not excused by it.
 */
const TARGETED_FAULT: RequestReplyCheck<'targeted-fault'> = {
  name: 'targeted-fault',
  system: 'request-reply',
  forbiddenBy: ['mdp', 'at-least-once', 'exactly-once'],
  explained: { label: 'faults with a target', excusingCauses: ['targeted'] },
  describe: 'A fault.',
  check: (events) =>
    events
      .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start')
      .map((fault) => ({ name: 'targeted-fault' as const, detail: `fault ${fault.id}`, events: [fault], explainedBy: fault, cause: fault.targets.length > 0 ? 'targeted' : 'untargeted' })),
};

/** A history with more events than the recovery bound: the harness ran out of patience, not the system. */
const TOO_LONG: AnomalyCheck<'too-long', 'mdp' | 'at-least-once' | 'exactly-once', readonly HistoryEvent[], { callBound: number; recoveryBound: number }> = {
  name: 'too-long',
  system: 'request-reply',
  forbiddenBy: ['at-least-once', 'exactly-once'],
  undecided: true,
  describe: 'More events than `recoveryBound`.',
  check: (events, { recoveryBound }) => (events.length > recoveryBound ? [{ name: 'too-long' as const, detail: `${events.length} events`, events: [] }] : []),
};

const options = { callBound: 1000, recoveryBound: 1000 };
const extended = extendCheckerSystem(REQUEST_REPLY, [REPLY_WITHOUT_EXECUTION, TARGETED_FAULT, TOO_LONG]);

describe('checker registry: a throwaway anomaly in a test-local registry', () => {
  const history = [...cleanJob(0, 'j-1'), invoke(10, 'j-2'), ok(11, 'j-2')];

  test('is counted, after the built-in ones, which stay as checkHistory finds them', () => {
    const result = runChecks(extended, history, options);
    assert.equal(result.counts['reply-without-execution'], 1);
    assert.equal(result.counts['too-long'], 0);
    assert.deepEqual(extended.names, [...REQUEST_REPLY.names, 'reply-without-execution', 'targeted-fault', 'too-long']);
    const builtIn = checkHistory(history, options);
    assert.deepEqual(result.anomalies.filter((anomaly) => anomaly.name !== 'reply-without-execution'), builtIn.anomalies);
    for (const name of REQUEST_REPLY.names) assert.equal(result.counts[name], builtIn.counts[name], name);
  });

  test('is judged by the profiles its entry names', () => {
    const { anomalies } = runChecks(extended, history, options);
    assert.equal(judgeFindings(extended, anomalies, 'mdp').verdict, 'PASS');
    assert.equal(judgeFindings(extended, anomalies, 'at-least-once').verdict, 'PASS');
    const judgement = judgeFindings(extended, anomalies, 'exactly-once');
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual(judgement.violations.map((anomaly) => [anomaly.name, anomaly.job]), [['reply-without-execution', 'j-2']]);
  });

  test('is formatted with its count, marked forbidden where it is, and its detail', () => {
    const result = runChecks(extended, history, options);
    const lines = formatFindings(extended, result, { profile: 'exactly-once' });
    assert.deepEqual(lines, [
      'verdict (exactly-once): FAIL, 1 violation(s)',
      '  reply-without-execution: 1 (forbidden)',
      '  - [reply-without-execution] job j-2 answered, never executed',
    ]);
    assert.ok(formatFindings(extended, result, { profile: 'mdp', allCounts: true }).includes('  reply-without-execution: 1'));
  });

  test('an undecided one makes the verdict INCONCLUSIVE, never FAIL', () => {
    const { anomalies } = runChecks(extended, cleanJob(0, 'j-1'), { callBound: 1000, recoveryBound: 2 });
    assert.deepEqual(anomalies.map((anomaly) => anomaly.name), ['too-long']);
    assert.equal(judgeFindings(extended, anomalies, 'mdp').verdict, 'PASS');
    const judgement = judgeFindings(extended, anomalies, 'at-least-once');
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.deepEqual(judgement.violations, []);
    assert.deepEqual(judgement.undecided.map((anomaly) => anomaly.name), ['too-long']);
  });

  test('an explained one is listed, not counted, not judged, and summarized under its own label; one whose cause does not excuse it counts', () => {
    const faults = [faultStart(5, 'f-1', 'kill', ['worker-1']), faultEnd(6, 'f-1', 'kill', ['worker-1']), faultStart(7, 'f-2', 'drop', []), faultEnd(8, 'f-2', 'drop', [])];
    const result = runChecks(extended, [...cleanJob(0, 'j-1'), ...faults, ...cleanJob(20, 'j-2')], options);
    assert.equal(result.counts['targeted-fault'], 1);
    assert.equal(result.explained, 1);
    assert.deepEqual(judgeFindings(extended, result.anomalies, 'mdp').violations.map((anomaly) => anomaly.detail), ['fault f-2']);
    const lines = formatFindings(extended, result, { profile: 'mdp' });
    assert.ok(lines.includes('  targeted-fault: 1 (forbidden)'), lines.join('\n'));
    assert.ok(lines.includes('  explained faults with a target: 1 (allowed)'), lines.join('\n'));
  });

  test('gets its docs rows from its entry', () => {
    assert.match(renderAnomalyTable(extended), /^\| `reply-without-execution` \| An `ok` for a job with no `exec-end`\. \|$/m);
    const profiles = renderProfileTable(extended);
    assert.match(profiles, /^\| `reply-without-execution` \| allowed \| allowed \| forbidden \|$/m);
    assert.match(profiles, /^\| `targeted-fault` \(unexplained, or any other cause\) \| forbidden \| forbidden \| forbidden \|$/m);
    assert.match(profiles, /^\| `targeted-fault` \(explained by `targeted`\) \| allowed \| allowed \| allowed \|$/m);
    assert.match(profiles, /^\| `too-long` \| allowed \| undecided \| undecided \|$/m);
  });

  test('the built-in registry is left as it was', () => {
    assert.ok(!(REQUEST_REPLY.names as readonly string[]).includes('reply-without-execution'));
    assert.equal(REQUEST_REPLY.checks.length, 12);
  });
});

describe('checker registry: a throwaway pub/sub anomaly', () => {
  /** A subscriber that got more deliveries than messages were put. */
  const GREEDY: PubSubCheck<'greedy-subscriber'> = {
    name: 'greedy-subscriber',
    system: 'pubsub',
    forbiddenBy: ['pubsub-exactly-once'],
    describe: 'More deliveries to one subscriber than messages put.',
    check: (history) =>
      [...history.deliveriesBySubscriber]
        .filter(([, byMsg]) => [...byMsg.values()].flat().length > history.messages.size)
        .map(([subscriber]) => ({ name: 'greedy-subscriber' as const, subscriber, detail: `${subscriber} got too much`, events: [] })),
  };
  const pubsub = extendCheckerSystem(PUBSUB, [GREEDY]);
  const history: HistoryEvent[] = [
    { type: 'subscribed', t: 0, subscriber: 'sub-1', topic: 'a' },
    { type: 'put', t: 1, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'put-ok', t: 2, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'deliver', t: 3, subscriber: 'sub-1', topic: 'a', msg: 'm-1', publisher: 'pub-1' },
    { type: 'deliver', t: 4, subscriber: 'sub-1', topic: 'a', msg: 'm-1', publisher: 'pub-1' },
  ];

  test('is counted with the options the pub/sub checks take, formatted and judged beside the built-in duplicate', () => {
    const result = runChecks(pubsub, history, { ordered: false });
    assert.equal(result.counts['greedy-subscriber'], 1);
    assert.equal(result.counts['duplicate-delivery'], checkPubSub(history).counts['duplicate-delivery']);
    const judgement = judgeFindings(pubsub, result.anomalies, 'pubsub-exactly-once');
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual(judgement.violations.map((anomaly) => anomaly.name), ['duplicate-delivery', 'greedy-subscriber']);
    assert.ok(formatFindings(pubsub, result, { allCounts: true }).includes('  greedy-subscriber: 1'));
  });
});
