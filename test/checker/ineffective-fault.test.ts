import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFaultsHit, judge, checkHistory, judgePubSub } from '../../harness/checker';
import { checkPubSub } from '../../harness/checker/pubsub';
import type { HistoryEvent } from '../../harness/history/event';

const fault = (hit: boolean | undefined, t = 5): HistoryEvent => ({
  type: 'nemesis', phase: 'start', id: 'kill-1', fault: 'kill', targets: ['worker-1'], t,
  effect: hit === undefined ? {} : { hit, jobsInFlight: hit ? ['j-1'] : [] },
});

test('checkFaultsHit: a fault that hit nothing is reported', () => {
  const anomalies = checkFaultsHit([fault(false)]);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'ineffective-fault');
  assert.match(anomalies[0].detail, /worker-1/);
});

test('checkFaultsHit: a fault that hit a job, or did not say, is not reported', () => {
  assert.deepEqual(checkFaultsHit([fault(true), fault(undefined)]), []);
});

test('an ineffective fault passes no profile and accuses nobody: INCONCLUSIVE under every profile', () => {
  const events: HistoryEvent[] = [
    { type: 'invoke', process: 'c', job: 'j-1', service: 'echo', t: 1 },
    fault(false, 2),
    { type: 'nemesis', phase: 'end', id: 'kill-1', fault: 'kill', targets: ['worker-1'], t: 3 },
    { type: 'ok', process: 'c', job: 'j-1', reply: 'j-1', t: 4 },
  ];
  const result = checkHistory(events, { callBound: 1000, recoveryBound: 1000 });
  assert.equal(result.counts['ineffective-fault'], 1);
  for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) {
    const judgement = judge(result, profile);
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.deepEqual(judgement.violations, []);
    assert.deepEqual(judgement.undecided.map((a) => a.name), ['ineffective-fault']);
  }
});

test('an ineffective fault beside a real anomaly: the anomaly FAILs the run', () => {
  const events: HistoryEvent[] = [
    { type: 'invoke', process: 'c', job: 'j-1', service: 'echo', t: 1 },
    fault(false, 2),
    { type: 'nemesis', phase: 'end', id: 'kill-1', fault: 'kill', targets: ['worker-1'], t: 3 },
    { type: 'ok', process: 'c', job: 'j-1', reply: 'j-1', t: 4 },
    { type: 'ok', process: 'c', job: 'j-1', reply: 'j-1', t: 5 },
  ];
  const judgement = judge(checkHistory(events, { callBound: 1000, recoveryBound: 1000 }), 'mdp');
  assert.equal(judgement.verdict, 'FAIL');
  assert.deepEqual(judgement.violations.map((a) => a.name), ['duplicate-reply']);
});

test('pub/sub runs the same rule: a subscriber fault that hit nothing makes a clean pub/sub history INCONCLUSIVE', () => {
  const frozen = (hit: boolean, t: number): HistoryEvent => ({
    type: 'nemesis', phase: 'start', id: `freeze-${t}`, fault: 'freeze', targets: ['sub-1'], t,
    effect: { hit, subscriptions: hit ? ['sub-1:a'] : [], messagesOwed: 0 },
  });
  const events: HistoryEvent[] = [
    frozen(false, 0),
    { type: 'subscribe', t: 1, subscriber: 'sub-1', topic: 'a' },
    { type: 'subscribed', t: 2, subscriber: 'sub-1', topic: 'a' },
    frozen(true, 3),
    { type: 'put', t: 4, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'put-ok', t: 5, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'deliver', t: 6, subscriber: 'sub-1', topic: 'a', msg: 'm-1', publisher: 'pub-1' },
  ];
  const result = checkPubSub(events);
  assert.equal(result.counts['ineffective-fault'], 1);
  const judgement = judgePubSub(result, 'pubsub-exactly-once');
  assert.equal(judgement.verdict, 'INCONCLUSIVE');
  assert.deepEqual(judgement.undecided.map((a) => a.events[0]), [events[0]]);
});

test('checkFaultsHit: a connection fault is judged on its end event, by what the fault proxy counted', () => {
  const connectionFault = (refused: number): HistoryEvent[] => [
    { type: 'nemesis', phase: 'start', id: `refuse-${refused}`, fault: 'refuse-connections on link worker-1->broker', targets: ['worker-1', 'broker'], t: 1, effect: { jobsInFlight: [] } },
    { type: 'nemesis', phase: 'end', id: `refuse-${refused}`, fault: 'refuse-connections on link worker-1->broker', targets: ['worker-1', 'broker'], t: 2, effect: { connections: { refused }, hit: refused > 0 } },
  ];
  assert.deepEqual(checkFaultsHit(connectionFault(2)), []);
  const anomalies = checkFaultsHit(connectionFault(0));
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].detail, 'fault refuse-connections on link worker-1->broker on worker-1, broker acted on no connection while in force (refused 0): it tested nothing');
});

test('checkFaultsHit: a message fault that affected no message is reported from its end event, with what it matched and could not read', () => {
  const end = (affected: number): HistoryEvent => ({
    type: 'nemesis', phase: 'end', id: 'drop-messages-1', fault: 'drop-messages (HEARTBEAT messages) on links of worker-1', targets: ['worker-1', 'broker'], t: 9,
    effect: { hit: affected > 0, messages: { matched: 0, affected, unparsedStreams: 2, unparsedReason: 'CURVE mechanism: frames are encrypted' } },
  });
  const anomalies = checkFaultsHit([end(0), end(3)]);
  assert.equal(anomalies.length, 1);
  assert.match(anomalies[0].detail, /matched 0 message\(s\) and affected none; 2 stream\(s\) could not be read \(CURVE mechanism/);
});
