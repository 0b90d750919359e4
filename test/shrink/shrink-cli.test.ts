import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import type { StormCandidate } from '../../harness/shrink/storm-scenario';
import { ROOT, runKeelhaul } from '../verify/run-verify';

/**
 * `keelhaul shrink` end to end: the real CLI, real Cucumber, real nodes. The failing storm is a run of
 * the request-reply crash storm against examples/broken/no-dedup.yaml with seed 42 (20 faults, FAIL:
 * duplicate-execution), kept as a run folder (test/fixtures/shrink/no-dedup-storm: its verdicts.json
 * and the fault-schedule.json the storm wrote), so the test starts at the shrink, as `--from` does.
 */
const FIXTURE = path.join(ROOT, 'test/fixtures/shrink/no-dedup-storm');
const NO_DEDUP = path.join(ROOT, 'examples/broken/no-dedup.yaml');
const STORM = '8 clients, 2000 jobs';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-shrink-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function shrink(args: string[], timeoutMs = 30_000) {
  return runKeelhaul('shrink', args, fs.mkdtempSync(path.join(work, 'reports-')), timeoutMs);
}

describe('keelhaul shrink: bad options are named, exit 2, nothing runs', () => {
  const cases: { args: string[]; error: RegExp }[] = [
    { args: ['--impl', NO_DEDUP, '--name', STORM], error: /give the failing storm: --seed <n> .* or --from <run folder>/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--seed', '1', '--from', FIXTURE], error: /--seed and --from both given/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--seed', 'x1'], error: /--seed: a seed is a non-negative integer/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--from', FIXTURE, '--runs', '2', '--needs', '3'], error: /--needs 3 is more than --runs 2/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--from', FIXTURE, '--runs', '0'], error: /--runs.*invalid.*positive integer/ },
    { args: ['--impl', NO_DEDUP, '--name', '(', '--from', FIXTURE], error: /--name.*not a regular expression/ },
    { args: ['--impl', NO_DEDUP, '--name', 'no scenario is called this', '--from', FIXTURE], error: /matches no scenario in features\// },
    { args: ['--impl', NO_DEDUP, '--name', 'storm of kills', '--from', FIXTURE], error: /has no crash-storm step shrink can rewrite/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--from', path.join(work, 'nowhere')], error: /--from .*nowhere: no such folder/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--from', path.join(ROOT, 'features')], error: /not a run folder \(no verdicts.json/ },
    { args: ['--impl', path.join(work, 'missing.yaml'), '--name', STORM, '--from', FIXTURE], error: /the manifest cannot be used/ },
    { args: ['--impl', NO_DEDUP, '--name', STORM, '--from', FIXTURE, '--runtime', 'vm'], error: /--runtime: unknown runtime "vm"/ },
    { args: ['--name', STORM, '--from', FIXTURE], error: /required option '--impl <manifest>'/ },
  ];
  for (const { args, error } of cases) {
    test(args.filter((arg) => arg.startsWith('--')).join(' ') + ` → ${error.source.slice(0, 40)}`, async () => {
      const run = await shrink(args);
      assert.equal(run.code, 2, `exit code\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, error);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a run folder whose storm has no recorded schedule is refused, pointing at --seed', async () => {
    const copy = path.join(work, 'no-schedule');
    fs.cpSync(FIXTURE, copy, { recursive: true });
    for (const dir of fs.readdirSync(copy, { withFileTypes: true })) if (dir.isDirectory()) fs.rmSync(path.join(copy, dir.name, 'fault-schedule.json'));
    const run = await shrink(['--impl', NO_DEDUP, '--name', STORM, '--from', copy]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /fault-schedule.json is missing: .* shrink with --seed instead/);
    assert.deepEqual(run.runDirs, [], 'no empty shrink folder is left');
  });

  test('a storm that passed is nothing to shrink: exit 1, said so', async () => {
    const copy = path.join(work, 'passed');
    fs.cpSync(FIXTURE, copy, { recursive: true });
    const verdicts = JSON.parse(fs.readFileSync(path.join(copy, 'verdicts.json'), 'utf8')) as VerdictsFile;
    verdicts.verdicts[0] = { ...verdicts.verdicts[0], verdict: 'PASS', reason: 'meets exactly-once', anomalies: [] };
    fs.writeFileSync(path.join(copy, 'verdicts.json'), JSON.stringify(verdicts));
    const run = await shrink(['--impl', NO_DEDUP, '--name', STORM, '--from', copy]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /was PASS in .*only a FAIL can be shrunk/);
    assert.deepEqual(run.runDirs, [], 'no empty shrink folder is left');
  });
});

/** `cucumber-js --profile files <feature>` against a manifest, as docs/shrink.md says to run a shrunk scenario on its own. */
function runFeatureAlone(feature: string, reportDir: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KEELHAUL_IMPL: NO_DEDUP, KEELHAUL_REPORT_DIR: reportDir, KEELHAUL_RETRIES: '0', KEELHAUL_SEED: '42', KEELHAUL_TIME_SCALE: '2' };
    delete env.KEELHAUL_RUN_CONFIG;
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/@cucumber/cucumber/bin/cucumber.js'), '--profile', 'files', feature], { cwd: ROOT, env, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the shrunk feature ran past ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => (clearTimeout(timer), resolve(code)));
  });
}

/**
 * Opt-in (KEELHAUL_SLOW_TESTS=1): a shrink is many real storms, 3 to 8 minutes on a 2-core machine,
 * more than the unit suite should spend, and on a machine loaded by other work some runs come out
 * INCONCLUSIVE (the harness will not judge when its own event loop stalls) and cost trials.
 *
 *   npm run build && KEELHAUL_SLOW_TESTS=1 node --test dist/test/shrink/shrink-cli.test.js
 */
const SLOW = process.env.KEELHAUL_SLOW_TESTS === '1' ? false : 'a shrink of a real storm takes minutes: KEELHAUL_SLOW_TESTS=1 runs it';

describe('keelhaul shrink on a failing storm (real storms, minutes)', () => {
  test('the seeded no-dedup storm shrinks from 20 faults to at most 3, and the printed scenario FAILs on its own', { skip: SLOW, timeout: 720_000 }, async (t) => {
    // 2 of 2: on a loaded machine the broken broker also fails now and then with no fault at all (a
    // client times out, its retry runs the job again), so one FAIL is not evidence (the default, 2 of
    // 3, is for real use; 2 of 2 is cheaper: a PASS ends a candidate at once). Time scale 2 keeps
    // such timeouts, and stalls of the harness's own event loop, rarer.
    const run = await shrink(['--impl', NO_DEDUP, '--name', STORM, '--from', FIXTURE, '--runs', '2', '--needs', '2', '--max-trials', '10', '--max-minutes', '8', '--time-scale', '2'], 560_000);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const [shrinkDir] = fs.readdirSync(path.dirname(run.runDirs[0] ?? '')).filter((name) => name.endsWith('-shrink')).map((name) => path.join(path.dirname(run.runDirs[0]), name));
    assert.ok(shrinkDir, `no shrink folder\n${run.stdout}`);
    const summary = JSON.parse(fs.readFileSync(path.join(shrinkDir, 'shrink.json'), 'utf8')) as { start: StormCandidate; smallest: StormCandidate; trials: number; log: { reproduced: boolean; outcomes: string[] }[] };
    assert.equal(summary.start.faults.length, 20);
    t.diagnostic(`shrunk from ${summary.start.faults.length} to ${summary.smallest.faults.length} faults, load ${summary.start.load} -> ${summary.smallest.load}, in ${summary.trials} trials`);
    assert.ok(summary.smallest.faults.length <= 3, `shrunk to ${summary.smallest.faults.length} faults\n${run.stdout}`);
    assert.ok(summary.trials <= 10);
    assert.ok(summary.log.some((trial) => trial.reproduced) || summary.smallest.faults.length === 20, 'the smallest schedule is one a trial saw FAIL');

    // What was printed is the file written: a Gherkin scenario with the fault table.
    const feature = fs.readFileSync(path.join(shrinkDir, 'shrunk.feature'), 'utf8');
    const scenario = feature.slice(feature.indexOf('  @'));
    assert.ok(run.stdout.includes(scenario), 'the printed scenario is the one in shrunk.feature');
    assert.match(scenario, /When the clients submit at least \d+ jobs to "echo", 4 at a time each, through these faults:\n {6}\| at ms \| fault/);
    assert.equal((scenario.match(/^ {6}\| \d+/gm) ?? []).length, summary.smallest.faults.length, 'one table row per fault');

    // On its own, with nothing of the shrink around it: FAIL, for the reason the storm failed.
    const alone = path.join(work, 'alone');
    const code = await runFeatureAlone(path.join(shrinkDir, 'shrunk.feature'), alone, 120_000);
    const { verdicts } = JSON.parse(fs.readFileSync(path.join(alone, 'verdicts.json'), 'utf8')) as VerdictsFile;
    assert.equal(verdicts.length, 1, 'only the shrunk scenario ran');
    assert.equal(verdicts[0].verdict, 'FAIL', `${verdicts[0].verdict}: ${verdicts[0].reason}\n${run.stdout}`);
    assert.ok(verdicts[0].anomalies.some((anomaly) => anomaly.name === 'duplicate-execution'), JSON.stringify(verdicts[0].anomalies.map((a) => a.name)));
    assert.equal(code, 1);
  });
});
