import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DockerRuntime } from '../../harness/runtime/docker/docker-runtime';
import { listLabelled } from '../../harness/runtime/docker/labels';
import { requirement } from '../support/requirements';
import { WRITER_SCRIPT, assertCutBack } from './power-loss-writer';

/**
 * The power-loss ledger in the docker runtime: the same writer as power-loss.test.ts in a container
 * of the harness's node image, its state folder a host folder at /state, killed with docker kill.
 */
const docker = requirement('docker');
const powerloss = requirement('powerloss');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-power-loss-docker-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('in a container: cut to the synced length, O_DSYNC writes kept, a file never dir-fsynced removed, an undurable rename undone', { skip: docker.skipReason ?? powerloss.skipReason, timeout: 120_000 }, async () => {
  docker.assertAvailable();
  powerloss.assertAvailable();
  const runtime = new DockerRuntime({ logDir: path.join(work, 'logs'), powerLoss: true });
  try {
    const hostDir = path.join(work, 'state', 'writer');
    const seen = runtime.stateDir('writer', hostDir);
    const node = await runtime.start({ name: 'writer', role: 'writer', command: process.execPath, args: ['-e', WRITER_SCRIPT], env: { WRITER_DIR: seen }, ready: { kind: 'log', pattern: /^ready$/ } });
    const powerLoss = runtime.powerLoss(node);
    assert.equal(await powerLoss.reaches(), true, 'the library is in the memory map of every process of the container');
    await node.kill();
    assert.equal(fs.readFileSync(path.join(hostDir, 'synced-then-not'), 'utf8'), 'hello world', 'docker kill alone loses nothing');
    assertCutBack(hostDir, powerLoss.cutBack({ torn: false, random: Math.random }));
  } finally {
    const removed = await runtime.cleanup();
    assert.deepEqual(removed.errors, []);
    const left = await listLabelled(runtime.runId);
    assert.deepEqual([...left.containers, ...left.networks, ...left.volumes], [], `run ${runtime.runId} left resources behind`);
  }
});
