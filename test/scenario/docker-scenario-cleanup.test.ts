import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DockerRuntime } from '../../harness/runtime/docker/docker-runtime';
import { listLabelled } from '../../harness/runtime/docker/labels';
import { Scenario } from '../../harness/scenario/scenario';
import { requirement } from '../support/requirements';

/**
 * A scenario that fails half-way in the docker runtime still leaves nothing behind: no container,
 * network or volume labelled with its run. (Ryuk cannot be pulled here; the runtime cleans up by label.)
 */
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-scenario-'));
after(() => fs.rmSync(reportDir, { recursive: true, force: true }));

/** Skipped without a Docker engine, saying how to start one; failed instead when KEELHAUL_REQUIRE names docker. */
const docker = requirement('docker');

test('a failing docker scenario leaves no labelled container, network or volume', { skip: docker.skipReason, timeout: 120_000 }, async () => {
  docker.assertAvailable();
  const scenario = await Scenario.create({ name: 'fails half-way', reportDir, runtime: 'docker' });
  const runtime = scenario.runtime as DockerRuntime;
  let failure: unknown;
  try {
    await scenario.cluster.startBroker();
    await scenario.cluster.startWorkers(2);
    await scenario.cluster.startClients(1);
    const workload = scenario.startWorkload({ jobsPerClient: 20, concurrency: 2, service: 'echo' });
    await workload.wait(30_000);
    const during = await listLabelled(runtime.runId);
    // fault proxy, broker, 2 workers, 1 client: each a container with its own volume, on one network
    assert.equal(during.containers.length, 5, `containers while running: ${JSON.stringify(during)}`);
    assert.equal(during.networks.length, 1);
    assert.equal(during.volumes.length, 5);
    throw new Error('the scenario fails here, with every node running');
  } catch (error) {
    failure = error;
  } finally {
    await scenario.teardown();
  }
  assert.match(String(failure), /the scenario fails here/);
  const left = await listLabelled(runtime.runId);
  assert.deepEqual(left, { containers: [], networks: [], volumes: [] });
});
