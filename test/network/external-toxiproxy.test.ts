import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { once } from 'node:events';
import { Toxiproxy } from 'toxiproxy-node-client';
import { Scenario } from '../../harness/scenario/scenario';
import { freePort } from '../../harness/runtime/ports';
import { withTimeout } from '../../harness/util/wait-for';

const CLI = path.resolve(__dirname, '../../harness/cli/main.js');

test('with TOXIPROXY_URL the harness drives an external Toxiproxy-compatible server, and removes its proxies after', async () => {
  const port = await freePort();
  const server = spawn(process.execPath, [CLI, 'toxiproxy', '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-ext-'));
  const previous = process.env.TOXIPROXY_URL;
  try {
    const url = `http://127.0.0.1:${port}`;
    const api = new Toxiproxy(url);
    await withTimeout(
      (async () => {
        for (;;) {
          try {
            return await api.getVersion();
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      })(),
      10_000,
      'the external fault proxy to answer',
    );
    process.env.TOXIPROXY_URL = url;
    const scenario = await Scenario.create({ name: 'external toxiproxy', reportDir });
    try {
      assert.equal(scenario.network?.url, url);
      await scenario.cluster.startBroker();
      await scenario.cluster.startWorkers(1, 'echo');
      await scenario.cluster.startClients(1);
      const onServer = Object.keys(await api.getAll()).sort();
      assert.deepEqual(onServer, ['client-1->broker', 'worker-1->broker']);

      // A partition applied through the external server really stops traffic.
      const fault = await scenario.nemesis.begin({ kind: 'partition', links: { of: ['client-1'] } });
      const response = await fetch(`${url}/proxies/${encodeURIComponent('client-1->broker')}/toxics`);
      const toxics = (await response.json()) as { type: string; stream: string }[];
      assert.deepEqual(toxics.map((t) => `${t.type}/${t.stream}`), ['timeout/upstream', 'timeout/downstream'], 'a blackhole per direction');
      const workload = scenario.startWorkload({ jobsPerClient: 1, concurrency: 1, service: 'echo' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(scenario.history.events().filter((e) => e.type === 'ok').length, 0, 'no reply crosses the partition');
      await fault.heal();
      const summary = await workload.wait(10_000);
      assert.equal(summary.ok, 1, 'the call is answered after the heal');
    } finally {
      await scenario.teardown();
    }
    assert.deepEqual(Object.keys(await api.getAll()), [], 'teardown removed the proxies it made');
    assert.equal(server.exitCode, null, 'teardown left the external server running');
  } finally {
    if (previous === undefined) delete process.env.TOXIPROXY_URL;
    else process.env.TOXIPROXY_URL = previous;
    server.kill('SIGTERM');
    if (server.exitCode === null) await once(server, 'exit');
    fs.rmSync(reportDir, { recursive: true, force: true });
  }
});
