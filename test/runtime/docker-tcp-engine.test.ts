import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { engineLocation, remoteEngineProblem, SAME_HOST_ENV } from '../../harness/runtime/docker/engine-location';
import { forwardEngineTcp } from '../../harness/runtime/docker/engine-tcp-forward';
import { DockerRuntime } from '../../harness/runtime/docker';
import { readVerdicts } from '../../harness/report/run-reports';
import { runKeelhaul } from '../verify/run-verify';
import { engineTcpAddress, requirement } from '../support/requirements';

/**
 * The docker runtime against an engine reached over TCP (DOCKER_HOST=tcp://...), as a remote engine
 * is: here the machine's own engine on 127.0.0.1 (docker/ensure-engine.sh --tcp <port>), since the
 * runtime needs the engine's machine to be the harness's (docs/docker.md, "A remote engine"); an
 * engine on another machine is refused up front, saying why.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-tcp-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('where the engine is (DOCKER_HOST)', () => {
  test('a unix socket and a loopback TCP address are this machine; another host is remote; a bad address is named', () => {
    assert.deepEqual(engineLocation({}), { kind: 'local', how: 'the default socket' });
    assert.equal(engineLocation({ DOCKER_HOST: 'unix:///var/run/docker.sock' }).kind, 'local');
    for (const local of ['tcp://127.0.0.1:2375', 'tcp://localhost:2376', 'tcp://[::1]:2375', 'http://127.0.0.2:80']) assert.equal(engineLocation({ DOCKER_HOST: local }).kind, 'local', local);
    assert.deepEqual(engineLocation({ DOCKER_HOST: 'tcp://10.1.2.3:2376' }), { kind: 'remote', host: '10.1.2.3' });
    assert.deepEqual(engineLocation({ DOCKER_HOST: 'ssh://ci@build-box' }), { kind: 'remote', host: 'build-box' });
    assert.throws(() => engineLocation({ DOCKER_HOST: 'build-box:2375' }), /DOCKER_HOST=build-box:2375: unknown scheme build-box: \(expected unix:\/\/, tcp:\/\/, http\(s\):\/\/ or ssh:\/\/\)/);
    assert.throws(() => engineLocation({ DOCKER_HOST: 'not an address' }), /DOCKER_HOST=not an address: not an engine address/);
  });

  test('a remote engine is refused with what it lacks, unless declared the same host', async () => {
    const env = { DOCKER_HOST: 'tcp://10.1.2.3:2376' };
    assert.match(remoteEngineProblem(env) ?? '', /^DOCKER_HOST=tcp:\/\/10\.1\.2\.3:2376 is an engine on another machine \(10\.1\.2\.3\): the docker runtime reaches containers at their bridge-network addresses and bind-mounts this machine's files/);
    assert.equal(remoteEngineProblem({ ...env, [SAME_HOST_ENV]: '1' }), undefined);
    assert.equal(remoteEngineProblem({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), undefined);
    // The runtime itself: refused before any engine is contacted (10.1.2.3 is never dialled).
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = env.DOCKER_HOST;
    try {
      const runtime = new DockerRuntime({ logDir: path.join(work, 'remote-logs') });
      await assert.rejects(runtime.init(), /is an engine on another machine \(10\.1\.2\.3\)/);
      await runtime.shutdown();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});

describe('the TCP forwarder (docker/ensure-engine.sh --tcp, for a dockerd that runs without a TCP listener)', () => {
  test('pipes each TCP connection on 127.0.0.1 to the unix socket, both ways', async () => {
    const socket = path.join(work, 'engine.sock');
    const engine = net.createServer((connection) => connection.on('data', (data) => connection.write(`engine got ${data.toString()}`)));
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    const forward = await forwardEngineTcp(0, socket);
    try {
      const address = forward.address() as net.AddressInfo;
      assert.equal(address.address, '127.0.0.1', 'only the loopback address');
      const reply = await new Promise<string>((resolve, reject) => {
        const client = net.connect(address.port, '127.0.0.1', () => client.write('GET /_ping'));
        const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5_000);
        client.on('data', (data) => {
          clearTimeout(timer);
          client.destroy();
          resolve(data.toString());
        });
        client.on('error', reject);
      });
      assert.equal(reply, 'engine got GET /_ping');
    } finally {
      forward.close();
      engine.close();
    }
  });
});

/** Skipped unless an engine answers at tcp://127.0.0.1:<KEELHAUL_DOCKER_TCP_PORT or 2375>; failed instead when KEELHAUL_REQUIRE names docker-tcp (CI). */
const dockerTcp = requirement('docker-tcp');

test('a @containers scenario runs with every node in a container, the engine reached through DOCKER_HOST=tcp://127.0.0.1:<port>', { skip: dockerTcp.skipReason, timeout: 240_000 }, async () => {
  dockerTcp.assertAvailable();
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: engineTcpAddress() };
  for (const name of ['KEELHAUL_RUN_CONFIG', 'KEELHAUL_RUN_ID', 'KEELHAUL_REPORT_DIR', 'KEELHAUL_SHARD', 'KEELHAUL_PARALLEL', 'TOXIPROXY_URL', SAME_HOST_ENV]) delete env[name];
  const run = await runKeelhaul('features', ['--runtime', 'docker', '--tags', '@containers and @smoke'], path.join(work, 'reports'), 200_000, env);
  assert.equal(run.code, 0, `keelhaul features --runtime docker with DOCKER_HOST=${env.DOCKER_HOST}:\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.runDirs.length, 1);
  const { verdicts, runtime } = readVerdicts(run.runDirs[0]);
  assert.equal(runtime, 'docker');
  assert.deepEqual(verdicts.map((v) => `${v.verdict} ${v.feature}`), ['PASS features/request-reply/happy-path.feature']);
  const brokerLog = fs.readFileSync(path.join(run.runDirs[0], verdicts[0].dir, 'logs', 'broker.log'), 'utf8');
  assert.match(brokerLog, /\/app\/dist\/harness\/cli\/main\.js broker/, 'the broker ran in a container (its command translated to the image)');
});
