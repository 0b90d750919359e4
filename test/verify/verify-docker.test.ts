import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ensureNodeImage } from '../../harness/runtime/docker/image';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runVerify, type VerifyRun } from './run-verify';
import { requirement } from '../support/requirements';

/**
 * A third-party implementation packaged as Docker images: the broker built from a Dockerfile, the
 * worker from an image already on the engine. (Both wrap the reference nodes, the only programs
 * this machine can put in an image without a registry.) Needs an engine: docker/ensure-engine.sh.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-verify-docker-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<VerifyRun> {
  return runVerify(args, path.join(work, 'reports'), 180_000);
}

/** Skipped without a Docker engine, saying how to start one; failed instead when KEELHAUL_REQUIRE names docker. */
const docker = requirement('docker');

test('keelhaul verify --runtime docker runs roles from a Dockerfile and from an image', { skip: docker.skipReason, timeout: 240_000 }, async () => {
  docker.assertAvailable();
  const { tag } = await ensureNodeImage();
  fs.mkdirSync(path.join(work, 'broker'));
  fs.writeFileSync(path.join(work, 'broker', 'Dockerfile'), `FROM ${tag}\nLABEL keelhaul.test=verify-docker\n`);
  const node = ['/usr/local/bin/node', '/app/dist/harness/cli/main.js'];
  const heartbeat = ['--heartbeat', '{{heartbeatInterval}}', '--liveness', '{{heartbeatLiveness}}'];
  const manifest = {
    name: 'reference nodes in images',
    profiles: ['exactly-once'],
    roles: {
      broker: {
        build: { context: 'broker' },
        command: [...node, 'broker', '--name', '{{name}}', '--endpoint', '{{bind}}', ...heartbeat, '--journal', '{{stateDir}}/journal', '--result-grace', '{{resultGrace}}'],
      },
      worker: {
        image: tag,
        command: [...node, 'worker', '--name', '{{name}}', '--broker', '{{broker}}', '--service', '{{service}}', '--work-ms', '{{workMs}}', ...heartbeat],
      },
    },
  };
  const file = path.join(work, 'keelhaul.json');
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));

  const refused = await run(['--impl', file, '--runtime', 'process', '--tags', '@smoke']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /roles broker, worker run from Docker images: add --runtime docker/);

  const passed = await run(['--impl', file, '--runtime', 'docker', '--tags', '(@smoke or @khx1:accept-before-dispatch) and not @power-loss and not @disk-faults']);
  assert.equal(passed.code, 0, `exit code\n${passed.stdout}\n${passed.stderr}`);
  const runDir = passed.stdout.match(/summary (.+)\/summary\.md/)?.[1];
  assert.ok(runDir, passed.stdout);
  const { verdicts } = JSON.parse(fs.readFileSync(path.join(runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
  assert.ok(verdicts.length >= 2, `${verdicts.length} scenarios ran`);
  assert.deepEqual(verdicts.filter((v) => v.verdict !== 'PASS').map((v) => `${v.verdict} ${v.scenario}`), []);
  const brokerLog = fs.readFileSync(path.join(runDir, verdicts[0].dir, 'logs', 'broker.log'), 'utf8');
  assert.match(brokerLog, /--journal \/state\/journal/, 'the broker ran in a container with its state on the volume');
});
