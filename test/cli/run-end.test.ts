import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runEnd } from '../../harness/cli/run-end';
import { LATEST_RUN } from '../../harness/report/latest-run';
import type { VerdictsFile } from '../../harness/report/run-reports';
import type { ScenarioVerdict } from '../../harness/report/verdict';
import { RUN_CONFIG_FILE } from '../../harness/run/run-config';
import { runKeelhaul } from '../verify/run-verify';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-run-end-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const INFO = { implementation: 'x', claimed: [], seed: '1', replay: 'r' };
const PASS = { scenario: 's', feature: 'f', tags: [], clauses: [], verdict: 'PASS', reason: '', anomalies: [], durationMs: 1, dir: 's' } as ScenarioVerdict;

describe('runEnd: how a front end reads a finished Cucumber run', () => {
  test('an unfinished run names its folder only when there is one, and says what is in it', () => {
    const missing = runEnd({ code: 1 }, path.join(work, 'never-made'), '@smoke');
    assert.deepEqual(missing, { judged: false, exit: 2, problem: 'the run did not finish (cucumber-js exited with 1); no report folder was written' });
    const settingsOnly = fs.mkdtempSync(path.join(work, 'run-'));
    fs.writeFileSync(path.join(settingsOnly, RUN_CONFIG_FILE), '{}');
    const onlySettings = runEnd({ code: 1 }, settingsOnly, '@smoke');
    assert.equal(onlySettings.exit, 2);
    assert.match(onlySettings.judged ? '' : onlySettings.problem, new RegExp(`no report was written \\(${settingsOnly.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds only the run's settings, run-config.json\\)`));
    fs.writeFileSync(path.join(settingsOnly, 'cucumber-report.json'), '[]');
    const some = runEnd({ code: null }, settingsOnly, '@smoke');
    assert.equal(some.judged ? '' : some.problem, `the run did not finish (cucumber-js exited with a signal); see ${settingsOnly}`);
  });

  test('no scenario selected, or none run, is exit 4 with a plain sentence', () => {
    const report: VerdictsFile = { ...INFO, verdicts: [], selected: 0, notRun: [] };
    assert.deepEqual(runEnd({ code: 0, verdicts: [], report }, work, '@nothing'), { judged: false, exit: 4, problem: 'no scenario matched @nothing: nothing ran, nothing was judged' });
    const dry = runEnd({ code: 0, verdicts: [], report: { ...report, selected: 2, notRun: ['a', 'b'] } }, work, '@smoke');
    assert.deepEqual(dry, { judged: false, exit: 4, problem: '2 scenarios were selected but none ran (Cucumber skipped every step: --dry-run, or --fail-fast): nothing was judged' });
  });

  test('a judged run exits with its verdicts', () => {
    assert.deepEqual(runEnd({ code: 0, verdicts: [PASS] }, work, '@smoke'), { judged: true, exit: 0, verdicts: [PASS] });
    assert.equal(runEnd({ code: 1, verdicts: [PASS, { ...PASS, verdict: 'FAIL' }] }, work, '@smoke').exit, 1);
  });
});

/** Runs the real `keelhaul features --reports <reports> <args>` in its own run folder; killed (and rejected) after 90 s. */
async function features(reports: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env };
  for (const name of ['KEELHAUL_RUN_ID', 'KEELHAUL_REPORT_DIR']) delete env[name];
  const run = await runKeelhaul('features', ['--time-scale', '1', ...args], reports, 90_000, env);
  return { code: run.code, output: run.stdout + run.stderr };
}

describe('keelhaul features, end to end', () => {
  test('a dry run says no scenario ran and exits 4; reports/latest points at its folder, whose summary says Nothing ran', async () => {
    const reports = fs.mkdtempSync(path.join(work, 'reports-'));
    const run = await features(reports, ['--dry-run', '--tags', '@smoke']);
    assert.equal(run.code, 4, run.output);
    assert.match(run.output, /\[1\/1\] NOT RUN Every job is answered once when nothing fails: Cucumber skipped every step/);
    assert.doesNotMatch(run.output, /ERROR|no verdict was recorded/);
    assert.match(run.output, /keelhaul features: 1 scenario was selected but none ran .*: nothing was judged; exit 4/);
    const folders = fs.readdirSync(reports).filter((name) => name !== LATEST_RUN);
    assert.equal(folders.length, 1, folders.join(', '));
    assert.equal(fs.readlinkSync(path.join(reports, LATEST_RUN)), folders[0]);
    const verdicts = JSON.parse(fs.readFileSync(path.join(reports, LATEST_RUN, 'verdicts.json'), 'utf8')) as VerdictsFile;
    assert.equal(verdicts.selected, 1);
    assert.deepEqual(verdicts.notRun, ['Every job is answered once when nothing fails']);
    assert.match(fs.readFileSync(path.join(reports, LATEST_RUN, 'summary.md'), 'utf8'), /\*\*Nothing ran\*\*/);
  });

  test('a tag that matches nothing: no scenario matched, exit 4', async () => {
    const reports = fs.mkdtempSync(path.join(work, 'reports-'));
    const run = await features(reports, ['--tags', '@no-such-tag']);
    assert.equal(run.code, 4, run.output);
    assert.match(run.output, /keelhaul features: no scenario matched --tags @no-such-tag: nothing ran, nothing was judged; exit 4/);
  });
});
