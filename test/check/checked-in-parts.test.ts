import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { writeGeneratedHistory } from '../../bench/check/history-generator';
import type { Anomaly } from '../../harness/checker/anomaly';
import { checkHistory, type CheckResult } from '../../harness/checker/check-history';
import { checkRequestReplyInParts, RequestReplyGathering, requestReplyKey, requestReplyTag } from '../../harness/checker/request-reply-in-parts';
import { checkStoredHistory } from '../../harness/cli/check';
import type { HistoryEvent } from '../../harness/history/event';
import { readHistoryFile } from '../../harness/history/history-file';
import { partitionHistory } from '../../harness/history/partitioned-history';
import { requestReplyCheckBounds, SCENARIO_TIMING } from '../../harness/timing/timing';
import { partsSeparating } from './parts-separating';

/**
 * A large request-reply history checked part by part (checker/request-reply-in-parts.ts) gives what
 * the check of the whole history in memory gives: on generated histories with every planted
 * anomaly, and on small histories whose anomalies are only seen across parts (a reply naming a job
 * of another part, a worker idle in one part's jobs while another part's job waits, a client with a
 * call open in another part, who is a worker, the progress after the last heal, the guards).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-in-parts-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const BOUNDS = requestReplyCheckBounds(SCENARIO_TIMING);
/** Everything a finding says, so two checks agree only when they say the same. */
const said = (finding: Anomaly): string => JSON.stringify([finding.name, finding.job ?? null, finding.detail, finding.cause ?? null, finding.boundMissed ?? null]);
const sorted = (findings: readonly Anomaly[]): string[] => findings.map(said).sort();

function writeHistory(name: string, events: readonly HistoryEvent[]): string {
  const file = path.join(work, `${name}.jsonl`);
  fs.writeFileSync(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  return file;
}

function inParts(file: string, parts: number, tempRoot?: string): CheckResult {
  const gathering = new RequestReplyGathering(BOUNDS);
  const partitioned = partitionHistory(file, { keyOf: requestReplyKey, tagOf: requestReplyTag, onEvent: (event) => gathering.add(event), parts, tempRoot });
  try {
    return checkRequestReplyInParts(partitioned, gathering, BOUNDS);
  } finally {
    partitioned.remove();
  }
}

function assertSameAsInMemory(file: string, parts: number): CheckResult {
  const whole = checkHistory(readHistoryFile(file), BOUNDS);
  const split = inParts(file, parts);
  assert.deepEqual(sorted(split.anomalies), sorted(whole.anomalies));
  assert.deepEqual(split.counts, whole.counts);
  assert.equal(split.explainedReruns, whole.explainedReruns);
  assert.deepEqual(split.stats, whole.stats);
  return split;
}

const invoke = (t: number, job: string, process = `client-${job}`, service = 'echo'): HistoryEvent => ({ type: 'invoke', t, process, job, service });
const ok = (t: number, job: string, reply = job, process = `client-${job}`): HistoryEvent => ({ type: 'ok', t, process, job, reply });
const run = (t: number, job: string, worker: string, ms = 1): HistoryEvent[] => [
  { type: 'exec-start', t, worker, job },
  { type: 'exec-end', t: t + ms, worker, job },
];

describe('a request-reply history checked in parts judges as the whole in memory', () => {
  test('generated, 60,000 events with every planted anomaly: the same findings in 1, 5 and 23 parts', () => {
    const file = path.join(work, 'generated.jsonl');
    const { expected } = writeGeneratedHistory('request-reply', file, { events: 60_000, seed: 7 });
    for (const parts of [1, 5, 23]) {
      const split = assertSameAsInMemory(file, parts);
      const found = new Set(split.anomalies.map((finding) => `${finding.name} ${finding.job ?? ''}`));
      for (const finding of expected) assert.ok(found.has(`${finding.name} ${finding.job}`), `${parts} parts: ${finding.name} ${finding.job} not found`);
    }
  });

  // Jobs of one group land in different parts, so each anomaly below is only seen across parts.
  const groups = [
    ['j', 'x', 'y'],
    ['j2', 'k'],
    ['d', 'e'],
    ['v', 'w'],
    ['s', 't'],
  ];
  const parts = partsSeparating(groups);
  const events: HistoryEvent[] = [
    // worker-b idle from x's commit (10) to y's start (1000); j waits 600 ms for worker-a meanwhile.
    invoke(0, 'x'),
    ...run(1, 'x', 'worker-b', 9),
    ok(12, 'x'),
    invoke(100, 'j'),
    // j2's client has k open throughout: it may hold j2 itself, so j2's wait is not the broker's.
    invoke(140, 'k', 'client-k'),
    invoke(150, 'j2', 'client-k'),
    ...run(700, 'j', 'worker-a', 5),
    ok(710, 'j'),
    ...run(720, 'j2', 'worker-a', 5),
    ok(730, 'j2', 'j2', 'client-k'),
    ...run(790, 'k', 'worker-a', 5),
    ok(800, 'k', 'k', 'client-k'),
    invoke(995, 'y'),
    ...run(1000, 'y', 'worker-b', 5),
    ok(1010, 'y'),
    // node-c is a worker (of e only): a crash of it is no broker fault for d's re-run.
    invoke(1499, 'e'),
    ...run(1500, 'e', 'node-c'),
    ok(1502, 'e'),
    invoke(2000, 'd'),
    ...run(2001, 'd', 'worker-a'),
    ok(2003, 'd'),
    { type: 'nemesis', t: 2050, phase: 'start', id: 'f1', fault: 'crash-restart', targets: ['node-c'] },
    { type: 'nemesis', t: 2060, phase: 'end', id: 'f1', fault: 'crash-restart', targets: ['node-c'] },
    // After the last heal, v, w, s, t and u wait; the first ok after it (v's) comes past the recovery bound.
    invoke(2070, 'w'),
    invoke(2080, 'v'),
    ...run(2100, 'd', 'worker-b'),
    ...run(4890, 'v', 'worker-a'),
    ok(4900, 'v'),
    ...run(4990, 'w', 'worker-b'),
    ok(5000, 'w'),
    // s gets t's reply; u gets the reply to a job nobody invoked.
    invoke(5100, 's'),
    invoke(5101, 't'),
    ok(5102, 's', 't'),
    ok(5103, 't'),
    invoke(5200, 'u'),
    ok(5201, 'u', 'ghost-1'),
  ];
  const file = writeHistory('across-parts', events);

  test(`anomalies seen only across parts (${parts} parts): the same findings as in memory`, () => {
    const split = assertSameAsInMemory(file, parts);
    const names = split.anomalies.map((finding) => `${finding.name} ${finding.job ?? ''}`);
    assert.ok(names.includes('idle-worker-bypassed j'), names.join(', '));
    assert.ok(!names.includes('idle-worker-bypassed j2'), 'j2 flagged although its client had k open');
    assert.ok(names.includes('stale-reply s') && names.includes('unexpected u'), names.join(', '));
    const rerun = split.anomalies.find((finding) => finding.name === 'duplicate-execution' && finding.job === 'd');
    assert.ok(rerun !== undefined && rerun.cause === undefined, `d's re-run: ${rerun?.detail}`);
    const recovery = split.anomalies.find((finding) => finding.name === 'stuck' && finding.job === undefined);
    assert.match(recovery?.detail ?? '', /\(5 job\(s\) waiting; next ok at 4900/);
  });

  test('no ok anywhere: one no-success over every part, counting the calls of all of them', () => {
    const calls: HistoryEvent[] = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].flatMap((job, index) =>
      index % 2 === 0 ? [invoke(index, job, 'client-1', 'nobody-home'), { type: 'fail', t: index + 0.5, process: 'client-1', job, error: 'no worker for service nobody-home' } as HistoryEvent] : [invoke(index, job, 'client-1')],
    );
    const split = assertSameAsInMemory(writeHistory('no-ok', calls), 4);
    assert.deepEqual(
      split.anomalies.filter((finding) => finding.job === undefined).map((finding) => finding.detail),
      ['no operation succeeded: 3 calls to nobody-home failed definitely (no worker for service nobody-home), 3 calls to echo never returned'],
    );
  });

  test('no invoke at all: one empty-history, not one per part', () => {
    const split = assertSameAsInMemory(writeHistory('empty', [{ type: 'harness', t: 1000, windowMs: 1000, lagMaxMs: 3, lagP99Ms: 1, load1: 0.5, cpus: 2 }]), 3);
    assert.deepEqual(
      split.anomalies.map((finding) => finding.name),
      ['empty-history'],
    );
  });
});

describe('keelhaul check on a large history', () => {
  test('is checked in parts past the size, with the verdict and findings of the in-memory check', () => {
    const file = path.join(work, 'check.jsonl');
    writeGeneratedHistory('request-reply', file, { events: 20_000, seed: 11 });
    let report = '';
    const split = checkStoredHistory(file, {}, (text) => (report += text), { partsAboveBytes: 0, parts: 6 });
    const whole = checkStoredHistory(file, {}, () => undefined, { partsAboveBytes: Number.POSITIVE_INFINITY });
    assert.match(report.split('\n')[0], /\(20,?\d+ events, request-reply, checked in 6 parts by job\)|\(\d+ events, request-reply, checked in 6 parts by job\)/);
    assert.equal(split.verdict, whole.verdict);
    assert.deepEqual(sorted(split.judgement.violations), sorted(whole.judgement.violations));
    assert.deepEqual(sorted(split.judgement.undecided), sorted(whole.judgement.undecided));
  });

  test('its temporary parts are removed, after a bad line too', () => {
    const tempRoot = fs.mkdtempSync(path.join(work, 'temp-'));
    const good = path.join(work, 'good.jsonl');
    writeGeneratedHistory('request-reply', good, { events: 5_000, seed: 3 });
    checkStoredHistory(good, {}, () => undefined, { partsAboveBytes: 0, tempRoot });
    assert.deepEqual(fs.readdirSync(tempRoot), []);
    const lines = fs.readFileSync(good, 'utf8').split('\n');
    lines[4_000] = '{"type":"ok","t":1}';
    const bad = writeHistory('bad', []);
    fs.writeFileSync(bad, lines.join('\n'));
    assert.throws(() => checkStoredHistory(bad, {}, () => undefined, { partsAboveBytes: 0, tempRoot }), /line 4001: ok event without string "process"/);
    assert.deepEqual(fs.readdirSync(tempRoot), []);
    // A failure after the parts were written (a history of both systems) removes them too.
    const mixed = writeHistory('mixed', [invoke(1, 'a'), ok(2, 'a'), { type: 'put', t: 3, process: 'p', msg: 'm', topic: 'x' } as HistoryEvent]);
    assert.throws(() => checkStoredHistory(mixed, {}, () => undefined, { partsAboveBytes: 0, tempRoot }), /both request-reply events/);
    assert.deepEqual(fs.readdirSync(tempRoot), []);
  });
});
