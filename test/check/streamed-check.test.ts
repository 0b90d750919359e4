import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { generatePubSubHistory, generateRequestReplyHistory, writeGeneratedHistory, type ExpectedFinding, type GeneratedSystem } from '../../bench/check/history-generator';
import { checkHistory } from '../../harness/checker/check-history';
import { judgeHistory } from '../../harness/checker/judge-history';
import { checkPubSub } from '../../harness/checker/pubsub';
import { checkStoredHistory } from '../../harness/cli/check';
import type { HistoryEvent } from '../../harness/history/event';
import { forEachLine, readHistoryFile } from '../../harness/history/history-file';
import { parseHistory } from '../../harness/history/reader';
import { renderTimeline } from '../../harness/report/timeline';
import { MAX_LANES_PER_KIND } from '../../harness/report/timeline/lane-folding';
import { requestReplyCheckBounds, SCENARIO_TIMING } from '../../harness/timing/timing';

/**
 * The streamed path of `keelhaul check` (a history file read 1 MB at a time, the request-reply
 * checks sharing one grouping by job) gives what the in-memory path gives, and finds exactly the
 * anomalies planted in a generated history; the timeline of a large history stays bounded. The
 * speed figures are bench/check's (npm run bench:check), not a timed test's.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-streamed-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const BOUNDS = requestReplyCheckBounds(SCENARIO_TIMING);
const key = (finding: { name: string; job?: string }): string => `${finding.name} ${finding.job ?? ''}`;
const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

function generated(system: GeneratedSystem, events: number): { file: string; expected: ExpectedFinding[] } {
  const file = path.join(work, `${system}-${events}.jsonl`);
  const { expected } = writeGeneratedHistory(system, file, { events, seed: 7 });
  return { file, expected };
}

describe('history files are read line by line', () => {
  test('readHistoryFile gives what parseHistory gives, CRLF, blank lines and a last line without newline included', () => {
    const events: HistoryEvent[] = [];
    generateRequestReplyHistory({ events: 2000, seed: 3 }, (event) => events.push(event));
    const text = events.map((event, index) => `${JSON.stringify(event)}${index % 7 === 0 ? '\r\n\n' : '\n'}`).join('').trimEnd();
    const file = path.join(work, 'crlf.jsonl');
    fs.writeFileSync(file, text);
    assert.deepEqual(readHistoryFile(file), parseHistory(text));
    assert.deepEqual(readHistoryFile(file), events);
  });

  test('a character cut in two by a 1 MB read is read whole', () => {
    const prefix = '{"type":"fail","t":1,"process":"c","job":"j","error":"';
    // The two bytes of "é" straddle byte 1,048,576, where the first read ends.
    const pad = 'x'.repeat((1 << 20) - Buffer.byteLength(prefix) - 1);
    const line = `${prefix}${pad}é"}`;
    const file = path.join(work, 'split.jsonl');
    fs.writeFileSync(file, `${line}\n`);
    const lines: string[] = [];
    forEachLine(file, (read) => lines.push(read));
    assert.deepEqual(lines, [line]);
    const [event] = readHistoryFile(file);
    assert.ok(event.type === 'fail' && event.error.endsWith('xé'));
  });

  test('a bad line deep in a file is named by its number, past the first chunk', () => {
    const { file } = generated('pubsub', 20_000);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[15_000] = '{"type":"deliver","t":1}';
    const bad = path.join(work, 'bad.jsonl');
    fs.writeFileSync(bad, lines.join('\n'));
    assert.ok(fs.statSync(bad).size > 1 << 20);
    assert.throws(() => readHistoryFile(bad), /history line 15001: deliver event without string "subscriber"/);
  });
});

describe('a streamed check of a generated history finds exactly the planted anomalies', () => {
  for (const system of ['request-reply', 'pubsub'] as const) {
    test(`${system}: 60,000 events`, () => {
      const { file, expected } = generated(system, 60_000);
      const events = readHistoryFile(file);
      const found = system === 'pubsub' ? checkPubSub(events, { catchingUp: { checkedAt: events[events.length - 1].t, windowMs: BOUNDS.recoveryBound } }).anomalies : checkHistory(events, BOUNDS).anomalies;
      assert.ok(expected.length >= 40, `only ${expected.length} planted`);
      assert.deepEqual(sorted(found.map(key)), sorted(expected.map(key)));
      // Explained re-runs (a worker killed after its commit) are listed and carry their fault.
      const explained = found.filter((finding) => finding.explainedBy !== undefined).map(key);
      assert.deepEqual(sorted(explained), sorted(expected.filter((finding) => finding.explained === true).map(key)));
      if (system === 'request-reply') assert.ok(explained.length > 0, 'no fault hit a committed job');

      // keelhaul check (streamed) judges as the in-memory path over the whole text does.
      const outcome = checkStoredHistory(file, {}, () => undefined);
      const inMemory = parseHistory(fs.readFileSync(file, 'utf8'));
      const judged = judgeHistory(inMemory, outcome.profile, { ...BOUNDS, checkedAt: inMemory[inMemory.length - 1].t }, { allCounts: true });
      assert.equal(outcome.verdict, 'FAIL');
      assert.deepEqual(outcome.judgement, judged.judgement);
      assert.deepEqual(sorted(outcome.judgement.violations.map(key)), sorted(expected.filter((finding) => finding.explained !== true).map(key)));
    });
  }
});

describe('the timeline of a large history stays bounded', () => {
  test('200,000 request-reply events from 64 clients and 24 workers: folded lanes, under 1 MB', () => {
    const events: HistoryEvent[] = [];
    generateRequestReplyHistory({ events: 200_000, seed: 5 }, (event) => events.push(event));
    const anomalies = checkHistory(events, BOUNDS).anomalies;
    const svg = renderTimeline(events, { anomalies });
    const lanes = [...svg.matchAll(/<g class="lane" data-node="([^"]+)"/g)].map((match) => match[1]);
    assert.ok(svg.length < 1_000_000, `${svg.length} characters`);
    assert.equal(lanes.filter((lane) => lane.startsWith('client-')).length, MAX_LANES_PER_KIND);
    assert.ok(lanes.includes('+48 clients') && lanes.includes('+8 workers'), lanes.join(', '));
    assert.match(svg, /48 of 64 clients, 8 of 24 workers drawn together on one lane each/);
  });

  test('pub/sub: 200,000 events stay under 1 MB', () => {
    const events: HistoryEvent[] = [];
    generatePubSubHistory({ events: 200_000, seed: 5 }, (event) => events.push(event));
    const svg = renderTimeline(events, { anomalies: checkPubSub(events).anomalies });
    assert.ok(svg.length < 1_000_000, `${svg.length} characters`);
    assert.doesNotMatch(svg, /drawn together on one lane/);
  });
});
