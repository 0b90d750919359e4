import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runKeelhaul, runVerify } from '../verify/run-verify';

/**
 * The real `keelhaul check` CLI: on the history a real `keelhaul verify` run recorded (the reference
 * broker with its dedup off, examples/broken/no-dedup.yaml) it reproduces the run's verdict; bad
 * input is one line on stderr and exit 2.
 */
const RUN_TIMEOUT_MS = 120_000;
const CHECK_TIMEOUT_MS = 30_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-check-cli-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The real `keelhaul check <args>` (it writes no reports). */
function check(args: string[]): ReturnType<typeof runKeelhaul> {
  return runKeelhaul('check', args, undefined, CHECK_TIMEOUT_MS);
}

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, `a stack trace on stderr:\n${stderr}`);
}

describe('keelhaul check (CLI)', () => {
  test('on the stored history of a failing verify run: the same FAIL, the same duplicate-execution jobs, exit 1', async () => {
    const run = await runVerify(['--impl', 'examples/broken/no-dedup.yaml', '--tags', '@khx1:retries-from-table and @links', '--name', 'A client whose replies are lost'], path.join(work, 'reports'), RUN_TIMEOUT_MS);
    assert.equal(run.code, 1, `verify's exit code\n${run.stdout}\n${run.stderr}`);
    assert.ok(run.runDir, 'one run folder');
    const { verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
    assert.equal(verdicts.length, 1);
    const [stored] = verdicts;
    assert.equal(stored.verdict, 'FAIL');
    const scenarioDir = path.join(run.runDir, stored.dir);
    const storedJobs = stored.anomalies.filter((a) => a.name === 'duplicate-execution').map((a) => a.job).sort();
    assert.ok(storedJobs.length > 0, 'the run found duplicate executions');

    for (const target of [scenarioDir, path.join(scenarioDir, 'history.jsonl')]) {
      const checked = await check([target]);
      assert.equal(checked.code, 1, `check's exit code\n${checked.stdout}\n${checked.stderr}`);
      assert.match(checked.stdout, /profile +exactly-once \(recorded in the scenario's verdict\.json\)/);
      assert.match(checked.stdout, new RegExp(`^FAIL +${stored.scenario.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: violates exactly-once — duplicate-execution$`, 'm'));
      const jobs = [...checked.stdout.matchAll(/\[duplicate-execution\] job (\S+) executed again/g)].map((match) => match[1]).sort();
      assert.deepEqual([...new Set(jobs)], [...new Set(storedJobs)], 'the same jobs ran twice');
    }
    const weaker = await check([scenarioDir, '--profile', 'at-least-once']);
    assert.equal(weaker.code, 0, `re-runs are allowed by at-least-once\n${weaker.stdout}\n${weaker.stderr}`);
    assert.match(weaker.stdout, /^PASS +.*: meets at-least-once$/m);
  });

  test('a line that is not a valid event: exit 2, the line number and what is wrong, no stack trace', async () => {
    const file = path.join(work, 'bad.jsonl');
    fs.writeFileSync(file, '{"type":"invoke","t":1,"process":"c","job":"j","service":"echo"}\n{"type":"ok","t":2,"process":"c","job":"j"}\n');
    const run = await check([file]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `keelhaul check: ${file}: line 2: ok event without string "reply" (the format: docs/history.md)\n`);
  });

  test('not JSON lines, a missing file, an unknown profile, a bad option: exit 2, one line each', async () => {
    const text = path.join(work, 'notes.txt');
    fs.writeFileSync(text, 'these are notes\n');
    const cases: [string[], RegExp][] = [
      [[text], /^keelhaul check: .*notes\.txt: line 1: invalid JSON/],
      [[path.join(work, 'missing.jsonl')], /^keelhaul check: cannot read .*missing\.jsonl: no such file or folder$/m],
      [[text, '--profile', 'exactly-twice'], /^keelhaul check: unknown profile "exactly-twice"; known: /],
      [[text, '--call-bound', 'soon'], /argument 'soon' is invalid/],
      [[], /^keelhaul check: give a history file/],
    ];
    for (const [args, message] of cases) {
      const run = await check(args);
      assert.equal(run.code, 2, `${args.join(' ')}: exit code\n${run.stderr}`);
      assert.match(run.stderr, message);
      noStack(run.stderr);
    }
  });

  test('--print-schema prints the shipped schema', async () => {
    const run = await check(['--print-schema']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, fs.readFileSync(path.join(__dirname, '../../../docs/history-event.schema.json'), 'utf8'));
  });
});
