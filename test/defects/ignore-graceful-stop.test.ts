import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runVerify } from '../verify/run-verify';

/**
 * A client that swallows SIGTERM and runs on (the seeded client defect `ignore-graceful-stop`) FAILs
 * the client graceful-stop scenario, the verdict naming the client as ignoring the stop; closing its
 * stdin still ends it, so only the SIGTERM outline fails. The real CLI and real nodes.
 */
const RUN_TIMEOUT_MS = 180_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-graceful-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('ignore-graceful-stop: the client stopped by SIGTERM is killed when its grace runs out, and the verdict says it ignored the stop', { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
  const run = await runVerify(['--impl', 'test/fixtures/defects/ignore-graceful-stop.yaml', '--name', 'A client stopped gracefully by SIGTERM', '--retries', '0'], fs.mkdtempSync(path.join(work, 'reports-')), RUN_TIMEOUT_MS);
  assert.ok(run.runDir, `no run folder was written\n${run.stdout}\n${run.stderr}`);
  const { verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
  assert.equal(verdicts.length, 1, `scenarios run: ${verdicts.map((v) => v.scenario).join('; ')}`);
  const [verdict] = verdicts;
  assert.equal(verdict.verdict, 'FAIL', `${verdict.verdict}: ${verdict.error ?? ''}\n${run.stdout}`);
  assert.match(verdict.error ?? '', /client-\d ignored a graceful stop: still running \d+ ms after SIGTERM, so the harness killed it/);
  assert.equal(run.code, 1);
});
