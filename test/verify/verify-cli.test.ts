import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { ROOT, runVerify, type VerifyRun } from './run-verify';
import { requirement } from '../support/requirements';

const CLI = path.join(ROOT, 'bin/keelhaul.js');

/**
 * `keelhaul verify` end to end: the real CLI, real Cucumber, real nodes. Each run is a few scenarios
 * chosen by tag, so the whole file takes well under a minute.
 */
const RUN_TIMEOUT_MS = 120_000;
const python = requirement('python');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-verify-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

type Run = VerifyRun;

function verify(args: string[]): Promise<Run> {
  return runVerify(args, fs.mkdtempSync(path.join(work, 'reports-')), RUN_TIMEOUT_MS);
}

function verdictsOf(run: Run): VerdictsFile {
  assert.ok(run.runDir, `no run folder was written\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
}

/** Runs verify expecting exit 1 and a single scenario that FAILed under `profile`; resolves with the run and that verdict. */
async function verifyFailsOnce(args: string[], profile: string): Promise<{ run: Run; verdict: VerdictsFile['verdicts'][number] }> {
  const run = await verify(args);
  assert.equal(run.code, 1, `exit code\n${run.stdout}\n${run.stderr}`);
  const { verdicts } = verdictsOf(run);
  assert.equal(verdicts.length, 1);
  const [verdict] = verdicts;
  assert.equal(verdict.verdict, 'FAIL');
  assert.equal(verdict.profile, profile);
  return { run, verdict };
}

function manifest(name: string, text: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, text);
  return file;
}

const REFERENCE_BROKER = `  broker:
    command: [node, ${JSON.stringify(CLI)}, broker, --name, "{{name}}", --endpoint, "{{bind}}", --heartbeat, "{{heartbeatInterval}}",
      --liveness, "{{heartbeatLiveness}}", --journal, "{{stateDir}}/journal", --result-grace, "{{resultGrace}}", --exit-with-stdin]
`;

describe('keelhaul verify', () => {
  test('a broker with its dedup turned off fails exactly-once: FAIL names the jobs that ran twice, exit 1', async () => {
    const { run, verdict } = await verifyFailsOnce(['--impl', 'examples/broken/no-dedup.yaml', '--tags', '@khx1:retries-from-table and @links', '--name', 'A client whose replies are lost'], 'exactly-once');
    // The scenario's clause tags, the one it was selected by among them.
    assert.ok(verdict.clauses.includes('khx1:retries-from-table'), `clauses: ${verdict.clauses.join(', ')}`);
    const duplicates = verdict.anomalies.filter((a) => a.name === 'duplicate-execution');
    assert.ok(duplicates.length > 0, `no duplicate-execution anomaly in ${JSON.stringify(verdict.anomalies)}`);
    for (const anomaly of duplicates) {
      assert.match(anomaly.job ?? '', /^client-1:/, 'the jobs that ran twice are the client whose replies were lost');
      assert.ok(anomaly.events.filter((e) => (e as { type: string }).type === 'exec-start').length >= 2, 'the evidence shows both runs');
    }
    assert.match(run.stdout, /FAIL +A client whose replies are lost.*duplicate-execution/);
    const junit = fs.readFileSync(path.join(run.runDir!, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuites [^>]*tests="1" failures="1" errors="0"/);
    assert.match(junit, new RegExp(`duplicate-execution ${duplicates[0].job}`));
    const summary = fs.readFileSync(path.join(run.runDir!, 'summary.md'), 'utf8');
    assert.match(summary, /\*\*duplicate-execution\*\*/);
    const scenarioDir = path.join(run.runDir!, verdict.dir);
    for (const file of ['history.jsonl', 'verdict.json', 'timeline.svg', 'logs/broker.log']) assert.ok(fs.existsSync(path.join(scenarioDir, file)), `${file} is missing`);
  });

  test('the reference implementation, described by a manifest, passes what it claims: exit 0', async () => {
    const run = await verify(['--impl', 'examples/reference/keelhaul.yaml', '--tags', '@khx1:retries-from-table or @rfc8:mmi-service', '--seed', '42']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const { verdicts, seed } = verdictsOf(run);
    assert.equal(seed, '42');
    assert.ok(verdicts.length >= 4, `only ${verdicts.length} scenarios ran`);
    assert.deepEqual(verdicts.filter((v) => v.verdict !== 'PASS').map((v) => `${v.verdict} ${v.scenario}`), []);
    assert.match(run.stdout, /seed 42/);
  });

  test('the reference pub/sub nodes, started from the manifest, pass pubsub-exactly-once', async () => {
    const run = await verify(['--impl', 'examples/reference/keelhaul.yaml', '--tags', '@khp1:fan-out and not @storm and not @graceful-stop']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const { verdicts } = verdictsOf(run);
    assert.deepEqual(verdicts.map((v) => `${v.verdict} ${v.profile}`), ['PASS pubsub-exactly-once']);
    const logs = path.join(run.runDir!, verdicts[0].dir, 'logs');
    for (const node of ['pubsub-proxy', 'publisher-1', 'subscriber-1']) assert.ok(fs.existsSync(path.join(logs, `${node}.log`)), `no log of ${node}`);
  });

  test('a pub/sub proxy without a journal (examples/broken) fails pubsub-exactly-once with the lost messages named: exit 1', async () => {
    const { run, verdict } = await verifyFailsOnce(['--impl', 'examples/broken/pubsub-no-journal.yaml', '--tags', '@khp1:accept-before-acknowledge and not @power-loss and not @disk-faults and not @graceful-stop'], 'pubsub-exactly-once');
    const lost = verdict.anomalies.filter((a) => a.name === 'lost');
    assert.ok(lost.length > 0, `no lost message named: ${JSON.stringify(verdict.anomalies.map((a) => a.name))}`);
    assert.match(lost[0].job ?? '', /^publisher-\d+:/);
    assert.ok(lost[0].events.some((e) => (e as { type?: string }).type === 'put-ok'), 'the evidence shows the message was accepted');
    assert.match(fs.readFileSync(path.join(run.runDir!, 'summary.md'), 'utf8'), /\*\*lost\*\*/);
  });

  // The example drivers import Debian's pyzmq: skipped without it, failed when KEELHAUL_REQUIRE names python.
  test('a worker and client in Python (examples/python) pass at-least-once; exactly-once is INFO', { skip: python.skipReason }, async () => {
    python.assertAvailable();
    const run = await verify(['--impl', 'examples/python/keelhaul.yaml', '--tags', '@smoke or (@khx1:retries-from-table and not @message-triggered)']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const { verdicts } = verdictsOf(run);
    const byProfile = Object.fromEntries(verdicts.map((v) => [v.profile, v.verdict]));
    assert.deepEqual(byProfile, { 'at-least-once': 'PASS', 'exactly-once': 'INFO' });
  });

  test('a scenario of a profile the implementation does not claim is INFO and does not fail the run', async () => {
    const file = manifest('mdp-only.yaml', `name: mdp only\nprofiles: [mdp]\nroles:\n${REFERENCE_BROKER}`);
    const run = await verify(['--impl', file, '--tags', '@smoke']);
    assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
    const { verdicts } = verdictsOf(run);
    assert.deepEqual(
      verdicts.map((v) => [v.verdict, v.profile]),
      [['INFO', 'at-least-once']],
    );
    assert.match(verdicts[0].reason, /does not claim at-least-once/);
  });

  test('a broker that cannot start is ERROR, not FAIL, and fails the run', async () => {
    const file = manifest('dead.yaml', 'name: dead broker\nprofiles: [at-least-once]\nroles:\n  broker:\n    command: [node, -e, "process.exit(3)"]\n');
    const run = await verify(['--impl', file, '--tags', '@smoke']);
    assert.equal(run.code, 1, `exit code\n${run.stdout}\n${run.stderr}`);
    const { verdicts } = verdictsOf(run);
    assert.equal(verdicts[0].verdict, 'ERROR');
    assert.match(verdicts[0].error ?? '', /broker exited \(code 3\) before it was ready/);
  });

  test('a manifest with mistakes is refused before anything runs, each mistake naming its field: exit 2', async () => {
    const file = manifest('bad.yaml', 'name: bad\nprofiles: [exactly_once]\nroles:\n  worker:\n    comand: [x]\n');
    const run = await verify(['--impl', file]);
    assert.equal(run.code, 2);
    assert.equal(run.runDir, undefined, 'nothing ran');
    assert.match(run.stderr, /profiles\[0\]: "exactly_once" is not one of mdp, at-least-once, exactly-once/);
    assert.match(run.stderr, /roles\.worker\.comand: unknown field/);
    assert.match(run.stderr, /roles\.worker: needs a command, an image or a build/);
  });

  test('bad options are refused with a clear message: exit 2', async () => {
    const seed = await verify(['--impl', 'examples/reference/keelhaul.yaml', '--seed', 'banana']);
    assert.equal(seed.code, 2);
    assert.match(seed.stderr, /--seed: a seed is a non-negative integer/);
    const missing = await verify([]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--impl <manifest> is required/);
  });

  test('a tag that matches no scenario: nothing ran, said plainly, exit 4 (not a pass)', async () => {
    const none = await verify(['--impl', 'examples/reference/keelhaul.yaml', '--tags', '@no-such-tag']);
    assert.equal(none.code, 4, `${none.stdout}\n${none.stderr}`);
    assert.match(none.stderr, /no scenario matched \(@no-such-tag\) and \(not @failover\): nothing ran, nothing was judged; exit 4/);
  });

  test('--check validates a manifest without running anything', async () => {
    const run = await verify(['--impl', 'examples/reference/keelhaul.yaml', '--check']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /a valid manifest for "keelhaul reference \(via manifest\)"/);
  });
});
