import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { writeGeneratedHistory } from '../../bench/check/history-generator';
import { checkPubSub, type PubSubAnomaly, type PubSubCheckOptions, type PubSubCheckResult } from '../../harness/checker/pubsub';
import { checkPubSubInParts, PubSubGathering, pubSubKey } from '../../harness/checker/pubsub-in-parts';
import type { Finding } from '../../harness/checker/registry';
import { checkStoredHistory } from '../../harness/cli/check';
import type { HistoryEvent } from '../../harness/history/event';
import { readHistoryFile } from '../../harness/history/history-file';
import { partitionHistory } from '../../harness/history/partitioned-history';
import { partsSeparating } from './parts-separating';

/**
 * A large pub/sub history checked part by part, by message (checker/pubsub-in-parts.ts), gives what
 * the check of the whole history in memory gives, to the letter of each detail and the events it
 * shows: on generated histories with every planted anomaly, and on a small history whose anomalies
 * are only seen across parts (a reordered pair of messages in two parts, a subscriber late on
 * messages of two parts, lost after a later message of its stream, a retried put, a delivery on the
 * wrong topic, a delivery while unsubscribed, an answer to a put nobody made).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-pubsub-in-parts-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Everything a finding says and shows, so two checks agree only when they say and show the same. */
type Said = Finding<string> & Pick<PubSubAnomaly, 'subscriber' | 'topic'>;
const said = (finding: Said): string =>
  JSON.stringify([finding.name, finding.job ?? null, finding.subscriber ?? null, finding.topic ?? null, finding.detail, finding.boundMissed ?? null, finding.events]);
const sorted = (findings: readonly Said[]): string[] => findings.map(said).sort();

function writeHistory(name: string, events: readonly HistoryEvent[]): string {
  const file = path.join(work, `${name}.jsonl`);
  fs.writeFileSync(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  return file;
}

function inParts(file: string, parts: number, options: PubSubCheckOptions): PubSubCheckResult {
  const gathering = new PubSubGathering();
  const partitioned = partitionHistory(file, { keyOf: pubSubKey, onEvent: (event) => gathering.add(event), parts });
  try {
    return checkPubSubInParts(partitioned, gathering, options);
  } finally {
    partitioned.remove();
  }
}

function assertSameAsInMemory(file: string, parts: number, options: PubSubCheckOptions): PubSubCheckResult {
  const whole = checkPubSub(readHistoryFile(file), options);
  const split = inParts(file, parts, options);
  assert.deepEqual(sorted(split.anomalies), sorted(whole.anomalies));
  assert.deepEqual(split.counts, whole.counts);
  assert.deepEqual(split.stats, whole.stats);
  return split;
}

const lastT = (file: string): number => readHistoryFile(file).at(-1)?.t ?? 0;

const put = (t: number, msg: string, process = 'p1', topic = 'A'): HistoryEvent => ({ type: 'put', t, process, topic, msg });
const putOk = (t: number, msg: string, process = 'p1', topic = 'A'): HistoryEvent => ({ type: 'put-ok', t, process, topic, msg });
const deliver = (t: number, subscriber: string, msg: string, publisher = 'p1', topic = 'A'): HistoryEvent => ({ type: 'deliver', t, subscriber, topic, msg, publisher });
const subscribed = (t: number, subscriber: string, topic = 'A'): HistoryEvent[] => [
  { type: 'subscribe', t: t - 0.5, subscriber, topic },
  { type: 'subscribed', t, subscriber, topic },
];

describe('a pub/sub history checked in parts judges as the whole in memory', () => {
  test('generated, 30,000 events with every planted anomaly: the same findings in 1, 5 and 23 parts, lost or late', () => {
    const file = path.join(work, 'generated.jsonl');
    const { expected } = writeGeneratedHistory('pubsub', file, { events: 30_000, seed: 7 });
    const checkedAt = lastT(file);
    for (const parts of [1, 5, 23]) {
      const split = assertSameAsInMemory(file, parts, { catchingUp: { checkedAt, windowMs: 5_000 } });
      const found = new Set(split.anomalies.map((finding) => `${finding.name} ${finding.job ?? ''}`));
      for (const finding of expected) assert.ok(found.has(`${finding.name} ${finding.job}`), `${parts} parts: ${finding.name} ${finding.job} not found`);
    }
    assertSameAsInMemory(file, 7, { deliveryBound: 5_000 });
    assertSameAsInMemory(file, 7, { ordered: false });
  });

  // Messages of one group land in different parts, so each anomaly below is only seen across parts.
  const groups = [
    ['m1', 'm2'],
    ['m4', 'm5'],
    ['m9', 'm10', 'm11'],
  ];
  const parts = partsSeparating(groups);
  const events: HistoryEvent[] = [
    ...subscribed(1, 's1'),
    ...subscribed(1.5, 's1', 'B'),
    ...subscribed(2, 's2'),
    ...subscribed(3, 's3'),
    ...subscribed(4, 's4'),
    { type: 'unsubscribe', t: 5, subscriber: 's4', topic: 'A' },
    { type: 'unsubscribed', t: 6, subscriber: 's4', topic: 'A' },
    // s1 gets m2 before m1, both put by p1 on A.
    put(10, 'm1'),
    putOk(11, 'm1'),
    put(12, 'm2'),
    putOk(13, 'm2'),
    deliver(20, 's1', 'm2'),
    deliver(21, 's1', 'm1'),
    deliver(22, 's2', 'm1'),
    deliver(23, 's2', 'm2'),
    deliver(24, 's3', 'm1'),
    deliver(25, 's3', 'm2'),
    // s1 skips m4 (it gets m5, put after it): lost, not late. Equal stamps keep history order.
    put(30, 'm4'),
    putOk(31, 'm4'),
    put(31, 'm5'),
    putOk(31, 'm5'),
    deliver(40, 's1', 'm5'),
    deliver(41, 's2', 'm4'),
    deliver(42, 's2', 'm5'),
    deliver(43, 's3', 'm4'),
    deliver(44, 's3', 'm5'),
    // m6 put twice (the retry names topic B: ignored), failed once, then accepted; s3 stopped receiving.
    put(50, 'm6'),
    { type: 'put-fail', t: 51, process: 'p1', topic: 'A', msg: 'm6', error: 'busy' },
    put(52, 'm6', 'p1', 'B'),
    putOk(53, 'm6'),
    deliver(60, 's1', 'm6'),
    deliver(61, 's2', 'm6'),
    // m7 to s1 on the wrong topic; m8 to s4, unsubscribed; m8 twice to s2; an answer to a put nobody made.
    put(70, 'm7'),
    putOk(71, 'm7'),
    deliver(72, 's1', 'm7', 'p1', 'B'),
    deliver(73, 's2', 'm7'),
    put(80, 'm8'),
    putOk(81, 'm8'),
    deliver(82, 's4', 'm8'),
    deliver(83, 's1', 'm8'),
    deliver(84, 's2', 'm8'),
    putOk(90, 'ghost'),
    deliver(95, 's2', 'm8'),
    // s2 still receiving at the end, behind on m10 (p2) and m11 (p3): late. s3 lost them.
    put(100, 'm9', 'p2'),
    putOk(101, 'm9', 'p2'),
    put(102, 'm10', 'p2'),
    putOk(103, 'm10', 'p2'),
    put(104, 'm11', 'p3'),
    putOk(105, 'm11', 'p3'),
    deliver(1000, 's1', 'm9', 'p2'),
    deliver(1002, 's2', 'm9', 'p2'),
    deliver(1005, 's1', 'm11', 'p3'),
    deliver(1010, 's1', 'm10', 'p2'),
  ];
  const file = writeHistory('across-parts', events);

  test(`anomalies seen only across parts (${parts} parts): the same findings, details and events as in memory`, () => {
    const split = assertSameAsInMemory(file, parts, { catchingUp: { checkedAt: 1010, windowMs: 100 } });
    const names = split.anomalies.map((finding) => `${finding.name} ${finding.job ?? ''} ${finding.subscriber ?? ''}`.trim());
    for (const name of ['reordered m1 s1', 'lost m4 s1', 'lost m6 s3', 'unexpected m7 s1', 'unexpected m8 s4', 'duplicate-delivery m8 s2', 'unexpected ghost', 'undelivered-at-bound m10 s2', 'lost m11 s3']) {
      assert.ok(names.includes(name), `${name} not among ${names.join(', ')}`);
    }
    assert.ok(!names.some((name) => name.startsWith('lost') && name.endsWith('s2')), names.join(', '));
    const late = split.anomalies.find((finding) => finding.name === 'undelivered-at-bound');
    assert.match(late?.detail ?? '', /2 owed message\(s\) not delivered yet, the oldest m10 accepted at 103 ms; its latest delivery, at 1002 ms, was of a message accepted at 101 ms/);
    const reordered = split.anomalies.find((finding) => finding.name === 'reordered');
    assert.deepEqual(
      reordered?.events.map((event) => `${event.type} ${'msg' in event ? event.msg : ''} ${event.t}`),
      ['deliver m2 20', 'deliver m1 21', 'put-ok m1 11', 'put-ok m2 13'],
    );
    // Without the end of the drain: lost when accepted more than the bound before the history's end.
    assertSameAsInMemory(file, parts, { deliveryBound: 950 });
  });

  test('puts but no delivery: one no-delivery over every part, its counts and first puts as in memory', () => {
    const history: HistoryEvent[] = [
      ...subscribed(1, 's1'),
      ...['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].flatMap((msg, index) => [put(10 + index, msg), ...(index % 2 === 0 ? [putOk(20 + index, msg)] : [])]),
    ];
    const split = assertSameAsInMemory(writeHistory('no-delivery', history), 4, {});
    assert.deepEqual(
      split.anomalies.filter((finding) => finding.name === 'no-delivery').map((finding) => finding.detail),
      ['no message was delivered: 3 messages accepted (put-ok), 3 messages unanswered'],
    );
  });

  test('no put at all: one empty-history, not one per part', () => {
    const split = assertSameAsInMemory(writeHistory('empty', [...subscribed(1, 's1'), { type: 'harness', t: 1000, windowMs: 1000, lagMaxMs: 3, lagP99Ms: 1, load1: 0.5, cpus: 2 }]), 3, {});
    assert.deepEqual(
      split.anomalies.map((finding) => finding.name),
      ['empty-history'],
    );
  });
});

describe('keelhaul check on a large pub/sub history', () => {
  test('is checked in parts by message past the size, with the verdict and findings of the in-memory check', () => {
    const file = path.join(work, 'check.jsonl');
    writeGeneratedHistory('pubsub', file, { events: 20_000, seed: 11 });
    let report = '';
    const split = checkStoredHistory(file, {}, (text) => (report += text), { partsAboveBytes: 0, parts: 6 });
    const whole = checkStoredHistory(file, {}, () => undefined, { partsAboveBytes: Number.POSITIVE_INFINITY });
    assert.match(report.split('\n')[0], /\(\d+ events, pubsub, checked in 6 parts by message\)/);
    assert.equal(split.system, 'pubsub');
    assert.equal(split.verdict, whole.verdict);
    assert.deepEqual(sorted(split.judgement.violations), sorted(whole.judgement.violations));
    assert.deepEqual(sorted(split.judgement.undecided), sorted(whole.judgement.undecided));
  });
});
