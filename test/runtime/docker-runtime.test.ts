import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SCENARIO_TIMING } from '../../harness/timing/timing';
import { referenceImplementation } from '../../harness/implementation/reference';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import type { ContainerNode } from '../../harness/runtime/docker/container-node';
import { DockerRuntime, newRunId } from '../../harness/runtime/docker/docker-runtime';
import { dockerode, engineAnswers, ENSURE_ENGINE_SCRIPT, testcontainers } from '../../harness/runtime/docker/engine';
import { ensureNodeImage, IMAGE_REPOSITORY, isForeignPrebuild, parseLdd, removeStaleNodeImages, type NodeImage } from '../../harness/runtime/docker/image';
import { listLabelled, type Labelled } from '../../harness/runtime/docker/labels';
import { translateCommand } from '../../harness/runtime/docker/translate-command';
import { freeSubnets, overlaps } from '../../harness/runtime/docker/docker-network';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { dockerSkip } from './docker-available';
import type { DriverReport } from '../../reference/drivers/protocol';

/**
 * The docker runtime against a real engine, with the real reference nodes in containers. The
 * engine must be running: `docker/ensure-engine.sh` (CI runs it before the tests). Without one,
 * the engine tests are skipped with a message saying so — or fail, with KEELHAUL_REQUIRE=docker
 * (CI), where a green run must mean the docker runtime works (docker-available.ts).
 */
const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/harness/cli/main.js');
const PORT = 5555;
const timing = SCENARIO_TIMING;

// --- pure parts: no engine needed ----------------------------------------------------------------

describe('translateCommand', () => {
  const options = { projectRoot: '/work/main', hostNode: '/usr/bin/node' };

  test('the host node and the compiled CLI become their paths in the image', () => {
    assert.deepEqual(translateCommand('/usr/bin/node', ['/work/main/dist/harness/cli/main.js', 'broker', '--name', 'b'], options), [
      '/usr/local/bin/node',
      '/app/dist/harness/cli/main.js',
      'broker',
      '--name',
      'b',
    ]);
  });

  test('paths outside the project, relative paths and look-alike prefixes pass through', () => {
    assert.deepEqual(translateCommand('/usr/bin/node', ['/state/journal', 'dist/x.js', '/work/main2/x.js', 'tcp://*:5555'], options), [
      '/usr/local/bin/node',
      '/state/journal',
      'dist/x.js',
      '/work/main2/x.js',
      'tcp://*:5555',
    ]);
  });

  test('--option=/path inside the project is translated, and so is a command inside it', () => {
    assert.deepEqual(translateCommand('/work/main/bin/keelhaul.js', ['--config=/work/main/features/x.json', '--x=/etc/y'], options), [
      '/app/bin/keelhaul.js',
      '--config=/app/features/x.json',
      '--x=/etc/y',
    ]);
  });

  test('another command passes through unchanged', () => {
    assert.deepEqual(translateCommand('/opt/broker/bin/broker', ['-v'], options), ['/opt/broker/bin/broker', '-v']);
  });
});

describe('image and network helpers', () => {
  test('parseLdd keeps resolved libraries and the loader, skips vdso and missing ones', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f59)',
      '\tlibfoo.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f59)',
    ].join('\n');
    assert.deepEqual(parseLdd(output), ['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });

  test('isForeignPrebuild keeps only this platform and architecture', () => {
    assert.equal(isForeignPrebuild('build/linux/x64/node/glibc-127-Release/addon.node', 'linux', 'x64'), false);
    assert.equal(isForeignPrebuild('build/manifest.json', 'linux', 'x64'), false);
    assert.equal(isForeignPrebuild('build/darwin/arm64/node/115/addon.node', 'linux', 'x64'), true);
    assert.equal(isForeignPrebuild('build/linux/arm64/node/x.node', 'linux', 'x64'), true);
    assert.equal(isForeignPrebuild('prebuilds/linux-x64/a.node', 'linux', 'x64'), false);
    assert.equal(isForeignPrebuild('prebuilds/win32-x64/a.node', 'linux', 'x64'), true);
  });

  test('free subnets avoid every subnet in use', () => {
    const used = ['172.17.0.0/16', '172.29.0.0/24', '172.29.1.0/25', '10.0.0.0/8', '192.0.2.2/24'];
    const free = freeSubnets(used);
    assert.equal(free[0]?.cidr, '172.29.2.0/24');
    assert.equal(free[0]?.gateway, '172.29.2.1');
    assert.ok(free.every((s) => !used.some((u) => overlaps(u, s.cidr))));
    assert.equal(freeSubnets(['172.16.0.0/12']).length, 0);
  });
});

// --- against the engine -------------------------------------------------------------------------

async function requireEngine(): Promise<void> {
  if (!(await engineAnswers(5_000))) {
    assert.fail(`no Docker engine answers (docker info fails): start one with ${ENSURE_ENGINE_SCRIPT} (as root), or set DOCKER_HOST`);
  }
}

function nothingLabelled(labelled: Labelled): boolean {
  return labelled.containers.length === 0 && labelled.networks.length === 0 && labelled.volumes.length === 0;
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

/** Resolves with the first report of `type` (bounded). */
function nextReport(node: ContainerNode, type: DriverReport['type'], timeoutMs = 5_000): Promise<DriverReport> {
  let unsubscribe: () => unknown = () => undefined;
  const seen = new Promise<DriverReport>((resolve) => {
    unsubscribe = node.onReport((report) => {
      if (report.type === type) resolve(report);
    });
  });
  return withTimeout(seen, timeoutMs, `a "${type}" report from ${node.name}`).finally(() => unsubscribe());
}

/** A one-file tar archive (ustar), for putArchive. */
function tarOneFile(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

/** Size of a file inside a container (running or not), from the engine's archive stat; undefined if absent. */
async function fileSize(node: ContainerNode, file: string): Promise<number | undefined> {
  const container = (await dockerode()).getContainer(node.containerId);
  try {
    const response = (await container.infoArchive({ path: file })) as { headers: Record<string, string | undefined>; resume?: () => void };
    response.resume?.();
    const stat = JSON.parse(Buffer.from(response.headers['x-docker-container-path-stat'] ?? '', 'base64').toString()) as { size: number };
    return stat.size;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Text of a file inside a container (tar from the engine; one regular file). */
async function readFile(node: ContainerNode, file: string): Promise<string> {
  const container = (await dockerode()).getContainer(node.containerId);
  const stream = (await container.getArchive({ path: file })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString().replace(/\0.*$/, '').trim(), 8);
  return tar.subarray(512, 512 + size).toString();
}

describe('docker runtime (needs a Docker engine: docker/ensure-engine.sh)', { timeout: 120_000, skip: dockerSkip }, () => {
  let image: NodeImage;
  const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-test-'));

  // A test, not a before hook: node:test reports tests under a failed hook as cancelled, and this
  // must read as a failure.
  test('a Docker engine answers', async () => {
    await requireEngine();
  });

  after(() => {
    fs.rmSync(logRoot, { recursive: true, force: true });
  });

  test('the node image is built from scratch, then reused by its content hash', async (t) => {
    image = await ensureNodeImage();
    t.diagnostic(`first call: ${image.tag} reused=${image.reused} ${image.ms} ms (base ${image.base.reused ? 'reused' : `built in ${image.base.buildMs} ms`}, app ${image.app.reused ? 'reused' : `built in ${image.app.buildMs} ms`})`);
    const started = performance.now();
    const again = await ensureNodeImage();
    t.diagnostic(`second call: ${ms(started)} ms`);
    assert.equal(again.tag, image.tag);
    assert.equal(again.reused, true);
    assert.ok(ms(started) < 5_000, `a cached image check took ${ms(started)} ms`);
    const info = await (await dockerode()).getImage(image.tag).inspect();
    assert.equal(info.Config.Labels?.['keelhaul.image'], 'app');
    assert.equal(info.Config.Labels?.['keelhaul.context-sha256'], image.sha256);
    t.diagnostic(`image size ${(info.Size / 1e6).toFixed(0)} MB, ${image.base.files + image.app.files} files`);
  });

  test('stale node images: only those with the caller\'s label, and old enough, go; the current one stays', async (t) => {
    // Another run on this machine may be using (or about to use) any other keelhaul image, so this
    // test removes only an image it built itself, found by a label unique to this test run.
    const testRun = newRunId();
    const label = `keelhaul.test-run=${testRun}`;
    const staleTag = `${IMAGE_REPOSITORY}:stale-test-${testRun}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-stale-image-'));
    try {
      fs.writeFileSync(path.join(dir, 'marker'), testRun);
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM scratch\nCOPY marker /marker\nLABEL keelhaul.image=app keelhaul.test-run=${testRun}\n`);
      const { GenericContainer } = await testcontainers();
      await GenericContainer.fromDockerfile(dir).build(staleTag, { deleteOnExit: false });
      // Just built: by default it might be another run's image in the making, so it stays.
      assert.deepEqual(await removeStaleNodeImages(image, { label }), []);
      const stale = await removeStaleNodeImages(image, { label, olderThanMs: 0 });
      t.diagnostic(`removed ${stale.join(', ')}`);
      assert.deepEqual(stale, [staleTag]);
      await (await dockerode()).getImage(image.tag).inspect();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await (await dockerode()).getImage(staleTag).remove({ force: true }).catch(() => undefined);
    }
  });

  describe('one run: broker, worker and client in containers', () => {
    let runtime: DockerRuntime;
    let broker: ContainerNode;
    let worker: ContainerNode;

    const brokerSpec = (): NodeSpec =>
      referenceImplementation.broker({ name: 'broker', bind: `tcp://*:${PORT}`, timing, stateDir: DockerRuntime.STATE_DIR });
    const workerSpec = (name: string): NodeSpec =>
      referenceImplementation.worker({ name, broker: runtime.endpoint('broker', PORT), service: 'echo', workMs: 1, timing });
    const clientSpec = (name: string): NodeSpec => referenceImplementation.client({ name, broker: runtime.endpoint('broker', PORT), timing });

    before(async () => {
      runtime = new DockerRuntime({ logDir: path.join(logRoot, 'run'), image: image?.tag });
      await runtime.init();
    });

    after(async () => {
      const removed = await runtime.cleanup();
      assert.deepEqual(removed.errors, []);
      assert.ok(nothingLabelled(await listLabelled(runtime.runId)), `run ${runtime.runId} left resources behind`);
    });

    test('a broker and a worker start; the worker finds the broker by its alias', async (t) => {
      assert.equal(brokerSpec().command, process.execPath);
      assert.equal(brokerSpec().args[0], CLI);
      let started = performance.now();
      broker = await runtime.start(brokerSpec());
      t.diagnostic(`broker container start to ready: ${ms(started)} ms`);
      started = performance.now();
      worker = await runtime.start(workerSpec('worker-1'));
      t.diagnostic(`worker container start to ready: ${ms(started)} ms`);
      assert.equal(broker.running, true);
      assert.equal(worker.running, true);
      const network = await runtime.network();
      assert.equal(broker.ip, `${network.subnet.prefix}.2`);
      assert.deepEqual(await broker.inspectNetwork().then((n) => n.ip), broker.ip);
      // The broker logs the worker's registration: the alias resolved and the link works.
      await waitFor(() => fs.readFileSync(broker.logFile, 'utf8').includes('worker registered'), { timeoutMs: 5_000, what: 'the worker to register with the broker', intervalMs: 20 });
    });

    test('a client driver takes a call on stdin, reports ok, and exits when its stdin closes', async () => {
      const client = await runtime.start(clientSpec('client-1'));
      const ok = nextReport(client, 'ok');
      client.send({ type: 'call', job: 'j1', service: 'echo', payload: 'x' });
      assert.deepEqual(await ok, { type: 'ok', job: 'j1', reply: 'j1' });
      client.closeInput();
      await withTimeout(client.exited(), 5_000, 'the client to exit after its stdin closed');
      assert.equal(client.running, false);
      assert.equal(client.lastExitCode, 0);
    });

    test('kill and restart: the broker keeps its IP, and its volume (journal included) survives', async (t) => {
      const journalSize = await fileSize(broker, '/state/journal');
      assert.ok(journalSize !== undefined && journalSize > 0, `the broker journal is ${journalSize} bytes after a call`);
      const marker = `marker ${runtime.runId}`;
      await (await dockerode()).getContainer(broker.containerId).putArchive(tarOneFile('marker', marker), { path: '/state' });

      const registrations = () => fs.readFileSync(broker.logFile, 'utf8').split('worker registered').length - 1;
      const registeredBefore = registrations();
      let started = performance.now();
      await broker.kill();
      t.diagnostic(`kill (SIGKILL until exited): ${ms(started)} ms`);
      assert.equal(broker.running, false);
      assert.equal(broker.lastExitCode, 137);
      assert.equal(await fileSize(broker, '/state/journal'), journalSize, 'the journal of the dead broker');

      started = performance.now();
      const readyAgain = nextReport(broker, 'ready', 10_000);
      await broker.restart();
      t.diagnostic(`restart to ready: ${ms(started)} ms`);
      assert.equal((await readyAgain as { journal?: unknown }).journal, '/state/journal');
      assert.equal(broker.running, true);
      assert.equal((await broker.inspectNetwork()).ip, broker.ip);
      assert.ok(((await fileSize(broker, '/state/journal')) ?? 0) > 0);
      assert.equal(await readFile(broker, '/state/marker'), marker);

      // The worker finds the broker again at the same address (by its name, though it was down)
      // and calls go through.
      await waitFor(() => registrations() > registeredBefore, { timeoutMs: 5_000, what: 'the worker to register with the restarted broker', intervalMs: 20 });
      t.diagnostic(`worker registered again ${ms(started)} ms after the restart began`);
      const client = await runtime.start(clientSpec('client-2'));
      const ok = nextReport(client, 'ok', 10_000);
      client.send({ type: 'call', job: 'j2', service: 'echo', payload: 'y' });
      assert.deepEqual(await ok, { type: 'ok', job: 'j2', reply: 'j2' });
      client.closeInput();
      await withTimeout(client.exited(), 5_000, 'client-2 to exit');
    });

    test('freeze and resume pause and unpause the container', async (t) => {
      const docker = await dockerode();
      let started = performance.now();
      await worker.freeze();
      t.diagnostic(`pause: ${ms(started)} ms`);
      assert.equal(worker.frozen, true);
      assert.equal((await docker.getContainer(worker.containerId).inspect()).State.Paused, true);
      started = performance.now();
      await worker.resume();
      t.diagnostic(`unpause: ${ms(started)} ms`);
      assert.equal(worker.frozen, false);
      assert.equal((await docker.getContainer(worker.containerId).inspect()).State.Paused, false);
      assert.equal(worker.running, true);
    });

    test('disconnect and reconnect keep the IP and the alias', async (t) => {
      const before = await worker.inspectNetwork();
      assert.equal(before.ip, worker.ip);
      assert.ok(before.aliases.includes('worker-1'));
      let started = performance.now();
      await worker.disconnect();
      t.diagnostic(`network disconnect: ${ms(started)} ms`);
      assert.equal(worker.connected, false);
      assert.equal((await worker.inspectNetwork()).ip, undefined);
      started = performance.now();
      await worker.reconnect();
      t.diagnostic(`network connect: ${ms(started)} ms`);
      const afterwards = await worker.inspectNetwork();
      assert.equal(worker.connected, true);
      assert.equal(afterwards.ip, worker.ip);
      assert.ok(afterwards.aliases.includes('worker-1'), `aliases after reconnect: ${afterwards.aliases.join(', ')}`);
    });

    test('a frozen node can be killed; stop is graceful', async () => {
      await worker.freeze();
      await worker.kill();
      assert.equal(worker.running, false);
      assert.equal(worker.frozen, false);
      await worker.restart();
      assert.equal(worker.running, true);
      // What is tested is that SIGTERM is handled, not how fast: a loaded CI machine's dockerd can take
      // seconds to deliver it to a container that has only just been restarted (seen once at a 2 s grace).
      await worker.stop(10_000);
      assert.equal(worker.running, false);
      assert.equal(worker.lastExitCode, 0, 'the worker handles SIGTERM and exits 0');
    });

    test('a node that cannot start fails with its last log lines', async () => {
      const spec: NodeSpec = { name: 'bad', role: 'worker', command: process.execPath, args: [CLI, 'worker', '--broker', 'not-an-endpoint'] };
      await assert.rejects(runtime.start(spec), (error: Error) => {
        assert.match(error.message, /bad exited \(code \d+\) before it was ready/);
        assert.match(error.message, /not-an-endpoint/, 'the last log lines show the cause');
        return true;
      });
      assert.equal(runtime.node('bad')?.running, false);
    });
  });

  describe('cleanup without Ryuk', () => {
    test('a run whose body throws leaves nothing labelled behind', async () => {
      const runtime = new DockerRuntime({ logDir: path.join(logRoot, 'throws'), image: image?.tag });
      await assert.rejects(async () => {
        try {
          await runtime.start(referenceImplementation.broker({ name: 'broker', bind: `tcp://*:${PORT}`, timing, stateDir: DockerRuntime.STATE_DIR }));
          assert.ok(!nothingLabelled(await listLabelled(runtime.runId)));
          throw new Error('the scenario failed');
        } finally {
          await runtime.shutdown();
        }
      }, /the scenario failed/);
      assert.ok(nothingLabelled(await listLabelled(runtime.runId)), `run ${runtime.runId} left resources behind`);
    });

    /** A child process that starts a node, then ends without shutdown: by an uncaught error, or SIGINT. */
    async function orphanRun(how: 'throw' | 'sigint'): Promise<{ runId: string; code: number | null; stderr: string }> {
      const runId = newRunId();
      const script = `
        const { DockerRuntime } = require(${JSON.stringify(path.join(ROOT, 'dist/harness/runtime/docker/docker-runtime.js'))});
        const { referenceImplementation } = require(${JSON.stringify(path.join(ROOT, 'dist/harness/implementation/reference.js'))});
        const { SCENARIO_TIMING } = require(${JSON.stringify(path.join(ROOT, 'dist/harness/timing/timing.js'))});
        (async () => {
          const runtime = new DockerRuntime({ logDir: ${JSON.stringify(path.join(logRoot, `orphan-${how}`))}, runId: ${JSON.stringify(runId)}, image: ${JSON.stringify(image?.tag)} });
          await runtime.start(referenceImplementation.broker({ name: 'broker', bind: 'tcp://*:5555', timing: SCENARIO_TIMING, stateDir: '/state' }));
          process.stdout.write('started\\n');
          if (${JSON.stringify(how)} === 'throw') setImmediate(() => { throw new Error('uncaught in the scenario'); });
          else setInterval(() => undefined, 1000);
        })();
      `;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const started = new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
      try {
        await withTimeout(Promise.race([started, exited.then(() => assert.fail(`the orphan run exited early: ${stderr}`))]), 20_000, 'the orphan run to start its broker');
        assert.ok(!nothingLabelled(await listLabelled(runId)), 'the orphan run created its resources');
        if (how === 'sigint') child.kill('SIGINT');
        return { runId, code: await withTimeout(exited, 30_000, 'the orphan run to exit'), stderr };
      } finally {
        child.kill('SIGKILL');
      }
    }

    test('a process that dies of an uncaught error removes its run on exit', async () => {
      const { runId, code, stderr } = await orphanRun('throw');
      assert.equal(code, 1, stderr);
      assert.match(stderr, /uncaught in the scenario/);
      assert.deepEqual(await listLabelled(runId), { containers: [], networks: [], volumes: [] });
    });

    test('a process interrupted by SIGINT removes its run, then exits 130', async () => {
      const { runId, code, stderr } = await orphanRun('sigint');
      assert.equal(code, 130, stderr);
      assert.deepEqual(await listLabelled(runId), { containers: [], networks: [], volumes: [] });
    });
  });
});
