import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { ANOMALY_NAMES } from '../../harness/checker/anomaly';
import { checkPubSub, formatPubSubResult, PUBSUB_ANOMALY_NAMES, type PubSubAnomaly, type PubSubCheckResult } from '../../harness/checker/pubsub';
import { forbiddenPubSubAnomalies, judgePubSub } from '../../harness/checker/profile';
import type { DeliverEvent, HistoryEvent } from '../../harness/history/event';
import { isPubSubEvent } from '../../harness/history/event';
import { parseHistory } from '../../harness/history/reader';
import { renderTimeline } from '../../harness/report/timeline';
import { prng } from '../support/prng';
import { cleanJob } from './fixture';
import { accepted, deliver, joined, put, putFail, putInfo, putOk, subscribe, subscribed, unsubscribe, unsubscribed } from './pubsub-fixture';

function only(result: PubSubCheckResult, name: PubSubAnomaly['name']): PubSubAnomaly[] {
  return result.anomalies.filter((anomaly) => anomaly.name === name);
}

function assertClean(result: PubSubCheckResult): void {
  assert.deepEqual(
    result.anomalies.map((anomaly) => `[${anomaly.name}] ${anomaly.detail}`),
    [],
  );
}

describe('pub/sub history vocabulary', () => {
  test('parseHistory reads every pub/sub event type', () => {
    const events: HistoryEvent[] = [
      subscribe(0, 'sub-1'),
      subscribed(1, 'sub-1'),
      put(2, 'm-1'),
      putOk(3, 'm-1'),
      put(4, 'm-2'),
      putFail(5, 'm-2'),
      put(6, 'm-3'),
      putInfo(7, 'm-3', true),
      deliver(8, 'sub-1', 'm-1'),
      unsubscribe(9, 'sub-1'),
      unsubscribed(10, 'sub-1'),
    ];
    const parsed = parseHistory(events.map((event) => JSON.stringify(event)).join('\n') + '\n');
    assert.deepEqual(parsed, events);
    assert.ok(parsed.every(isPubSubEvent));
  });

  test('parseHistory rejects half-formed pub/sub events', () => {
    assert.throws(() => parseHistory('{"type":"deliver","t":1,"subscriber":"s","topic":"a","msg":"m-1"}'), /history line 1: deliver event without string "publisher"/);
    assert.throws(() => parseHistory('{"type":"put-fail","t":1,"process":"p","topic":"a","msg":"m-1"}'), /put-fail event without string "error"/);
    assert.throws(() => parseHistory('{"type":"subscribed","t":1,"subscriber":"s"}'), /subscribed event without string "topic"/);
    assert.throws(
      () => parseHistory('{"type":"put-info","t":1,"process":"p","topic":"a","msg":"m","error":"x","accepted":"yes"}'),
      /put-info "accepted" is not a boolean/,
    );
  });

  test('the job checkers ignore pub/sub events; the timeline draws them on their own lanes', () => {
    const jobs = [...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2')];
    const pubsub = [...joined(0, 'sub-1'), ...accepted(3, 'm-1'), deliver(6, 'sub-1', 'm-1'), put(7, 'm-2'), deliver(8, 'sub-9', 'm-404', 'zz', 'pub-9')];
    const mixed = [...jobs, ...pubsub].sort((a, b) => a.t - b.t);
    const options = { callBound: 1000, recoveryBound: 1000 };
    assert.deepEqual(checkHistory(mixed, options), checkHistory(jobs, options));
    const svg = renderTimeline(mixed);
    for (const [name, kind] of [['sub-1', 'subscriber'], ['sub-9', 'subscriber'], ['pub-1', 'publisher']]) {
      assert.match(svg, new RegExp(`<g class="lane" data-node="${name}" data-kind="${kind}">`), `a ${kind} lane for ${name}`);
    }
    assert.match(svg, /<g class="lane" data-node="client-1" data-kind="client">/);
  });

  test('ANOMALY_NAMES holds the pub/sub names', () => {
    for (const name of PUBSUB_ANOMALY_NAMES) assert.ok((ANOMALY_NAMES as readonly string[]).includes(name), name);
  });
});

describe('pub/sub: lost', () => {
  test('an accepted message owed to a subscriber and never delivered is lost', () => {
    const sub = subscribed(1, 'sub-2');
    const p = put(5, 'm-2');
    const ok = putOk(6, 'm-2');
    const history = [...joined(0, 'sub-1'), subscribe(0, 'sub-2'), sub, ...accepted(3, 'm-1'), p, ok, deliver(7, 'sub-1', 'm-1'), deliver(8, 'sub-2', 'm-1'), deliver(9, 'sub-1', 'm-2')];
    const result = checkPubSub(history);
    assert.equal(result.counts.lost, 1);
    const [lost] = only(result, 'lost');
    assert.equal(lost.job, 'm-2');
    assert.equal(lost.subscriber, 'sub-2');
    assert.equal(lost.topic, 'a');
    assert.deepEqual(lost.events, [sub, p, ok]);
    assert.match(lost.detail, /message m-2 \(topic a, from pub-1\) accepted at 6 ms never delivered to sub-2, subscribed since 1 ms/);
    assert.equal(result.anomalies.length, 1);
  });

  test('one anomaly per subscriber that missed the message', () => {
    const history = [...joined(0, 'sub-1'), ...joined(0, 'sub-2'), ...joined(0, 'sub-3'), ...accepted(3, 'm-1'), deliver(7, 'sub-2', 'm-1')];
    assert.deepEqual(only(checkPubSub(history), 'lost').map((anomaly) => [anomaly.job, anomaly.subscriber]), [['m-1', 'sub-1'], ['m-1', 'sub-3']]);
  });

  test('an unsubscribe after the put-ok releases what was still pending: not owed (issue #7)', () => {
    const history = [...joined(0, 'sub-1'), ...accepted(3, 'm-1'), unsubscribe(5, 'sub-1'), unsubscribed(6, 'sub-1'), ...accepted(7, 'm-2'), ...joined(9, 'sub-2'), ...accepted(11, 'm-3'), deliver(13, 'sub-2', 'm-3')];
    assert.deepEqual(only(checkPubSub(history), 'lost').map((anomaly) => [anomaly.job, anomaly.subscriber]), []);
  });

  test('a message accepted during a subscription that never ends stays owed', () => {
    const history = [...joined(0, 'sub-1'), ...accepted(3, 'm-1'), ...joined(9, 'sub-2'), ...accepted(11, 'm-3'), deliver(13, 'sub-2', 'm-3'), deliver(14, 'sub-1', 'm-3')];
    assert.deepEqual(only(checkPubSub(history), 'lost').map((anomaly) => [anomaly.job, anomaly.subscriber]), [['m-1', 'sub-1']]);
  });

  test('after unsubscribe and resubscribe, messages accepted in the new subscription are owed again', () => {
    const history = [
      ...joined(0, 'sub-1'),
      unsubscribe(2, 'sub-1'),
      unsubscribed(3, 'sub-1'),
      ...accepted(4, 'm-1'), // not subscribed: not owed
      ...joined(6, 'sub-1'),
      ...accepted(8, 'm-2'), // owed
    ];
    assert.deepEqual(only(checkPubSub(history), 'lost').map((anomaly) => [anomaly.job, anomaly.subscriber]), [['m-2', 'sub-1']]);
  });

  test('near misses: messages put during set-up or tear-down, info and failed puts, other topics are not lost', () => {
    const history = [
      ...joined(0, 'sub-0'),
      // put before the subscription was acknowledged (subscribe asked, subscribed after the put)
      subscribe(1, 'sub-1'),
      ...accepted(2, 'm-1'),
      subscribed(4, 'sub-1'),
      // unsubscribe asked between put and put-ok: being torn down
      put(5, 'm-2'),
      unsubscribe(6, 'sub-1'),
      putOk(7, 'm-2'),
      // unsubscribe asked but never acknowledged: still torn down for later puts
      ...accepted(8, 'm-3'),
      // put-info (even accepted: true) and put-fail are owed to nobody; a put with no outcome neither
      put(10, 'm-4'),
      putInfo(11, 'm-4', true),
      put(12, 'm-5'),
      putFail(13, 'm-5'),
      put(14, 'm-6'),
      // another topic
      ...accepted(15, 'm-7', 'b'),
      deliver(20, 'sub-0', 'm-1'),
      deliver(21, 'sub-0', 'm-2'),
      deliver(22, 'sub-0', 'm-3'),
    ];
    assertClean(checkPubSub(history));
  });

  test('a subscriber that left before the message was put is not owed it (only sub-0 is)', () => {
    const history = [...joined(0, 'sub-0'), ...joined(0, 'sub-1'), unsubscribe(3, 'sub-1'), unsubscribed(4, 'sub-1'), ...accepted(5, 'm-1'), deliver(8, 'sub-0', 'm-1')];
    assertClean(checkPubSub(history));
  });

  test('a delivery on the wrong topic counts as received: unexpected, not also lost', () => {
    const history = [...joined(0, 'sub-1'), ...joined(0, 'sub-1', 'b'), ...accepted(3, 'm-1'), deliver(7, 'sub-1', 'm-1', 'b')];
    const result = checkPubSub(history);
    assert.equal(result.counts.lost, 0);
    assert.equal(result.counts.unexpected, 1);
  });

  test('a retried put (same id) is one message: the first put decides the subscription, any put-ok accepts it', () => {
    // First attempt before sub-1 was subscribed, retry after: the message may have been accepted at the first put, so not owed to sub-1.
    const retriedEarly = [...joined(0, 'sub-0'), put(2, 'm-1'), putInfo(3, 'm-1'), ...joined(4, 'sub-1'), ...accepted(6, 'm-1'), deliver(9, 'sub-0', 'm-1')];
    assertClean(checkPubSub(retriedEarly));
    // Both attempts while subscribed: owed, and the put-ok of the retry makes it accepted.
    const retried = [...joined(0, 'sub-1'), put(2, 'm-1'), putInfo(3, 'm-1'), ...accepted(4, 'm-1'), ...accepted(6, 'm-2'), deliver(9, 'sub-1', 'm-2')];
    assert.deepEqual(only(checkPubSub(retried), 'lost').map((anomaly) => anomaly.job), ['m-1']);
  });
});

describe('pub/sub: duplicate-delivery', () => {
  test('the same message delivered twice to one subscriber is reported once with both deliveries', () => {
    const first = deliver(5, 'sub-1', 'm-1');
    const second = deliver(9, 'sub-1', 'm-1');
    const result = checkPubSub([...joined(0, 'sub-1'), ...accepted(2, 'm-1'), first, deliver(6, 'sub-1', 'm-2'), second, ...accepted(3, 'm-2')].sort((a, b) => a.t - b.t));
    assert.equal(result.counts['duplicate-delivery'], 1);
    const [duplicate] = only(result, 'duplicate-delivery');
    assert.equal(duplicate.job, 'm-1');
    assert.equal(duplicate.subscriber, 'sub-1');
    assert.deepEqual(duplicate.events, [first, second]);
    assert.match(duplicate.detail, /message m-1 delivered 2 times to sub-1 \(at 5 ms, 9 ms\)/);
    assert.equal(result.anomalies.length, 1, 'a repeat is not also reordered');
  });

  test('a repeat across unsubscribe and resubscribe is still a duplicate', () => {
    const history = [...joined(0, 'sub-1'), ...accepted(2, 'm-1'), deliver(4, 'sub-1', 'm-1'), unsubscribe(5, 'sub-1'), unsubscribed(6, 'sub-1'), ...joined(7, 'sub-1'), deliver(9, 'sub-1', 'm-1')];
    assert.deepEqual(only(checkPubSub(history), 'duplicate-delivery').map((anomaly) => [anomaly.job, anomaly.subscriber, anomaly.events.length]), [['m-1', 'sub-1', 2]]);
  });

  test('near misses: one delivery to each of two subscribers, and a retried put delivered once, are not duplicates', () => {
    const history = [
      ...joined(0, 'sub-1'),
      ...joined(0, 'sub-2'),
      ...accepted(2, 'm-1'),
      put(4, 'm-2'),
      putInfo(5, 'm-2'),
      put(6, 'm-2'), // the publisher retries the same message id
      putOk(7, 'm-2'),
      deliver(8, 'sub-1', 'm-1'),
      deliver(9, 'sub-2', 'm-1'),
      deliver(10, 'sub-1', 'm-2'),
      deliver(11, 'sub-2', 'm-2'),
    ];
    assertClean(checkPubSub(history));
  });

  test('a retried put delivered once per attempt is a duplicate (the system must deduplicate retries)', () => {
    const history = [...joined(0, 'sub-1'), put(2, 'm-1'), putInfo(3, 'm-1'), ...accepted(4, 'm-1'), deliver(6, 'sub-1', 'm-1'), deliver(7, 'sub-1', 'm-1')];
    const result = checkPubSub(history);
    assert.equal(result.counts['duplicate-delivery'], 1);
    assert.equal(result.anomalies.length, 1);
  });
});

describe('pub/sub: reordered', () => {
  test('two messages of one publisher delivered against put-ok order: one anomaly with both deliveries', () => {
    const early = deliver(10, 'sub-1', 'm-2');
    const late = deliver(11, 'sub-1', 'm-1');
    const ok1 = putOk(3, 'm-1');
    const ok2 = putOk(5, 'm-2');
    const history = [...joined(0, 'sub-1'), put(2, 'm-1'), ok1, put(4, 'm-2'), ok2, early, late];
    const result = checkPubSub(history);
    assert.equal(result.counts.reordered, 1);
    const [reordered] = only(result, 'reordered');
    assert.equal(reordered.job, 'm-1');
    assert.equal(reordered.subscriber, 'sub-1');
    assert.equal(reordered.topic, 'a');
    assert.deepEqual(reordered.events, [early, late, ok1, ok2]);
    assert.match(reordered.detail, /sub-1 got message m-1 at 11 ms after m-2 \(at 10 ms\), but pub-1's put-ok order on topic a puts m-1 first/);
    assert.equal(result.anomalies.length, 1);
  });

  test('each late message is one anomaly, paired with the latest-put message ahead of it, counting its overtakers', () => {
    const history: HistoryEvent[] = [...joined(0, 'sub-1')];
    for (let i = 1; i <= 5; i++) history.push(...accepted(i * 2, `m-${i}`));
    for (const [index, i] of [3, 5, 1, 4, 2].entries()) history.push(deliver(20 + index, 'sub-1', `m-${i}`));
    const reordered = only(checkPubSub(history), 'reordered');
    assert.deepEqual(
      reordered.map((anomaly) => [anomaly.job, (anomaly.events[0] as DeliverEvent).msg]),
      [['m-1', 'm-5'], ['m-4', 'm-5'], ['m-2', 'm-5']],
    );
    assert.match(reordered[0].detail, /overtaken by 2 later message\(s\)/);
    assert.match(reordered[1].detail, /overtaken by 1 later message\(s\)/);
    assert.match(reordered[2].detail, /overtaken by 3 later message\(s\)/);
  });

  test('the order is the put-ok order, not the put order', () => {
    // Two puts in flight; m-2 is accepted first, so m-2 before m-1 is in order and m-1 before m-2 is not.
    const base = [...joined(0, 'sub-1'), ...joined(0, 'sub-2'), put(2, 'm-1'), put(3, 'm-2'), putOk(4, 'm-2'), putOk(5, 'm-1')];
    const result = checkPubSub([...base, deliver(6, 'sub-1', 'm-2'), deliver(7, 'sub-1', 'm-1'), deliver(8, 'sub-2', 'm-1'), deliver(9, 'sub-2', 'm-2')]);
    assert.deepEqual(only(result, 'reordered').map((anomaly) => [anomaly.job, anomaly.subscriber]), [['m-2', 'sub-2']]);
  });

  test('near misses: interleaved publishers, separate topics and separate subscribers are not ordered against each other', () => {
    const history = [
      ...joined(0, 'sub-1'),
      ...joined(0, 'sub-1', 'b'),
      ...joined(0, 'sub-2'),
      ...accepted(2, 'm-1', 'a', 'pub-1'),
      ...accepted(4, 'm-2', 'a', 'pub-2'),
      ...accepted(6, 'm-3', 'a', 'pub-1'),
      ...accepted(8, 'm-4', 'a', 'pub-2'),
      ...accepted(10, 'm-5', 'b', 'pub-1'),
      // sub-1: pub-2's messages first, then pub-1's, and topic b before topic a: each publisher in order
      deliver(20, 'sub-1', 'm-5', 'b', 'pub-1'),
      deliver(21, 'sub-1', 'm-2', 'a', 'pub-2'),
      deliver(22, 'sub-1', 'm-4', 'a', 'pub-2'),
      deliver(23, 'sub-1', 'm-1', 'a', 'pub-1'),
      deliver(24, 'sub-1', 'm-3', 'a', 'pub-1'),
      // sub-2: in put order, interleaved the other way
      deliver(25, 'sub-2', 'm-1', 'a', 'pub-1'),
      deliver(26, 'sub-2', 'm-2', 'a', 'pub-2'),
      deliver(27, 'sub-2', 'm-3', 'a', 'pub-1'),
      deliver(28, 'sub-2', 'm-4', 'a', 'pub-2'),
    ];
    assertClean(checkPubSub(history));
  });

  test('messages without a put-ok (info) are not ordered; ordered: false skips the check', () => {
    const infoOnly = [...joined(0, 'sub-1'), put(2, 'm-1'), putInfo(3, 'm-1'), ...accepted(4, 'm-2'), deliver(6, 'sub-1', 'm-2'), deliver(7, 'sub-1', 'm-1')];
    assertClean(checkPubSub(infoOnly));
    const scrambled = [...joined(0, 'sub-1'), ...accepted(2, 'm-1'), ...accepted(4, 'm-2'), deliver(6, 'sub-1', 'm-2'), deliver(7, 'sub-1', 'm-1')];
    assert.equal(checkPubSub(scrambled).counts.reordered, 1);
    assertClean(checkPubSub(scrambled, { ordered: false }));
  });
});

describe('pub/sub: unexpected', () => {
  test('a delivery of a message never put', () => {
    const ghost = deliver(5, 'sub-1', 'm-404');
    const result = checkPubSub([...joined(0, 'sub-1'), ...accepted(2, 'm-1'), deliver(4, 'sub-1', 'm-1'), ghost]);
    const [unexpected] = only(result, 'unexpected');
    assert.equal(result.counts.unexpected, 1);
    assert.equal(unexpected.job, 'm-404');
    assert.equal(unexpected.subscriber, 'sub-1');
    assert.deepEqual(unexpected.events, [ghost]);
    assert.match(unexpected.detail, /delivery of message m-404 to sub-1: message m-404 was never put/);
  });

  test('a delivery of a message whose put ended in put-fail', () => {
    const p = put(2, 'm-1');
    const failed = putFail(3, 'm-1');
    const delivery = deliver(5, 'sub-1', 'm-1');
    const result = checkPubSub([...joined(0, 'sub-1'), p, failed, delivery]);
    const [unexpected] = only(result, 'unexpected');
    assert.equal(unexpected.job, 'm-1');
    assert.equal(unexpected.subscriber, 'sub-1');
    assert.deepEqual(unexpected.events, [delivery, p, failed]);
    assert.match(unexpected.detail, /every put of message m-1 ended in put-fail/);
  });

  test('a delivery on another topic than the put, or naming another publisher', () => {
    const history = [...joined(0, 'sub-1'), ...joined(0, 'sub-1', 'b'), ...accepted(2, 'm-1', 'a'), ...accepted(4, 'm-2', 'a'), deliver(6, 'sub-1', 'm-1', 'b'), deliver(7, 'sub-1', 'm-2', 'a', 'pub-7')];
    const unexpected = only(checkPubSub(history), 'unexpected');
    assert.deepEqual(unexpected.map((anomaly) => anomaly.job), ['m-1', 'm-2']);
    assert.match(unexpected[0].detail, /delivered on topic b but put on topic a/);
    assert.match(unexpected[1].detail, /delivered as from pub-7 but put by pub-1/);
  });

  test('a delivery to a subscriber that never asked to subscribe to that topic', () => {
    const history = [...joined(0, 'sub-1'), ...joined(0, 'sub-2', 'b'), ...accepted(2, 'm-1'), deliver(4, 'sub-1', 'm-1'), deliver(5, 'sub-2', 'm-1'), deliver(6, 'sub-3', 'm-1')];
    const unexpected = only(checkPubSub(history), 'unexpected');
    assert.deepEqual(unexpected.map((anomaly) => anomaly.subscriber), ['sub-2', 'sub-3']);
    assert.match(unexpected[0].detail, /sub-2 never asked to subscribe to topic a/);
  });

  test('a delivery before the put, and a put outcome for a message never put', () => {
    const orphan = putOk(9, 'm-9');
    const history = [...joined(0, 'sub-1'), deliver(2, 'sub-1', 'm-1'), ...accepted(3, 'm-1'), orphan];
    const unexpected = only(checkPubSub(history), 'unexpected');
    assert.deepEqual(unexpected.map((anomaly) => anomaly.job), ['m-1', 'm-9']);
    assert.match(unexpected[0].detail, /delivered before it was put/);
    assert.deepEqual(unexpected[1].events, [orphan]);
  });

  test('a delivery of a message put and accepted after the subscriber\'s acknowledged unsubscribe', () => {
    const left = unsubscribed(4, 'sub-1');
    const p = put(6, 'm-2');
    const ok = putOk(7, 'm-2');
    const delivery = deliver(8, 'sub-1', 'm-2');
    const history = [...joined(0, 'sub-1'), ...accepted(2, 'm-1'), unsubscribe(3, 'sub-1'), left, deliver(5, 'sub-1', 'm-1'), p, ok, delivery];
    const result = checkPubSub(history);
    const unexpected = only(result, 'unexpected');
    assert.equal(result.counts.unexpected, 1);
    assert.equal(unexpected[0].job, 'm-2');
    assert.equal(unexpected[0].subscriber, 'sub-1');
    assert.deepEqual(unexpected[0].events, [delivery, p, left, ok]);
    assert.match(
      unexpected[0].detail,
      /message m-2 was accepted while sub-1 was unsubscribed from topic a: first put at 6 ms, after the unsubscribe was acknowledged \(at 4 ms\), and put-ok at 7 ms, before sub-1 asked to subscribe again/,
    );
  });

  test('a message accepted between unsubscribe and resubscribe is unexpected also when delivered after the resubscribe', () => {
    const history = [...joined(0, 'sub-1'), unsubscribed(2, 'sub-1'), ...accepted(3, 'm-1'), ...joined(5, 'sub-1'), ...accepted(7, 'm-2'), deliver(9, 'sub-1', 'm-1'), deliver(10, 'sub-1', 'm-2')];
    const unexpected = only(checkPubSub(history), 'unexpected');
    assert.deepEqual(unexpected.map((anomaly) => anomaly.job), ['m-1']);
    assert.match(unexpected[0].detail, /and put-ok at 4 ms, before sub-1 asked to subscribe again/);
  });

  test('without a put-ok, the delivery bounds the acceptance: delivered before any resubscribe is unexpected', () => {
    const history = [...joined(0, 'sub-1'), unsubscribed(2, 'sub-1'), put(3, 'm-1'), putInfo(4, 'm-1'), deliver(5, 'sub-1', 'm-1'), put(6, 'm-2'), ...joined(7, 'sub-1'), deliver(9, 'sub-1', 'm-2')];
    const unexpected = only(checkPubSub(history), 'unexpected');
    assert.deepEqual(unexpected.map((anomaly) => anomaly.job), ['m-1']);
    assert.match(unexpected[0].detail, /and delivered at 5 ms, before sub-1 asked to subscribe again/);
  });

  test('the latest acknowledged unsubscribe decides: leaving again after a resubscribe forbids later puts again', () => {
    const history = [
      ...joined(0, 'sub-1'),
      unsubscribed(2, 'sub-1'),
      ...joined(3, 'sub-1'),
      unsubscribed(5, 'sub-1'),
      ...accepted(6, 'm-1'),
      deliver(8, 'sub-1', 'm-1'),
    ];
    assert.deepEqual(only(checkPubSub(history), 'unexpected').map((anomaly) => anomaly.job), ['m-1']);
  });

  test('near misses around an unsubscribe: put while it was in flight, put-ok after unsubscribed but put before it, put-ok after a resubscribe, another topic', () => {
    const history = [
      ...joined(0, 'sub-1'),
      ...joined(0, 'sub-1', 'b'),
      unsubscribe(2, 'sub-1'),
      put(3, 'm-1'), // put while the unsubscribe is in flight: may have been accepted during the subscription
      put(4, 'm-2'), // put before unsubscribed, accepted (put-ok) after it: acceptance may precede the unsubscribe
      unsubscribed(5, 'sub-1'),
      putOk(6, 'm-1'),
      putOk(7, 'm-2'),
      put(8, 'm-3'), // put after the unsubscribe, but acknowledged after sub-1 asked again: may be owed to the new subscription
      ...accepted(8, 'm-4', 'b'), // another topic, still subscribed
      ...joined(9, 'sub-1'),
      putOk(11, 'm-3'),
      deliver(12, 'sub-1', 'm-1'),
      deliver(13, 'sub-1', 'm-2'),
      deliver(14, 'sub-1', 'm-3'),
      deliver(15, 'sub-1', 'm-4', 'b'),
    ];
    assertClean(checkPubSub(history));
  });

  test('near misses: subscription asked but not acknowledged, info puts, a failed attempt then a retry, a delivery after unsubscribing', () => {
    const history = [
      ...joined(0, 'sub-0'),
      subscribe(1, 'sub-1'), // never acknowledged: deliveries may come
      ...accepted(2, 'm-1'),
      put(4, 'm-2'),
      putInfo(5, 'm-2'),
      put(6, 'm-3'),
      putFail(7, 'm-3'),
      put(8, 'm-3'), // retry after a definite failure; its outcome is unknown
      unsubscribe(9, 'sub-0'),
      unsubscribed(10, 'sub-0'),
      deliver(11, 'sub-1', 'm-1'),
      deliver(12, 'sub-0', 'm-1'), // accepted while subscribed: owed even after unsubscribing
      deliver(13, 'sub-0', 'm-2'),
      deliver(14, 'sub-0', 'm-3'),
    ];
    assertClean(checkPubSub(history));
  });
});

describe('pub/sub: empty-history', () => {
  test('no put at all is a vacuous run', () => {
    const result = checkPubSub([...joined(0, 'sub-1'), ...cleanJob(3, 'j-1')]);
    assert.equal(result.counts['empty-history'], 1);
    assert.deepEqual(result.anomalies.map((anomaly) => [anomaly.name, anomaly.detail]), [['empty-history', 'the run put no message']]);
    assert.equal(checkPubSub([]).counts['empty-history'], 1);
  });

  test('puts but no delivery at all is no-delivery, counting the puts by how they ended (empty-history is only for a run that put nothing)', () => {
    const result = checkPubSub([put(0, 'm-1'), putInfo(1, 'm-1'), put(2, 'm-2'), putInfo(3, 'm-2')]);
    assert.deepEqual(result.anomalies.map((anomaly) => anomaly.name), ['no-delivery']);
    assert.equal(result.counts['empty-history'], 0);
    assert.match(result.anomalies[0].detail, /^no message was delivered: 2 messages indefinite \(/);
  });

  test('near miss: one put and one delivery is not empty', () => {
    assertClean(checkPubSub([...joined(0, 'sub-1'), ...accepted(2, 'm-1'), deliver(4, 'sub-1', 'm-1')]));
  });
});

/**
 * A correct system, simulated: publishers put (some answers are put-info or put-fail), subscribers
 * subscribe and unsubscribe at random, every message accepted while a subscriber is subscribed goes
 * into that subscriber's FIFO queue, and messages put while a subscription is being set up or torn
 * down are delivered or not at random. Queues are drained at random moments and fully at the end.
 */
function simulate(options: { publishers: number; subscribers: number; topics: string[]; minEvents: number; seed: number }): HistoryEvent[] & { required: Set<DeliverEvent> } {
  const next = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const events: HistoryEvent[] = [];
  let t = 0;
  const emit = (event: HistoryEvent): void => {
    events.push(event);
    t += 1;
  };
  const publishers = Array.from({ length: options.publishers }, (_, i) => `pub-${i + 1}`);
  const subscribers = Array.from({ length: options.subscribers }, (_, i) => `sub-${i + 1}`);
  type State = 'none' | 'joining' | 'in' | 'leaving';
  const state = new Map<string, State>();
  const key = (subscriber: string, topic: string): string => `${subscriber}|${topic}`;
  const queues = new Map<string, { msg: string; topic: string; publisher: string; required: boolean }[]>(subscribers.map((s) => [s, []]));
  /** Deliveries of messages the subscriber was owed (subscribed when they were accepted). */
  const required = new Set<DeliverEvent>();
  // Overlapping subscriptions from the start: sub-1 on every topic, the others on one topic each.
  for (const [index, subscriber] of subscribers.entries()) {
    for (const [topicIndex, topic] of options.topics.entries()) {
      const on = index === 0 || index % options.topics.length === topicIndex;
      state.set(key(subscriber, topic), on ? 'in' : 'none');
      if (on) {
        emit(subscribe(t, subscriber, topic));
        emit(subscribed(t, subscriber, topic));
      }
    }
  }
  const deliverOne = (subscriber: string): void => {
    const item = queues.get(subscriber)!.shift();
    if (item === undefined) return;
    const delivery = deliver(t, subscriber, item.msg, item.topic, item.publisher);
    if (item.required) required.add(delivery);
    emit(delivery);
  };
  let counter = 0;
  while (events.length < options.minEvents) {
    const roll = next();
    if (roll < 0.35) {
      const publisher = pick(publishers);
      const topic = pick(options.topics);
      const msg = `m-${++counter}`;
      emit(put(t, msg, topic, publisher));
      const outcome = next();
      if (outcome < 0.05) {
        emit(putFail(t, msg, topic, publisher));
        continue;
      }
      const routed = outcome < 0.1 ? 'maybe' : 'yes';
      for (const subscriber of subscribers) {
        const s = state.get(key(subscriber, topic));
        const owed = s === 'in' && routed === 'yes';
        const optional = s === 'joining' || s === 'leaving' || (s === 'in' && routed === 'maybe');
        if (owed || (optional && next() < 0.5)) queues.get(subscriber)!.push({ msg, topic, publisher, required: owed });
      }
      if (routed === 'yes') emit(putOk(t, msg, topic, publisher));
      else emit(putInfo(t, msg, next() < 0.5, topic, publisher));
    } else if (roll < 0.45) {
      const subscriber = pick(subscribers);
      const topic = pick(options.topics);
      const k = key(subscriber, topic);
      const s = state.get(k);
      if (s === 'none') {
        emit(subscribe(t, subscriber, topic));
        state.set(k, 'joining');
      } else if (s === 'joining') {
        emit(subscribed(t, subscriber, topic));
        state.set(k, 'in');
      } else if (s === 'in') {
        emit(unsubscribe(t, subscriber, topic));
        state.set(k, 'leaving');
      } else {
        emit(unsubscribed(t, subscriber, topic));
        state.set(k, 'none');
      }
    } else {
      deliverOne(pick(subscribers));
    }
  }
  for (const subscriber of subscribers) while (queues.get(subscriber)!.length > 0) deliverOne(subscriber);
  return Object.assign(events, { required });
}

describe('pub/sub: whole histories', () => {
  test('a clean run of 3 publishers x 4 subscribers x 2 topics, with overlap, unsubscribe and resubscribe, has no anomaly', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const history = simulate({ publishers: 3, subscribers: 4, topics: ['a', 'b'], minEvents: 2000, seed });
      // The run really exercised what it claims to.
      const resubscribed = history.some((event, index) =>
        event.type === 'unsubscribed' && history.slice(index).some((later) => later.type === 'subscribed' && later.subscriber === event.subscriber && later.topic === event.topic),
      );
      assert.ok(resubscribed, 'some subscriber unsubscribed and subscribed again');
      assert.equal(new Set(history.flatMap((event) => (event.type === 'put' ? [event.process] : []))).size, 3);
      assert.equal(new Set(history.flatMap((event) => (event.type === 'deliver' ? [event.subscriber] : []))).size, 4);
      const result = checkPubSub(history);
      assertClean(result);
      assert.ok(result.stats.accepted > 0 && result.stats.failed > 0 && result.stats.indefinite > 0);
      assert.equal(result.stats.subscribers, 4);
      assert.match(formatPubSubResult(result), /no anomalies/);
    }
  });

  test('the same run with faults injected reports each one', () => {
    const history = simulate({ publishers: 3, subscribers: 4, topics: ['a', 'b'], minEvents: 2000, seed: 7 });
    const deliveries = history.filter((event): event is DeliverEvent => event.type === 'deliver');
    // A subscription that ends later releases what it still had pending, so drop a delivery of one that never ends.
    const putAt = new Map(history.filter((e) => e.type === 'put').map((e) => [(e as { msg: string }).msg, e.t]));
    const leavesLater = (d: DeliverEvent) =>
      history.some((e) => (e.type === 'unsubscribe' || e.type === 'unsubscribed') && e.subscriber === d.subscriber && e.topic === d.topic && e.t > (putAt.get(d.msg) ?? 0));
    const dropped = deliveries.filter((event) => history.required.has(event) && !leavesLater(event))[10];
    assert.ok(dropped, 'the run has deliveries in subscriptions that never end');
    const duplicated = deliveries[20];
    assert.ok(deliveries.some((event) => !history.required.has(event)), 'the run also delivered optional messages');
    const broken = history.filter((event) => event !== dropped);
    broken.push(deliver(t(history) + 1, duplicated.subscriber, duplicated.msg, duplicated.topic, duplicated.publisher));
    broken.push(deliver(t(history) + 2, 'sub-1', 'm-999999', 'a', 'pub-1'));
    const result = checkPubSub(broken);
    assert.deepEqual(only(result, 'lost').map((anomaly) => [anomaly.job, anomaly.subscriber]), [[dropped.msg, dropped.subscriber]]);
    assert.deepEqual(only(result, 'duplicate-delivery').map((anomaly) => [anomaly.job, anomaly.subscriber]), [[duplicated.msg, duplicated.subscriber]]);
    assert.deepEqual(only(result, 'unexpected').map((anomaly) => anomaly.job), ['m-999999']);
    assert.equal(result.counts.reordered, 0);
  });

  // How fast is the bench's business (npm run bench:check: a million events, ratios and medians), not a
  // timed test's on a loaded machine; these keep the big shapes judged right.
  test('a 50,000-event history is checked clean', () => {
    const history = simulate({ publishers: 3, subscribers: 4, topics: ['a', 'b'], minEvents: 50_000, seed: 11 });
    assert.ok(history.length >= 50_000);
    assertClean(checkPubSub(history));
  });

  test('a thoroughly scrambled history (every delivery reversed) has every overtaking counted', () => {
    const history: HistoryEvent[] = [...joined(0, 'sub-1')];
    const n = 20_000;
    for (let i = 0; i < n; i++) history.push(...accepted(2 + 2 * i, `m-${i}`));
    for (let i = n - 1; i >= 0; i--) history.push(deliver(2 + 2 * n + (n - i), 'sub-1', `m-${i}`));
    const result = checkPubSub(history);
    assert.equal(result.counts.reordered, n - 1);
    assert.match(only(result, 'reordered')[n - 2].detail, new RegExp(`overtaken by ${n - 1} later message`));
  });
});

describe('pub/sub: formatPubSubResult', () => {
  test('lists every anomaly name with its count, and the first details', () => {
    const history = [...joined(0, 'sub-1'), ...accepted(2, 'm-1'), ...accepted(4, 'm-2'), deliver(6, 'sub-1', 'm-2'), deliver(7, 'sub-1', 'm-2'), deliver(8, 'sub-1', 'm-3')];
    const text = formatPubSubResult(checkPubSub(history));
    assert.match(text, /^pub\/sub history: 2 messages put \(2 ok, 0 fail, 0 info\), 3 deliveries to 1 subscriber\(s\)/);
    for (const name of PUBSUB_ANOMALY_NAMES) assert.match(text, new RegExp(`^  ${name}: \\d+$`, 'm'));
    assert.match(text, /^ {2}lost: 1$/m);
    assert.match(text, /^ {2}duplicate-delivery: 1$/m);
    assert.match(text, /^ {2}unexpected: 1$/m);
    assert.match(text, /^ {2}- \[lost\] message m-1/m);
  });

  test('cuts the details after a few', () => {
    const history: HistoryEvent[] = [...joined(0, 'sub-1'), ...accepted(1, 'm-0'), deliver(2, 'sub-1', 'm-0')];
    for (let i = 1; i <= 15; i++) history.push(deliver(10 + i, 'sub-1', `ghost-${i}`));
    const text = formatPubSubResult(checkPubSub(history));
    assert.match(text, /unexpected: 15/);
    assert.equal(text.split('\n').filter((line) => line.startsWith('  - ')).length, 10);
    assert.match(text, /\.\.\. and 5 more/);
  });
});

function t(history: readonly HistoryEvent[]): number {
  return history.reduce((max, event) => Math.max(max, event.t), 0);
}

describe('judgePubSub: the pubsub-exactly-once profile', () => {
  test('forbids every pub/sub anomaly', () => {
    assert.deepEqual(forbiddenPubSubAnomalies('pubsub-exactly-once'), [...PUBSUB_ANOMALY_NAMES]);
  });

  test('a clean history passes; a lost and a duplicated delivery fail it, each named', () => {
    const clean = [...joined(0, 'sub-1'), ...joined(0, 'sub-2'), ...accepted(10, 'm1'), deliver(20, 'sub-1', 'm1'), deliver(21, 'sub-2', 'm1')];
    assert.deepEqual(judgePubSub(checkPubSub(clean), 'pubsub-exactly-once'), { verdict: 'PASS', violations: [], undecided: [] });

    const broken = [...joined(0, 'sub-1'), ...joined(0, 'sub-2'), ...accepted(10, 'm1'), deliver(20, 'sub-1', 'm1'), deliver(22, 'sub-1', 'm1')];
    const judgement = judgePubSub(checkPubSub(broken), 'pubsub-exactly-once');
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual(judgement.violations.map((v) => `${v.name} ${v.job}`).sort(), ['duplicate-delivery m1', 'lost m1']);
  });
});

describe('pub/sub: lost in a history cut short (deliveryBound)', () => {
  // sub-1 subscribed, m1 accepted at t=11, the history ends at t=40 (m2's put-ok) without m1 delivered.
  const cutShort = [...joined(0, 'sub-1'), ...accepted(10, 'm1'), ...accepted(39, 'm2')];

  test('without a bound every undelivered accepted message is lost', () => {
    assert.deepEqual(only(checkPubSub(cutShort), 'lost').map((a) => a.job), ['m1', 'm2']);
  });

  test('a message accepted within the bound of the end is still in flight; one accepted earlier is lost', () => {
    assert.deepEqual(only(checkPubSub(cutShort, { deliveryBound: 20 }), 'lost').map((a) => a.job), ['m1']);
    assert.deepEqual(only(checkPubSub(cutShort, { deliveryBound: 100 }), 'lost'), []);
  });
});

describe('pub/sub: lost or still catching up (undelivered-at-bound)', () => {
  // sub-1 receives m1..m3 of pub-1 in order and is still receiving at t=1000 (last delivery t=990), 3 owed messages behind.
  const behind = [
    ...joined(0, 'sub-1'),
    ...accepted(10, 'm1'),
    ...accepted(20, 'm2'),
    ...accepted(30, 'm3'),
    ...accepted(40, 'm4'),
    ...accepted(50, 'm5'),
    ...accepted(60, 'm6'),
    deliver(900, 'sub-1', 'm1'),
    deliver(950, 'sub-1', 'm2'),
    deliver(990, 'sub-1', 'm3'),
  ];
  const catchingUp = { checkedAt: 1000, windowMs: 100 };

  test('a subscriber still receiving, in order, behind by 3: one undelivered-at-bound saying how far behind, no lost', () => {
    const result = checkPubSub(behind, { catchingUp });
    assert.equal(result.counts.lost, 0);
    const late = only(result, 'undelivered-at-bound');
    assert.equal(late.length, 1);
    assert.equal(late[0].subscriber, 'sub-1');
    assert.match(late[0].detail, /sub-1 was still receiving, in order, .*3 owed message\(s\) not delivered yet, the oldest m4 accepted at 41 ms; its latest delivery, at 990 ms, was of a message accepted at 31 ms \(959 ms behind\)/);
    const judgement = judgePubSub(result, 'pubsub-exactly-once');
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.deepEqual(judgement.violations, []);
  });

  test('without the catching-up information the same history shows 3 lost (the old reading)', () => {
    assert.equal(checkPubSub(behind).counts.lost, 3);
  });

  test('a subscriber that stopped receiving long before the check lost what it lacks', () => {
    const result = checkPubSub(behind, { catchingUp: { checkedAt: 5000, windowMs: 100 } });
    assert.deepEqual(only(result, 'lost').map((a) => a.job), ['m4', 'm5', 'm6']);
    assert.equal(result.counts['undelivered-at-bound'], 0);
    assert.equal(judgePubSub(result, 'pubsub-exactly-once').verdict, 'FAIL');
  });

  test('a message the subscriber skipped (it got a later one of the same publisher and topic) is lost even while it still receives', () => {
    const skipped = [...joined(0, 'sub-1'), ...accepted(10, 'm1'), ...accepted(20, 'm2'), ...accepted(30, 'm3'), deliver(900, 'sub-1', 'm1'), deliver(990, 'sub-1', 'm3')];
    const result = checkPubSub(skipped, { catchingUp });
    assert.deepEqual(only(result, 'lost').map((a) => a.job), ['m2']);
    assert.equal(result.counts['undelivered-at-bound'], 0);
    const judgement = judgePubSub(result, 'pubsub-exactly-once');
    assert.equal(judgement.verdict, 'FAIL');
  });

  test('a skipped message is lost as content; one the subscriber never reached is lost as a missed bound (a starved machine may explain it)', () => {
    const skipped = [...joined(0, 'sub-1'), ...accepted(10, 'm1'), ...accepted(20, 'm2'), ...accepted(30, 'm3'), deliver(900, 'sub-1', 'm1'), deliver(990, 'sub-1', 'm3')];
    const [gap] = only(checkPubSub(skipped), 'lost');
    assert.equal(gap.boundMissed, undefined);
    assert.match(gap.detail, /which received later messages of that publisher and topic/);
    const unreached = only(checkPubSub(behind, { catchingUp: { checkedAt: 5000, windowMs: 100 } }), 'lost');
    assert.ok(unreached.length > 0 && unreached.every((a) => a.boundMissed === true));
  });

  test('a lost message beside a late one: FAIL, with the lost one a violation and the late one undecided', () => {
    const mixed = [...behind, ...joined(0, 'sub-2'), deliver(100, 'sub-2', 'm2'), deliver(101, 'sub-2', 'm3'), deliver(102, 'sub-2', 'm4'), deliver(103, 'sub-2', 'm5'), deliver(104, 'sub-2', 'm6')];
    const judgement = judgePubSub(checkPubSub(mixed, { catchingUp }), 'pubsub-exactly-once');
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual((judgement.violations as PubSubAnomaly[]).map((v) => `${v.name} ${v.subscriber} ${v.job}`), ['lost sub-2 m1']);
    assert.deepEqual((judgement.undecided as PubSubAnomaly[]).map((v) => `${v.name} ${v.subscriber}`), ['undelivered-at-bound sub-1']);
  });
});
