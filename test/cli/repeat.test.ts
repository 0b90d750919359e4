import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { FlakeReport, FlakeRunInfo } from '../../harness/report/flake-report';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runKeelhaul, type CliRun } from '../verify/run-verify';

/**
 * `--repeat N` end to end: the real CLI, real Cucumber, real nodes, on the @smoke scenario (about 2 s
 * a run), so each test is two short runs.
 */
const RUN_TIMEOUT_MS = 60_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-repeat-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `keelhaul <command> --reports <fresh folder> <args>`, without KEELHAUL_SEED. */
function keelhaul(command: string, args: string[]): Promise<CliRun> {
  // A features run with --repeat must draw a fresh seed per repetition itself, and choose its own folder.
  const env = { ...process.env };
  for (const name of ['KEELHAUL_SEED', 'KEELHAUL_RUN_ID', 'KEELHAUL_REPORT_DIR']) delete env[name];
  return runKeelhaul(command, args, fs.mkdtempSync(path.join(work, 'reports-')), RUN_TIMEOUT_MS, env);
}

/** The parent run folder; fails unless exactly one was written. */
function runDir(run: CliRun): string {
  assert.equal(run.runDirs.length, 1, `expected one parent run folder, found ${run.runDirs.join(', ')}\n${run.stdout}\n${run.stderr}`);
  return run.runDirs[0];
}

function read(run: CliRun, file: string): string {
  return fs.readFileSync(path.join(runDir(run), file), 'utf8');
}

// The runs share nothing (own run ids, folders and free ports), so they run side by side to keep the file near 10 s.
describe('--repeat', { concurrency: true }, () => {
  test('keelhaul features --repeat 2: two repetitions, each its own folder and fresh seed; 2/2 in every report', async () => {
    const run = await keelhaul('features', ['--repeat', '2', '--tags', '@smoke']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    assert.deepEqual(fs.readdirSync(runDir(run)).sort(), ['junit.xml', 'rep-1', 'rep-2', 'repeat.json', 'summary.md']);
    const report = JSON.parse(read(run, 'repeat.json')) as FlakeReport & FlakeRunInfo;
    assert.equal(report.requested, 2);
    assert.equal(report.exit, 0);
    const seeds = report.repetitions.map((r) => r.seed);
    assert.notEqual(seeds[0], seeds[1], 'each repetition draws its own seed');
    // Each repetition is a full run of its own, whose verdicts.json names the seed it ran with.
    for (const [i, rep] of report.repetitions.entries()) {
      const own = JSON.parse(read(run, path.join(rep.dir, 'verdicts.json'))) as VerdictsFile;
      assert.equal(own.seed, seeds[i]);
      assert.match(own.replay, new RegExp(`^KEELHAUL_SEED=${seeds[i]} keelhaul features --time-scale [\\d.]+ --tags @smoke$`));
      assert.ok(own.verdicts.length >= 1);
    }
    assert.ok(report.scenarios.length >= 1);
    for (const flake of report.scenarios) {
      assert.deepEqual([flake.scenario, flake.runs, flake.passes, flake.misses], [flake.scenario, 2, 2, []]);
    }
    const name = report.scenarios[0].scenario;
    assert.match(read(run, 'summary.md'), new RegExp(`^\\| 2/2 \\| ${name} \\|`, 'm'));
    assert.match(read(run, 'junit.xml'), /<property name="pass-rate" value="2\/2"\/>\s*<property name="runs" value="2"\/>\s*<property name="failed-seeds" value=""\/>/);
    assert.match(run.stdout, new RegExp(`^2/2 +${name}$`, 'm'));
    assert.match(run.stdout, /repetition 2\/2, seed \d+/);
  });

  test('keelhaul verify --repeat 2 --seed 42: every repetition replays seed 42; 2/2', async () => {
    const run = await keelhaul('verify', ['--impl', 'examples/reference/keelhaul.yaml', '--tags', '@smoke', '--repeat', '2', '--seed', '42']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(read(run, 'repeat.json')) as FlakeReport & FlakeRunInfo;
    assert.equal(report.implementation, 'keelhaul reference (via manifest)');
    assert.deepEqual(report.repetitions.map((r) => [r.dir, r.seed, r.finished]), [
      ['rep-1', '42', true],
      ['rep-2', '42', true],
    ]);
    assert.deepEqual(report.scenarios.map((f) => `${f.passes}/${f.runs}`), report.scenarios.map(() => '2/2'));
    assert.match(read(run, 'summary.md'), /\*\*Passed every time\*\*/);
  });

  test('--repeat 0 is refused before anything runs', async () => {
    const run = await keelhaul('features', ['--repeat', '0', '--tags', '@smoke']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /--repeat is a whole number from 1 to 100, not "0"/);
    assert.deepEqual(run.runDirs, []);
  });
});
