import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requiredByEnv, requirement } from './requirements';

/** A Python that cannot exist: the helper must find python3-zmq missing, as on a fresh machine. */
const NO_PYTHON = '/nonexistent/keelhaul-test/python3';

describe('requiredByEnv (KEELHAUL_REQUIRE)', () => {
  test('a comma list, spaces and empty items ignored', () => {
    assert.deepEqual([...requiredByEnv({ KEELHAUL_REQUIRE: ' python, ,docker ' })], ['python', 'docker']);
    assert.deepEqual([...requiredByEnv({})], []);
  });

  test('an unknown name is an error, so a typo cannot turn a required failure back into a skip', () => {
    assert.throws(() => requiredByEnv({ KEELHAUL_REQUIRE: 'python,dockr' }), /KEELHAUL_REQUIRE: unknown requirement dockr \(known: python, docker, docker-tcp, faketime, powerloss\)/);
  });
});

describe('requirement', () => {
  test('faketime: missing libfaketime says which package enables it', () => {
    const faketime = requirement('faketime', { KEELHAUL_LIBFAKETIME: '/nonexistent/keelhaul-test/libfaketime.so.1' });
    assert.equal(faketime.available, false);
    assert.equal(faketime.skipReason, 'no libfaketime (Debian package faketime): apt-get install -y --no-install-recommends faketime to enable (or set KEELHAUL_REQUIRE=faketime to make this a failure)');
  });

  test('powerloss: no C compiler says which packages enable it', () => {
    // A cache of its own: a library built earlier would be found without any compiler.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-no-cc-'));
    const powerloss = requirement('powerloss', { CC: '/nonexistent/keelhaul-test/cc', KEELHAUL_CACHE: cache });
    fs.rmSync(cache, { recursive: true, force: true });
    assert.equal(powerloss.available, false);
    assert.match(powerloss.skipReason ?? '', /"\/nonexistent\/keelhaul-test\/cc" is not installed .*apt-get install -y --no-install-recommends gcc libc6-dev to enable \(or set KEELHAUL_REQUIRE=powerloss to make this a failure\)/);
  });

  test('missing and not required: a skip reason that says what is missing and how to enable it', () => {
    const python = requirement('python', { KEELHAUL_PYTHON: NO_PYTHON });
    assert.equal(python.available, false);
    assert.equal(python.required, false);
    assert.match(python.skipReason ?? '', /^no python3-zmq \(\/nonexistent\/keelhaul-test\/python3 cannot import zmq: .*ENOENT\): apt-get install -y --no-install-recommends python3-zmq to enable \(or set KEELHAUL_REQUIRE=python to make this a failure\)$/);
    assert.throws(() => python.assertAvailable(), /no python3-zmq/);
  });

  test('missing and required: no skip, and assertAvailable fails naming KEELHAUL_REQUIRE', () => {
    const python = requirement('python', { KEELHAUL_PYTHON: NO_PYTHON, KEELHAUL_REQUIRE: 'python' });
    assert.equal(python.required, true);
    assert.equal(python.skipReason, undefined);
    assert.throws(() => python.assertAvailable(), /^AssertionError.*KEELHAUL_REQUIRE names python, but no python3-zmq/);
  });

  test('an interpreter that runs but has no zmq module is missing too', () => {
    // node stands in for a Python without pyzmq: `-c 'import zmq'` is a syntax error to it, exit 9.
    const python = requirement('python', { KEELHAUL_PYTHON: process.execPath });
    assert.equal(python.available, false);
    assert.match(python.problem ?? '', /cannot import zmq/);
  });
});

/**
 * The whole path, as `npm test` sees it: a real test file that needs python3-zmq, run by node:test
 * in a child with the interpreter pointed at nothing. Skipped, with the reason, and the run passes;
 * with KEELHAUL_REQUIRE=python the same run fails.
 */
describe('a Python test file on a machine without python3-zmq', () => {
  const file = path.resolve(__dirname, '../interop/python-mdp.test.js');
  const run = (extra: NodeJS.ProcessEnv) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KEELHAUL_PYTHON: NO_PYTHON, ...extra };
    // Set by the outer node:test for its children; the inner run must report on its own.
    delete env.NODE_TEST_CONTEXT;
    delete env.KEELHAUL_REQUIRE;
    Object.assign(env, extra);
    return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env, timeout: 60_000 });
  };

  test('is reported as skipped, saying how to enable it, and passes', () => {
    const result = run({});
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /# SKIP no python3-zmq \(.*\): apt-get install -y --no-install-recommends python3-zmq to enable/);
    assert.match(result.stdout, /^# fail 0$/m);
    assert.match(result.stdout, /^# skipped 3$/m);
  });

  test('fails when KEELHAUL_REQUIRE names python', () => {
    const result = run({ KEELHAUL_REQUIRE: 'python' });
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /KEELHAUL_REQUIRE names python, but no python3-zmq/);
    assert.doesNotMatch(result.stdout, /# SKIP/);
  });
});
