import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readVerdicts } from '../../harness/report/run-reports';
import { runKeelhaul, ROOT } from '../verify/run-verify';
import { htmlReportRows } from '../support/html-report-rows';

/**
 * The proof of issue 21's split: one run of a selection, and the same selection split in two shards
 * (--shard 1/2, --shard 2/2) and joined with keelhaul merge-reports, judge the same scenarios the same
 * (verdicts.json, junit.xml and report.html's verdict table).
 * Real runs of the reference (processes, fault proxies), a handful of short scenarios; the whole run
 * takes two at once (--parallel 2), so it also shows parallel workers keep their scenarios apart.
 */
const SELECTION = ['--impl', path.join(ROOT, 'examples/reference/keelhaul.yaml'), '--tags', '@smoke or @rfc8', '--seed', '2121'];
const RUN_TIMEOUT_MS = 120_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-sharded-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The environment of a fresh shell: no run, shard or split settings from an outer run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['KEELHAUL_RUN_CONFIG', 'KEELHAUL_RUN_ID', 'KEELHAUL_REPORT_DIR', 'KEELHAUL_SHARD', 'KEELHAUL_PARALLEL', 'KEELHAUL_SEED', 'TOXIPROXY_URL']) delete env[name];
  return env;
}

async function verifyRun(name: string, extra: string[]): Promise<string> {
  const run = await runKeelhaul('verify', [...SELECTION, ...extra], path.join(work, name), RUN_TIMEOUT_MS, cleanEnv());
  assert.equal(run.code, 0, `keelhaul verify ${extra.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.runDirs.length, 1);
  return run.runDirs[0];
}

/** `feature:line scenario -> verdict`, one per scenario, sorted. */
function verdictsOf(runDir: string): string[] {
  return readVerdicts(runDir).verdicts.map((v) => `${v.feature}:${v.line} ${v.scenario} -> ${v.verdict}`).sort();
}

test('two shards merged give the same scenario verdicts as one run of the same selection', { timeout: 4 * RUN_TIMEOUT_MS }, async () => {
  const whole = await verifyRun('whole', ['--parallel', '2']);
  const first = await verifyRun('shard-1', ['--shard', '1/2']);
  const second = await verifyRun('shard-2', ['--shard', '2/2']);

  const wholeVerdicts = verdictsOf(whole);
  assert.ok(wholeVerdicts.length >= 4, `the selection holds a handful of scenarios: ${wholeVerdicts.join('; ')}`);
  const [a, b] = [verdictsOf(first), verdictsOf(second)];
  assert.ok(a.length > 0 && b.length > 0 && Math.abs(a.length - b.length) <= 1, `each shard runs about half: ${a.length} and ${b.length}`);
  assert.deepEqual(a.filter((line) => b.includes(line)), [], 'no scenario runs in both shards');

  const merged = await runKeelhaul('merge-reports', [first, second, '--out', path.join(work, 'merged')], undefined, RUN_TIMEOUT_MS, cleanEnv());
  assert.equal(merged.code, 0, `${merged.stdout}\n${merged.stderr}`);
  assert.deepEqual(verdictsOf(path.join(work, 'merged')), wholeVerdicts);
  const wholeJunit = fs.readFileSync(path.join(whole, 'junit.xml'), 'utf8');
  const mergedJunit = fs.readFileSync(path.join(work, 'merged', 'junit.xml'), 'utf8');
  const testcases = (xml: string) => [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((match) => `${match[1]} ${match[2]}`).sort();
  assert.deepEqual(testcases(mergedJunit), testcases(wholeJunit), 'the merged JUnit report lists the same test cases');
  const htmlRows = (dir: string) => htmlReportRows(fs.readFileSync(path.join(dir, 'report.html'), 'utf8'));
  assert.equal(htmlRows(whole).length, wholeVerdicts.length, "the whole run's report.html has a row per scenario");
  assert.deepEqual(htmlRows(path.join(work, 'merged')), htmlRows(whole), 'the merged report.html shows the same verdict table, in the same order');
  const mergedHtml = fs.readFileSync(path.join(work, 'merged', 'report.html'), 'utf8');
  for (const [, href] of mergedHtml.matchAll(/<a href="([^"]*\.(?:svg|jsonl|log))">/g)) {
    assert.ok(fs.existsSync(path.join(work, 'merged', decodeURIComponent(href))), `the merged report's link ${href} leads into a shard's folder`);
  }
  const scenarioDirs = readVerdicts(whole).verdicts.map((v) => v.dir);
  assert.equal(new Set(scenarioDirs).size, scenarioDirs.length, 'parallel workers gave every scenario its own folder');
});
