import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory, judge, judgePubSub } from '../../harness/checker';
import { checkFaultShapes, SHAPE_TOLERANCES } from '../../harness/checker/common/fault-misshapen';
import { checkPubSub } from '../../harness/checker/pubsub';
import type { FaultEffect, FaultMeasurement, HistoryEvent } from '../../harness/history/event';

/** A fault's start (with what was asked) and its end (with what was measured). */
function fault(id: string, fault: string, asked: FaultEffect, measured: FaultMeasurement, t = 2): HistoryEvent[] {
  return [
    { type: 'nemesis', phase: 'start', id, fault, targets: ['worker-1', 'broker'], t, effect: asked },
    { type: 'nemesis', phase: 'end', id, fault, targets: ['worker-1', 'broker'], t: t + 1, effect: { measured } },
  ];
}

const LATENCY: FaultEffect = { links: ['worker-1->broker'], direction: 'both', toxic: { type: 'latency', attributes: { latency: 500, jitter: 0 } } };
const stream = (delays?: { chunks: number; early: number; minMs: number; medianMs: number; maxMs: number }) => ({ stages: 1, bytesIn: 400, bytesOut: 400, closed: 0, reset: 0, ...(delays && { delays }) });
const latencyShape = (backward: { chunks: number; early: number; minMs: number; medianMs: number; maxMs: number }): FaultMeasurement => ({
  asked: ['upstream', 'downstream'],
  streams: { upstream: stream({ chunks: 40, early: 0, minMs: 500, medianMs: 502, maxMs: 530 }), downstream: stream(backward) },
  openAtStart: 2,
  stagesOnOpen: 2,
  leftAfterHeal: 0,
});

test('a latency whose chunks were all delayed as asked is not misshapen; chunks released early are, named per direction', () => {
  assert.deepEqual(checkFaultShapes(fault('l-1', 'latency', LATENCY, latencyShape({ chunks: 40, early: 0, minMs: 500, medianMs: 505, maxMs: 560 }))), []);
  const [finding] = checkFaultShapes(fault('l-2', 'latency', LATENCY, latencyShape({ chunks: 40, early: 3, minMs: 0, medianMs: 500, maxMs: 520 })));
  assert.equal(finding.name, 'fault-misshapen');
  assert.match(finding.detail, /latency 500 ms asked, downstream chunks delayed min 0 ms, median 500 ms \(3 of 40 chunks under 500 ms\)/);
  const slow = (500 * SHAPE_TOLERANCES.latencyFactor) + SHAPE_TOLERANCES.latencySlackMs + 1;
  assert.match(checkFaultShapes(fault('l-3', 'latency', LATENCY, latencyShape({ chunks: 40, early: 0, minMs: 500, medianMs: slow, maxMs: slow })))[0].detail, /over 1500 ms/);
});

test('an unmeasured fault (a real Toxiproxy) is not judged', () => {
  assert.deepEqual(checkFaultShapes(fault('u-1', 'latency', LATENCY, { unmeasured: 'a real Toxiproxy' })), []);
});

test('a misshapen fault makes a clean request-reply history INCONCLUSIVE under every profile, and a pub/sub one too', () => {
  const partition: FaultEffect = { links: ['worker-1->broker'], direction: 'both', toxic: { type: 'timeout', attributes: { timeout: 0 } } };
  const closed: FaultMeasurement = { asked: ['upstream', 'downstream'], streams: { upstream: { stages: 1, bytesIn: 90, bytesOut: 0, closed: 1, reset: 0 } }, openAtStart: 1, stagesOnOpen: 1, leftAfterHeal: 0 };
  const events: HistoryEvent[] = [
    { type: 'invoke', process: 'c', job: 'j-1', service: 'echo', t: 1 },
    ...fault('p-1', 'partition', partition, closed),
    { type: 'ok', process: 'c', job: 'j-1', reply: 'j-1', t: 4 },
  ];
  const result = checkHistory(events, { callBound: 1000, recoveryBound: 1000 });
  assert.equal(result.counts['fault-misshapen'], 1);
  for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) {
    const judgement = judge(result, profile);
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.deepEqual(judgement.violations, []);
    assert.match(judgement.undecided[0].detail, /a partition is silence, but the proxy closed 1 and reset 0 upstream stream\(s\) during it \(90 bytes dropped\)/);
  }
  const pubsub: HistoryEvent[] = [
    { type: 'subscribe', t: 0, subscriber: 'sub-1', topic: 'a' },
    { type: 'subscribed', t: 1, subscriber: 'sub-1', topic: 'a' },
    ...fault('f-1', 'freeze', { durationMs: 300 }, { frozen: { samples: 2, running: 2, states: ['S', 'S'] } }),
    { type: 'put', t: 4, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'put-ok', t: 5, process: 'pub-1', topic: 'a', msg: 'm-1' },
    { type: 'deliver', t: 6, subscriber: 'sub-1', topic: 'a', msg: 'm-1', publisher: 'pub-1' },
  ];
  const judged = judgePubSub(checkPubSub(pubsub), 'pubsub-exactly-once');
  assert.equal(judged.verdict, 'INCONCLUSIVE');
  assert.match(judged.undecided[0].detail, /freeze 300 ms asked, worker-1, broker's processes were not stopped in 2 of 2 sample\(s\)/);
});

test('a crash: downtime short of the pause, or the old process alive, is misshapen; within the tolerance it is not', () => {
  const crash = (measured: FaultMeasurement) => checkFaultShapes(fault('c-1', 'crash-restart', {}, measured)).map((finding) => finding.detail);
  assert.deepEqual(crash({ oldAlive: false, downtime: { askedMs: 300, measuredMs: 300 - SHAPE_TOLERANCES.downtimeShortMs } }), []);
  assert.deepEqual(crash({ oldAlive: false, downtime: { askedMs: 300, measuredMs: 300 + SHAPE_TOLERANCES.downtimeLongMs } }), []);
  assert.match(crash({ oldAlive: false, downtime: { askedMs: 300, measuredMs: 3.5 } })[0], /restart after 300 ms asked, worker-1, broker was down 3.5 ms/);
  assert.match(crash({ oldAlive: true })[0], /still lived after the kill/);
});

test('a partition that cut client->broker while the client got answers stamped by that broker well after it began leaked: misshapen, naming the link and the count', () => {
  const cut: FaultEffect = { links: ['client-1->broker-3', 'worker-1->broker-3'], direction: 'both', toxic: { type: 'timeout', attributes: { timeout: 0 } } };
  const silent: FaultMeasurement = { asked: ['upstream', 'downstream'], streams: { upstream: { stages: 2, bytesIn: 90, bytesOut: 0, closed: 0, reset: 0 } }, openAtStart: 2, stagesOnOpen: 2, leftAfterHeal: 0 };
  const start = 1000;
  const end = start + 4000;
  const span = (effect: FaultEffect = cut): HistoryEvent[] => [
    { type: 'nemesis', phase: 'start', id: 'p-1', fault: 'partition', targets: ['client-1', 'worker-1', 'broker-3'], t: start, effect },
    { type: 'nemesis', phase: 'end', id: 'p-1', fault: 'partition', targets: ['client-1', 'worker-1', 'broker-3'], t: end, effect: { measured: silent } },
  ];
  const answer = (job: string, t: number, broker: string, processName = 'client-1'): HistoryEvent => ({ type: 'ok', process: processName, job, reply: job, t, term: 2, broker });
  const leakAt = start + SHAPE_TOLERANCES.partitionLeakAfterMs + 1;
  const leaky = [...span(), answer('j-1', leakAt, 'broker-3'), answer('j-2', leakAt + 500, 'broker-3')];
  const [finding] = checkFaultShapes(leaky);
  assert.equal(finding?.name, 'fault-misshapen');
  assert.match(finding.detail, /link client-1->broker-3 was cut, yet client-1 got 2 answer\(s\) stamped by broker-3 between 2000 and 5000 ms \(the first for j-1 at 2001 ms\): it reached that broker around the fault proxy/);

  // Not a leak: answers that may have crossed before the cut (reported late), after the heal, from a broker not cut off, to another client, or from a history that does not stamp answers.
  assert.deepEqual(checkFaultShapes([...span(), answer('j-1', start + 10, 'broker-3'), answer('j-2', end + 1, 'broker-3'), answer('j-3', leakAt, 'broker-1'), answer('j-4', leakAt, 'broker-3', 'client-2')]), []);
  assert.deepEqual(checkFaultShapes([...span(), { type: 'ok', process: 'client-1', job: 'j-1', reply: 'j-1', t: leakAt }]), []);
  // Only the way there cut (forward): answers to requests that crossed before may still come back.
  assert.deepEqual(checkFaultShapes([...span({ ...cut, direction: 'forward' }).map((event) => (event.type === 'nemesis' && event.phase === 'end' ? { ...event, effect: { measured: { ...silent, asked: ['upstream' as const] } } } : event)), answer('j-1', leakAt, 'broker-3')]), []);
});
