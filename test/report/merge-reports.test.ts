import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { mergeReports, MergeError } from '../../harness/report/merge-reports';
import { writeRunReports } from '../../harness/report/run-reports';
import { markLatestRun } from '../../harness/report/latest-run';
import type { ScenarioVerdict, Verdict } from '../../harness/report/verdict';
import { ROOT } from '../support/feature-scenarios';

/** keelhaul merge-reports on run folders written by the same code a run uses (writeRunReports). */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-merge-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const CLAIMS = ['mdp', 'at-least-once'];

function verdict(feature: string, line: number, result: Verdict = 'PASS'): ScenarioVerdict {
  const scenario = `${path.basename(feature, '.feature')} at ${line}`;
  return { scenario, feature, line, tags: [], clauses: [], verdict: result, reason: result === 'PASS' ? 'meets mdp' : 'violates mdp', anomalies: [], durationMs: 100, dir: scenario.replace(/\W+/g, '-') };
}

let runs = 0;
/** A run folder as `keelhaul features` leaves it; `shard` and `implementation` as the run had them. */
function runFolder(verdicts: ScenarioVerdict[], options: { shard?: string; implementation?: string; claimed?: string[]; seed?: string } = {}): string {
  const dir = path.join(work, 'reports', `run-${++runs}`);
  const seed = options.seed ?? String(runs);
  for (const v of verdicts) {
    fs.mkdirSync(path.join(dir, v.dir), { recursive: true });
    fs.writeFileSync(path.join(dir, v.dir, 'verdict.json'), JSON.stringify(v));
  }
  writeRunReports(dir, { implementation: options.implementation ?? 'acme', claimed: options.claimed ?? CLAIMS, seed, replay: `KEELHAUL_SEED=${seed} keelhaul features${options.shard ? ` --shard ${options.shard}` : ''}`, ...(options.shard ? { shard: options.shard } : {}) }, verdicts, { selected: verdicts.length, notRun: [] });
  fs.writeFileSync(path.join(dir, 'cucumber-report.json'), JSON.stringify(verdicts.map((v) => ({ uri: v.feature, name: v.scenario }))));
  return dir;
}

function out(name: string): string {
  return path.join(work, 'merged', name);
}

function mergeProblem(inputs: string[], outDir = out('refused')): string {
  try {
    mergeReports(inputs, outDir);
  } catch (error) {
    assert.ok(error instanceof MergeError, `expected a MergeError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`${inputs.join(', ')} were merged`);
}

describe('keelhaul merge-reports', () => {
  test("two shards merge into one run's reports: every verdict once, in one run's order, folders relative to the merged one", () => {
    const first = runFolder([verdict('features/a.feature', 5), verdict('features/b.feature', 9, 'FAIL')], { shard: '1/2', seed: '7' });
    const second = runFolder([verdict('features/a.feature', 12), verdict('features/c.feature', 3)], { shard: '2/2', seed: '7' });
    const dir = out('two-shards');
    const { report, extra } = mergeReports([first, second], dir);
    assert.deepEqual(report.verdicts.map((v) => `${v.feature}:${v.line} ${v.verdict}`), ['features/a.feature:5 PASS', 'features/a.feature:12 PASS', 'features/b.feature:9 FAIL', 'features/c.feature:3 PASS']);
    assert.equal(report.verdicts[0].dir, path.join('..', '..', 'reports', path.basename(first), 'a-at-5'));
    assert.ok(fs.existsSync(path.join(dir, report.verdicts[0].dir, '..', 'verdicts.json')), 'the folder leads to the scenario where its run wrote it');
    assert.equal(report.seed, '7', 'one seed when the shards shared it');
    assert.equal(report.selected, 4);
    assert.deepEqual(report.parts?.map((part) => part.shard), ['1/2', '2/2']);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'verdicts.json'), 'utf8')) as { verdicts: unknown[]; parts: unknown[] };
    assert.equal(written.verdicts.length, 4);
    assert.equal(written.parts.length, 2);
    const junit = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuites name="acme" tests="4" failures="1" errors="0" skipped="0"/);
    const summary = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    assert.match(summary, /^\*\*Failed\*\*: 3 pass, 1 fail, 0 info, 0 error, 0 inconclusive \(claims: mdp, at-least-once; seed 7; merged from 2 runs\)$/m);
    assert.match(summary, /^\| 2\/2 \| 2 \| 7 \| `\.\.\/\.\.\/reports\/run-\d+` \| `KEELHAUL_SEED=7 keelhaul features --shard 2\/2` \|$/m);
    assert.deepEqual(extra.written, ['cucumber-report.json']);
    assert.deepEqual(extra.skipped, ["cucumber-report.html: Cucumber's HTML report cannot be joined; each part's stays in its folder, and report.html is the merged report"]);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.equal((html.match(/<tr class="scenario /g) ?? []).length, 4, 'report.html has a row per merged scenario');
    assert.match(html, /<td class="files"><a href="\.\.\/\.\.\/reports\/run-\d+\/a-at-5\/verdict\.json">verdict\.json<\/a><\/td>/, "its links lead into the shard's folder, relative to the merged one");
    assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'cucumber-report.json'), 'utf8')) as unknown[]).length, 4);
  });

  test("a reports folder reads as its newest run: `latest` as a symlink, or as the copy an artifact upload made of it", () => {
    const first = runFolder([verdict('features/a.feature', 5)], { shard: '1/2' });
    const second = runFolder([verdict('features/a.feature', 8)], { shard: '2/2' });
    const linked = fs.mkdtempSync(path.join(work, 'linked-'));
    fs.renameSync(first, path.join(linked, 'run'));
    assert.equal(markLatestRun(path.join(linked, 'run')), undefined);
    const copied = fs.mkdtempSync(path.join(work, 'copied-'));
    fs.cpSync(second, path.join(copied, 'latest'), { recursive: true });
    const { report } = mergeReports([linked, copied], out('reports-folders'));
    assert.deepEqual(report.verdicts.map((v) => v.line), [5, 8]);
    assert.equal(report.verdicts[0].dir, path.join('..', '..', path.basename(linked), 'run', 'a-at-5'));
  });

  test('a scenario in two inputs is refused, naming it and both folders', () => {
    const first = runFolder([verdict('features/a.feature', 5)], { shard: '1/2' });
    const second = runFolder([verdict('features/a.feature', 5)], { shard: '2/2' });
    assert.match(mergeProblem([first, second]), /^"a at 5" \(features\/a\.feature:5\) is in .*run-\d+ and in .*run-\d+: a scenario must come from one input only$/);
  });

  test('folders that are not finished run folders are refused, saying what they are', () => {
    const good = runFolder([verdict('features/a.feature', 5)]);
    assert.match(mergeProblem([good, path.join(work, 'nowhere')]), /nowhere: no such folder$/);
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, '');
    assert.match(mergeProblem([good, file]), /a-file: not a folder/);
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    assert.match(mergeProblem([good, empty]), /: not a keelhaul run folder \(no verdicts\.json; a run that did not finish writes none\) nor a reports folder \(no latest\)$/);
    const repeated = fs.mkdtempSync(path.join(work, 'repeated-'));
    fs.writeFileSync(path.join(repeated, 'repeat.json'), '{}');
    assert.match(mergeProblem([good, repeated]), /a repeated run's folder \(repeat\.json\)/);
    const broken = fs.mkdtempSync(path.join(work, 'broken-'));
    fs.writeFileSync(path.join(broken, 'verdicts.json'), '{"verdicts":');
    assert.match(mergeProblem([good, broken]), /verdicts\.json cannot be read: /);
    fs.writeFileSync(path.join(broken, 'verdicts.json'), '{"verdicts": 3}');
    assert.match(mergeProblem([good, broken]), /verdicts\.json is not a run's verdicts/);
    assert.match(mergeProblem([good, good]), /is given twice$/);
    assert.match(mergeProblem([good], good), /^--out .* is one of the inputs: its reports would be overwritten$/);
  });

  test('foreign runs are refused: another implementation, other claims, another split, a whole run among shards', () => {
    const a = runFolder([verdict('features/a.feature', 5)], { shard: '1/2' });
    assert.match(mergeProblem([a, runFolder([verdict('features/b.feature', 5)], { shard: '2/2', implementation: 'other' })]), /is a run of "other", .* of "acme": only runs of one implementation merge$/);
    assert.match(mergeProblem([a, runFolder([verdict('features/b.feature', 5)], { shard: '2/2', claimed: ['mdp'] })]), /claims mdp, .* claims mdp, at-least-once: the same scenario would be judged differently$/);
    assert.match(mergeProblem([a, runFolder([verdict('features/b.feature', 5)], { shard: '2/3' })]), /is shard 2\/3, .* is shard 1\/2: shards of different splits$/);
    assert.match(mergeProblem([a, runFolder([verdict('features/b.feature', 5)])]), /is a whole run, .* is shard 1\/2: merge the shards of one split only$/);
    assert.match(mergeProblem([a, runFolder([verdict('features/b.feature', 5)], { shard: '1/2' })]), /are both shard 1\/2$/);
  });

  test('a missing shard is refused: the merged report would silently lack its scenarios', () => {
    const one = runFolder([verdict('features/a.feature', 5)], { shard: '1/3' });
    assert.equal(mergeProblem([one]), 'shards 2/3, 3/3 missing: the merged report would leave out their scenarios (given: 1/3)');
    const three = runFolder([verdict('features/a.feature', 9)], { shard: '3/3' });
    assert.equal(mergeProblem([one, three]), 'shard 2/3 missing: the merged report would leave out its scenarios (given: 1/3, 3/3)');
  });

  test("the command's exit codes are a single run's: 0 pass, 1 a FAIL, 2 cannot merge, 3 inconclusive, 4 nothing ran", () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/keelhaul.js'), 'merge-reports', ...args], { encoding: 'utf8', timeout: 30_000 });
    const pass = [runFolder([verdict('features/a.feature', 5)], { shard: '1/2' }), runFolder([verdict('features/a.feature', 8)], { shard: '2/2' })];
    const passed = cli(...pass, '--out', out('cli-pass'));
    assert.equal(passed.status, 0, passed.stderr);
    assert.match(passed.stdout, /^keelhaul merge-reports: 2 runs, 2 scenarios: 2 pass, 0 fail, 0 info, 0 error, 0 inconclusive; exit 0$/m);
    assert.match(passed.stdout, /^  .*cli-pass\/report\.html$/m, 'the merged report.html is among the files it lists');
    assert.match(passed.stderr, /^keelhaul merge-reports: not merged: cucumber-report\.html: Cucumber's HTML report cannot be joined/m, 'it says why there is no merged Cucumber HTML report');
    assert.equal(cli(runFolder([verdict('features/a.feature', 5, 'FAIL')]), '--out', out('cli-fail')).status, 1);
    assert.equal(cli(runFolder([verdict('features/a.feature', 5, 'INCONCLUSIVE')]), runFolder([verdict('features/b.feature', 5)]), '--out', out('cli-inconclusive')).status, 3);
    const nothing = cli(runFolder([], { shard: '1/2' }), runFolder([], { shard: '2/2' }), '--out', out('cli-nothing'));
    assert.equal(nothing.status, 4);
    assert.match(nothing.stderr, /no scenario matched the 2 merged runs: nothing ran, nothing was judged; exit 4/);
    const refused = cli(pass[0], '--out', out('cli-refused'));
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^keelhaul merge-reports: shard 2\/2 missing/);
    assert.equal(cli(pass[0]).status, 2, 'without --out');
  });
});
