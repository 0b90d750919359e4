import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import YAML from 'yaml';
import { REQUIRE_ENV } from '../support/requirements';
import { ROOT, typecheck, writeReadmeSnippets } from './snippets';

/**
 * keelhaul as a third party gets it: `npm pack`, the tarball installed into an empty folder, and the
 * suite run from there with nothing else copied. Then the CI example (examples/ci/github-actions.yml)
 * is run as written in a second empty folder.
 *
 * The install uses npm's cache (--prefer-offline), which `npm ci` filled; without a registry, the
 * cache alone (--offline). When that cannot install the dependencies either, the tests skip, saying
 * so; with KEELHAUL_REQUIRE set (CI, .ci/run) they fail instead, since there the registry is part of
 * the machine.
 */
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 120_000;
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-package-'));
/** Process groups still running, killed when the file ends (a timed-out command is killed at once). */
const running = new Set<number>();
after(() => {
  for (const pid of running) killGroup(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The environment a user's shell would give: without the npm_* variables `npm test` sets for its own
 * script (its package, lifecycle and prefix would leak into the inner npm and npx), but with the
 * settings that say where packages come from.
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cafile']);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if ((name.toLowerCase().startsWith('npm_') && !kept.has(name.toLowerCase())) || name === 'INIT_CWD') continue;
    env[name] = value;
  }
  for (const name of ['KEELHAUL_RUN_ID', 'KEELHAUL_REPORT_DIR', 'KEELHAUL_IMPL', 'KEELHAUL_RUN_CONFIG']) delete env[name];
  return { ...env, ...extra };
}

interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group; the whole group is killed (and the promise rejected) after `timeoutMs`. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = userEnv()): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (pid !== undefined) killGroup(pid);
      reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) ran past ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      resolve({ code, stdout, stderr });
    });
  });
}

function shown(result: CommandRun): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** An empty project folder: a package.json of its own, so npm installs here and not into a parent that has node_modules. */
function emptyProject(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `keelhaul-${name}`, private: true }, null, 2)}\n`);
  return dir;
}

interface Packed {
  tarball: string;
  files: string[];
}

type Installed = { ok: true; app: string; pkg: string } | { ok: false; skip?: string; failure: string };

let packed: Packed | undefined;
let packProblem: string | undefined;
let installed: Installed | undefined;

before(async () => {
  // --ignore-scripts: dist/ is current (npm test builds first, and this file is compiled into it), so
  // prepare's second build, which would rewrite dist/ under the other test files, is skipped.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT, PACK_TIMEOUT_MS);
  if (pack.code !== 0) {
    packProblem = `npm pack failed\n${shown(pack)}`;
    return;
  }
  const [report] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  packed = { tarball: path.join(work, report.filename), files: report.files.map((file) => file.path) };

  const app = emptyProject('app');
  // Asked once, without retries, so a machine without the registry learns it in a second, not minutes.
  const ping = await run('npm', ['ping', '--fetch-retries', '0', '--fetch-timeout', '10000'], app, 30_000).catch((error: Error) => ({ code: null, stdout: '', stderr: error.message }));
  const reachable = ping.code === 0;
  // Without the registry only the cache can serve: --offline fails at once for anything it lacks.
  const args = ['install', packed.tarball, reachable ? '--prefer-offline' : '--offline', '--no-audit', '--no-fund'];
  const install = await run('npm', args, app, INSTALL_TIMEOUT_MS).catch((error: Error) => ({ code: null, stdout: '', stderr: error.message }));
  if (install.code === 0) {
    installed = { ok: true, app, pkg: path.join(app, 'node_modules', 'keelhaul') };
    return;
  }
  const failure = `npm ${args.join(' ')} failed\n${shown(install)}`;
  const why = ping.stderr.trim().split('\n').find((line) => /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|request to/.test(line)) ?? `exit ${ping.code}`;
  installed = reachable ? { ok: false, failure } : { ok: false, failure, skip: `the npm registry does not answer (npm ping: ${why}) and npm's cache cannot install keelhaul's dependencies offline (or set ${REQUIRE_ENV} to make this a failure)` };
});

/** The installed package, or undefined after skipping the test when the registry is unreachable outside CI. */
function installedPackage(t: TestContext): { app: string; pkg: string } | undefined {
  assert.ok(packed, packProblem);
  assert.ok(installed, 'the install did not run');
  if (installed.ok) return installed;
  if (installed.skip && !process.env[REQUIRE_ENV]) {
    t.skip(installed.skip);
    return undefined;
  }
  assert.fail(installed.failure);
}

describe('the packed package', () => {
  test('ships what users need and nothing of the development tree', () => {
    assert.ok(packed, packProblem);
    const files = new Set(packed.files);
    for (const needed of ['package.json', 'LICENSE', 'README.md', 'cucumber.js', 'bin/keelhaul.js', 'dist/harness/index.js', 'dist/harness/index.d.ts', 'dist/harness/cli/main.js', 'dist/steps/hooks.js', 'dist/harness/report/verdict-formatter.js', 'features/request-reply/happy-path.feature', 'examples/reference/keelhaul.yaml', 'examples/broken/no-dedup.yaml', 'examples/python/keelhaul.yaml', 'examples/ci/github-actions.yml', 'docs/manifest.md', 'harness/nemesis/power-loss/unsynced.c']) {
      assert.ok(files.has(needed), `the tarball lacks ${needed}`);
    }
    const unwanted = packed.files.filter((file) => file.startsWith('dist/test/') || file.startsWith('dist/bench/') || file.endsWith('.map') || file.includes('__pycache__') || file.startsWith('node_modules/'));
    assert.deepEqual(unwanted, []);
    assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) the keelhaul authors\n/);
  });

  test('keelhaul --version prints the package version; require("keelhaul") gives the documented API', async (t) => {
    const pkg = installedPackage(t);
    if (!pkg) return;
    const version = await run('npx', ['keelhaul', '--version'], pkg.app, RUN_TIMEOUT_MS);
    assert.equal(version.code, 0, shown(version));
    assert.equal(version.stdout.trim(), VERSION);
    const script = "const k = require('keelhaul'); console.log(JSON.stringify(['Scenario', 'FaultProxyServer', 'checkHistory', 'parseHistory', 'loadManifest', 'ManifestImplementation'].map((name) => [name, typeof k[name]])));";
    const api = await run(process.execPath, ['-e', script], pkg.app, RUN_TIMEOUT_MS);
    assert.equal(api.code, 0, shown(api));
    assert.deepEqual(Object.fromEntries(JSON.parse(api.stdout) as [string, string][]), { Scenario: 'function', FaultProxyServer: 'function', checkHistory: 'function', parseHistory: 'function', loadManifest: 'function', ManifestImplementation: 'function' });
  });

  test("README.md's library snippets compile against the installed package's types", (t) => {
    const pkg = installedPackage(t);
    if (!pkg) return;
    // In the project folder, so `keelhaul` resolves as it does for a user: node_modules/keelhaul's "types".
    assert.deepEqual(typecheck(writeReadmeSnippets(pkg.app)), []);
  });

  test('npx keelhaul verify on the shipped reference manifest: PASS, exit 0, reports under the cwd with reports/latest', async (t) => {
    const pkg = installedPackage(t);
    if (!pkg) return;
    const verify = await run('npx', ['keelhaul', 'verify', '--impl', path.join(pkg.pkg, 'examples/reference/keelhaul.yaml'), '--tags', '@smoke'], pkg.app, RUN_TIMEOUT_MS);
    assert.equal(verify.code, 0, shown(verify));
    assert.match(verify.stdout, /\[1\/1\] PASS +Every job is answered once when nothing fails/);
    assert.doesNotMatch(verify.stdout + verify.stderr, /Undefined|undefined step/i);
    assert.match(fs.readFileSync(path.join(pkg.app, 'reports', 'latest', 'summary.md'), 'utf8'), /\*\*Passed\*\*: 1 pass/);
  });

  test('npx keelhaul verify on examples/broken/no-dedup.yaml: FAIL, exit 1, naming the jobs that ran twice', async (t) => {
    const pkg = installedPackage(t);
    if (!pkg) return;
    const verify = await run('npx', ['keelhaul', 'verify', '--impl', path.join(pkg.pkg, 'examples/broken/no-dedup.yaml'), '--tags', '@khx1:retries-from-table and @links', '--name', 'A client whose replies are lost'], pkg.app, RUN_TIMEOUT_MS);
    assert.equal(verify.code, 1, shown(verify));
    assert.match(verify.stdout, /\[1\/1\] FAIL +A client whose replies are lost .*: violates exactly-once — duplicate-execution of client-1:\S+/);
    assert.match(fs.readFileSync(path.join(pkg.app, 'reports', 'latest', 'summary.md'), 'utf8'), /jobs? ran more than once: client-1:/);
  });

  test('npx keelhaul features runs the features against the reference: exit 0', async (t) => {
    const pkg = installedPackage(t);
    if (!pkg) return;
    const features = await run('npx', ['keelhaul', 'features', '--tags', '@smoke'], pkg.app, RUN_TIMEOUT_MS);
    assert.equal(features.code, 0, shown(features));
    assert.match(features.stdout, /keelhaul features: 1 pass, 0 fail, 0 info, 0 error, 0 inconclusive; exit 0/);
  });

  test('examples/ci/github-actions.yml, run as written in an empty project folder', async (t) => {
    if (!installedPackage(t)) return;
    assert.ok(packed);
    const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, 'examples/ci/github-actions.yml'), 'utf8')) as {
      jobs: Record<string, { steps: { name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string> }[] }>;
    };
    const [job] = Object.values(workflow.jobs);
    const repo = emptyProject('ci-user');

    // What the workflow expects to find in the user's repository: the tarball where the install step's
    // KEELHAUL_PACKAGE names it (the example must name the version being packed), and a keelhaul.yaml.
    const install = job.steps.find((step) => step.env?.KEELHAUL_PACKAGE !== undefined);
    assert.ok(install?.env, 'the example has an install step with KEELHAUL_PACKAGE');
    assert.equal(path.basename(install.env.KEELHAUL_PACKAGE), `keelhaul-${VERSION}.tgz`, 'the example names the tarball npm pack makes');
    fs.mkdirSync(path.dirname(path.join(repo, install.env.KEELHAUL_PACKAGE)), { recursive: true });
    fs.copyFileSync(packed.tarball, path.join(repo, install.env.KEELHAUL_PACKAGE));
    // The user's manifest: the shipped reference one, its relative path to the CLI made the installed package's.
    const reference = fs.readFileSync(path.join(ROOT, 'examples/reference/keelhaul.yaml'), 'utf8');
    assert.match(reference, /\.\.\/\.\.\/bin\/keelhaul\.js/);
    fs.writeFileSync(path.join(repo, 'keelhaul.yaml'), reference.replaceAll('../../bin/keelhaul.js', 'node_modules/keelhaul/bin/keelhaul.js'));

    const summaryFile = path.join(repo, 'step-summary.md');
    fs.writeFileSync(summaryFile, '');
    // GitHub's `uses:` actions do not run here: checkout (the folder is the repository), setup-node
    // (this Node is used) and upload-artifact (its path is checked below instead).
    // The one substitution: the full suite would take minutes, so a verify run (not --check) gets `--tags @smoke`.
    let substituted = 0;
    for (const step of job.steps) {
      if (step.run === undefined) continue;
      if (step.if !== undefined && step.if !== 'always()') assert.fail(`step "${step.name}": the test runs only steps without "if" or with "if: always()", not "if: ${step.if}"`);
      const script = step.run.replace(/npx keelhaul verify [^\n]*/g, (line) => {
        if (line.includes('--check')) return line;
        substituted++;
        return `${line} --tags @smoke`;
      });
      // GitHub runs a `run:` step as `bash -e {0}` on Linux, with the step's env and GITHUB_STEP_SUMMARY.
      const result = await run('bash', ['-e', '-c', script], repo, INSTALL_TIMEOUT_MS, userEnv({ ...step.env, GITHUB_STEP_SUMMARY: summaryFile, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }));
      // Every step must pass, so a failing one ends the test here (the `always()` steps would run after it on GitHub).
      assert.equal(result.code, 0, `step "${step.name}": ${script}\n${shown(result)}`);
    }
    assert.equal(substituted, 1, 'the example has one conformance run to shorten');
    const summary = fs.readFileSync(summaryFile, 'utf8');
    assert.equal(summary.match(/^# keelhaul verify: /gm)?.length, 1, `the job summary holds the run's summary once:\n${summary}`);
    assert.match(summary, /\*\*Passed\*\*: 1 pass/);
    assert.ok(fs.existsSync(path.join(repo, 'keelhaul-reports', 'latest', 'junit.xml')), 'the folder upload-artifact keeps holds the reports');
  });
});
