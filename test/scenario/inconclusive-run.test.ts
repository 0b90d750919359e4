import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURE = 'test/fixtures/features/verdicts.feature';

interface Run {
  code: number | null;
  output: string;
  verdicts: VerdictsFile['verdicts'];
  runDir: string;
}

/** The real `keelhaul features` on the fixture feature, with its own report folder; bounded. */
function features(args: string[], timeoutMs = 90_000): Promise<Run> {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-verdicts-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/keelhaul.js'), 'features', '--reports', reports, '--time-scale', '1', ...args, FIXTURE], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keelhaul features ${args.join(' ')} ran past ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const [run] = fs.readdirSync(reports);
      const runDir = path.join(reports, run ?? '');
      const file = path.join(runDir, 'verdicts.json');
      const verdicts = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as VerdictsFile).verdicts : [];
      resolve({ code, output, verdicts, runDir });
    });
  });
}

test('a fault aimed at a node that holds nothing is INCONCLUSIVE (not PASS, not FAIL), retried, and the run exits 3', async () => {
  const run = await features(['--retries', '1', '--tags', '@fixture-inconclusive']);
  assert.equal(run.code, 3, run.output);
  assert.equal(run.verdicts.length, 1, run.output);
  const [verdict] = run.verdicts;
  assert.equal(verdict.verdict, 'INCONCLUSIVE');
  assert.match(verdict.reason, /the fault hit no job on worker-1, so this scenario tested nothing/);
  assert.equal(verdict.attempts, 2, 'tried again once before it was reported');
  assert.match(run.output, /retry A fault aimed at a worker that holds nothing: INCONCLUSIVE/);
  // Each attempt has its own folder (history, logs): the retry does not overwrite the first.
  assert.deepEqual(fs.readdirSync(run.runDir).filter((name) => name.startsWith('a-fault-aimed')).sort(), ['a-fault-aimed-at-a-worker-that-holds-nothing', 'a-fault-aimed-at-a-worker-that-holds-nothing-2']);
  assert.match(fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8'), /## Inconclusive: not judged/);
  assert.match(fs.readFileSync(path.join(run.runDir, 'junit.xml'), 'utf8'), /<skipped message="INCONCLUSIVE: the fault hit no job/);
});

test('a FAIL is never retried away: its retry is skipped, its verdict stands, the run exits 1', async () => {
  const run = await features(['--retries', '2', '--tags', '@fixture-fail']);
  assert.equal(run.code, 1, run.output);
  assert.deepEqual(run.verdicts.map((v) => [v.verdict, v.attempts]), [['FAIL', undefined]], run.output);
  assert.doesNotMatch(run.output, /retry /);
  assert.deepEqual(fs.readdirSync(run.runDir).filter((name) => name.startsWith('a-broker-that')), ['a-broker-that-answers-501-where-200-is-expected'], 'one attempt only');
});
