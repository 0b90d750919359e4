import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readRunConfig, runConfig, runConfigFromEnv, RunConfigError, writeRunConfig, type RunConfig } from '../../harness/run/run-config';

/** The run config: what `keelhaul features`/`verify` write and the Cucumber process reads (harness/run/run-config.ts). */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-run-config-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const GOOD: RunConfig = {
  runId: 'run-1',
  reportDir: path.join(work, 'run-1'),
  impl: '/somewhere/keelhaul.yaml',
  seed: '42',
  replay: 'keelhaul verify --impl keelhaul.yaml --seed 42',
  runtime: 'process',
  timeScale: 1.5,
  retries: 2,
  shard: '2/3',
  parallel: 2,
};

let files = 0;
/** A file holding `content` (an object is written as JSON), in a fresh folder. */
function fileWith(content: unknown): string {
  const file = path.join(work, `config-${++files}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The RunConfigError readRunConfig throws for `file`, checked to name the file and the variable. */
function problemOf(file: string): string {
  try {
    readRunConfig(file);
  } catch (error) {
    assert.ok(error instanceof RunConfigError, `expected a RunConfigError, got ${String(error)}`);
    const prefix = `run config ${file} (KEELHAUL_RUN_CONFIG):`;
    assert.ok(error.message.startsWith(prefix), error.message);
    // One problem follows on the same line; several follow one per line.
    const rest = error.message.slice(prefix.length);
    return rest.startsWith(' ') ? rest.slice(1) : rest;
  }
  assert.fail(`${file} was accepted`);
}

describe('run config file', () => {
  test('what writeRunConfig writes, readRunConfig and runConfig read back unchanged', () => {
    const file = writeRunConfig(GOOD);
    assert.equal(file, path.join(GOOD.reportDir, 'run-config.json'));
    assert.deepEqual(readRunConfig(file), GOOD);
    assert.deepEqual(runConfig({ KEELHAUL_RUN_CONFIG: file, KEELHAUL_SEED: '7', HARNESS_RUNTIME: 'docker' }), GOOD, 'inside a run the file wins over the individual variables');
  });

  test('optional settings may be left out', () => {
    const { impl: _impl, replay: _replay, shard: _shard, parallel: _parallel, ...rest } = GOOD;
    assert.deepEqual(readRunConfig(fileWith({ version: 1, ...rest })), rest);
  });

  test('a missing file, or one that is not JSON, says so', () => {
    assert.match(problemOf(path.join(work, 'nope.json')), /^cannot be read: ENOENT/);
    assert.match(problemOf(fileWith('{"version": 1,')), /^not JSON: /);
    assert.equal(problemOf(fileWith('[1]')), 'expected a JSON object');
  });

  test('every bad setting is named, one line each', () => {
    const file = fileWith({ ...GOOD, version: 2, reportDir: 'relative/dir', seed: '-1', runtime: 'dockr', timeScale: 'auto', retries: 11, shard: '3/2', parallel: 0, runID: 'typo' });
    assert.equal(
      problemOf(file),
      [
        '',
        '  - "version": expected 1, got 2',
        '  - "runID": unknown setting (known: version, runId, reportDir, impl, seed, replay, runtime, timeScale, retries, shard, parallel)',
        '  - "reportDir": expected an absolute path, got "relative/dir"',
        '  - "seed": a seed is a non-negative integer up to 9007199254740991, not "-1"',
        '  - "runtime": unknown runtime "dockr" (HARNESS_RUNTIME or --runtime): expected one of process, docker',
        '  - "timeScale": expected a positive number (the scale the front end settled), got "auto"',
        '  - "retries": expected a whole number from 0 to 10, got 11',
        '  - "shard": a shard\'s i counts from 1 to n (here 1 to 2), not 3 in "3/2"',
        '  - "parallel": expected a whole number from 1 to 64, got 0',
      ].join('\n'),
    );
  });

  test('required settings must be there', () => {
    assert.equal(
      problemOf(fileWith({ version: 1 })),
      [
        '',
        '  - "runId": expected a non-empty string, got nothing',
        '  - "reportDir": expected a non-empty string, got nothing',
        '  - "seed": expected a non-empty string, got nothing',
        '  - "runtime": expected a non-empty string, got nothing',
        '  - "timeScale": expected a positive number (the scale the front end settled), got nothing',
        '  - "retries": expected a whole number from 0 to 10, got nothing',
      ].join('\n'),
    );
  });
});

describe('run config from the individual variables (a plain cucumber-js run)', () => {
  test('each variable sets its setting', () => {
    const env: NodeJS.ProcessEnv = { KEELHAUL_RUN_ID: 'r', KEELHAUL_REPORT_DIR: 'out/r', KEELHAUL_IMPL: 'impl.yaml', KEELHAUL_SEED: ' 0042 ', KEELHAUL_REPLAY: 'again', HARNESS_RUNTIME: 'docker', KEELHAUL_RETRIES: '0', KEELHAUL_SHARD: ' 01/2 ', KEELHAUL_PARALLEL: '3' };
    assert.deepEqual(runConfigFromEnv(env), { runId: 'r', reportDir: path.resolve('out/r'), impl: 'impl.yaml', seed: '42', replay: 'again', runtime: 'docker', retries: 0, shard: '1/2', parallel: 3 });
    assert.deepEqual(runConfig(env), runConfigFromEnv(env));
  });

  test('defaults: a run id drawn once and written back, reports/<run id>, the reference, process, 2 retries, no seed', () => {
    const env: NodeJS.ProcessEnv = {};
    const config = runConfigFromEnv(env);
    assert.match(config.runId, /^\d{4}-\d\d-\d\dT[\d-]+Z-\d+$/);
    assert.equal(env.KEELHAUL_RUN_ID, config.runId, 'the whole run shares the id');
    assert.deepEqual(runConfigFromEnv(env), config);
    assert.deepEqual(config, { runId: config.runId, reportDir: path.resolve('reports', config.runId), runtime: 'process', retries: 2 });
  });

  test('a bad variable is an error naming what it expects', () => {
    assert.throws(() => runConfigFromEnv({ HARNESS_RUNTIME: 'dockr' }), /unknown runtime "dockr" \(HARNESS_RUNTIME or --runtime\)/);
    assert.throws(() => runConfigFromEnv({ KEELHAUL_SEED: 'x' }), /a seed is a non-negative integer/);
    assert.throws(() => runConfigFromEnv({ KEELHAUL_RETRIES: '11' }), /--retries is a whole number from 0 to 10, not "11"/);
    assert.throws(() => runConfigFromEnv({ KEELHAUL_SHARD: 'abc' }), /^Error: KEELHAUL_SHARD: a shard is written i\/n/);
    assert.throws(() => runConfigFromEnv({ KEELHAUL_PARALLEL: 'two' }), /--parallel is a whole number from 1 to 64/);
  });
});
