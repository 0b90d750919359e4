import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseHistory } from '../../harness/history/reader';
import { HistoryRecorder } from '../../harness/history/recorder';

test('recorder: writes JSON lines that parseHistory reads back, stamps non-decreasing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelhaul-history-'));
  try {
    const file = join(dir, 'nested', 'history.jsonl');
    const recorder = new HistoryRecorder({ file });
    recorder.record({ type: 'invoke', process: 'client-1', job: 'j-1', service: 'echo' });
    recorder.record({ type: 'nemesis', phase: 'start', id: 'f-1', fault: 'kill-worker', targets: ['worker-1'] });
    recorder.record({ type: 'exec-start', worker: 'worker-1', job: 'j-1' });
    recorder.record({ type: 'info', process: 'client-1', job: 'j-1', error: 'timeout', accepted: true });
    recorder.close();

    const parsed = parseHistory(readFileSync(file, 'utf8'));
    assert.deepEqual(parsed, recorder.events());
    assert.deepEqual(parsed.map((event) => event.type), ['invoke', 'nemesis', 'exec-start', 'info']);
    for (let index = 1; index < parsed.length; index++) assert.ok(parsed[index].t >= parsed[index - 1].t);
    assert.throws(() => recorder.record({ type: 'exec-end', worker: 'worker-1', job: 'j-1' }), /after close/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recorder: without a file keeps events in memory only', () => {
  const recorder = new HistoryRecorder();
  const stamped = recorder.record({ type: 'ok', process: 'client-1', job: 'j-1', reply: 'j-1' });
  assert.equal(typeof stamped.t, 'number');
  assert.deepEqual(recorder.events(), [stamped]);
  recorder.close();
});

test('parseHistory: skips blank lines', () => {
  const text = '\n{"type":"invoke","t":1,"process":"c","job":"j","service":"s"}\n\n';
  assert.equal(parseHistory(text).length, 1);
});

test('parseHistory: errors name the 1-based line and the reason', () => {
  const good = '{"type":"invoke","t":1,"process":"c","job":"j","service":"s"}';
  assert.throws(() => parseHistory(`${good}\n{not json`), /line 2: invalid JSON/);
  assert.throws(() => parseHistory(`${good}\n\n{"type":"teleport","t":3}`), /line 3: unknown event type "teleport"/);
  assert.throws(() => parseHistory('{"type":"ok","process":"c","job":"j","reply":"j"}'), /line 1: .*"t"/);
  assert.throws(() => parseHistory('{"type":"ok","t":"soon","process":"c","job":"j","reply":"j"}'), /line 1: .*"t"/);
  assert.throws(() => parseHistory('[1,2]'), /line 1: not a JSON object/);
});
