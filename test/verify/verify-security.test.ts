import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runVerify } from './run-verify';

/**
 * The proof of issue 17: the reference with its security switched off, claiming `secure`, FAILs the
 * `@security` features, and each verdict names the attack that succeeded. Three attacks only (the
 * whole feature is `keelhaul verify --impl examples/reference/keelhaul-insecure.yaml --tags @security`),
 * so this stays near ten seconds.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-verify-security-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('keelhaul verify: security off, secure claimed', () => {
  test('FAIL: the impostor worker got jobs, a client called what it may not, a key the policy does not list got a reply', async () => {
    const run = await runVerify(
      ['--impl', 'examples/reference/keelhaul-insecure.yaml', '--tags', '@attack:impersonation or @attack:unauthorized-call or @attack:unknown-key', '--seed', '17'],
      fs.mkdtempSync(path.join(work, 'reports-')),
      120_000,
    );
    assert.equal(run.code, 1, `exit code\n${run.stdout}\n${run.stderr}`);
    assert.ok(run.runDir, `no run folder\n${run.stdout}\n${run.stderr}`);
    const { verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
    assert.deepEqual(verdicts.map((verdict) => `${verdict.verdict} ${verdict.profile}`), ['FAIL secure', 'FAIL secure', 'FAIL secure']);
    const named = verdicts.flatMap((verdict) => verdict.anomalies.map((anomaly) => `${anomaly.name}: ${anomaly.detail}`));
    for (const [attacker, what] of [['evil', 'job'], ['evil', 'a reply'], ['stranger', 'a reply']]) {
      assert.ok(
        named.some((line) => line.startsWith(`unauthorized-delivery: ${attacker} received ${what}`)),
        `no unauthorized-delivery of ${what} to ${attacker} in\n${named.join('\n')}`,
      );
    }
    for (const attack of ['impersonation', 'unauthorized-call', 'unknown-key']) assert.match(run.stdout, new RegExp(`FAIL .*\\(attack ${attack}-\\d+\\)`), `stdout names ${attack}`);
  });
});
