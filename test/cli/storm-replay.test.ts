import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { stormReplayCommand } from '../../harness/cli/storm-replay';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin/keelhaul.js');

describe("a storm's printed replay line", () => {
  test('under a manifest, replays against that manifest with keelhaul verify, not against the reference', () => {
    const line = stormReplayCommand('42', '@pubsub and @storm', { impl: '/work/impl/keelhaul.yaml', runtime: 'process' }, 2);
    assert.equal(line, "keelhaul verify --impl /work/impl/keelhaul.yaml --seed 42 --time-scale 2 --tags '@pubsub and @storm'");
  });

  test('keeps the docker runtime, and quotes a manifest path with spaces', () => {
    const line = stormReplayCommand('7', '@storm and not @pubsub', { impl: '/home/me/my impl/keelhaul.yaml', runtime: 'docker' }, 1.5);
    assert.equal(line, "keelhaul verify --impl '/home/me/my impl/keelhaul.yaml' --runtime docker --seed 7 --time-scale 1.5 --tags '@storm and not @pubsub'");
  });

  test('without a manifest, replays the reference features with the seed and the time scale', () => {
    assert.equal(stormReplayCommand('42', '@storm and not @pubsub', { runtime: 'process' }, 3), "KEELHAUL_SEED=42 npm run features -- --time-scale 3 --tags '@storm and not @pubsub'");
  });

  test('the verify line is a command verify accepts as written (checked with --check, which runs nothing)', () => {
    const manifest = path.join(ROOT, 'examples/broken/no-dedup.yaml');
    const line = stormReplayCommand('42', '@storm and not @pubsub', { impl: manifest, runtime: 'process' }, 2);
    const run = spawnSync('bash', ['-c', `${line.replace(/^keelhaul /, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} `)} --check`], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `${line}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /a valid manifest for "reference broker with dedup off"/);
  });
});
