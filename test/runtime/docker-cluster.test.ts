import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Scenario } from '../../harness/scenario/scenario';
import { requestReplySystem, type RequestReplySystem } from '../../harness/systems/request-reply/request-reply-system';
import type { BrokerReplicas } from '../../harness/systems/request-reply/broker-replicas';
import { followsLeader, type ClusterLeader } from '../../harness/systems/request-reply/cluster-leader';
import { DockerRuntime } from '../../harness/runtime/docker/docker-runtime';
import type { ContainerNode } from '../../harness/runtime/docker/container-node';
import { dockerode } from '../../harness/runtime/docker/engine';
import { listLabelled } from '../../harness/runtime/docker/labels';
import { assertEngine, dockerSkip } from './docker-available';

/**
 * A replicated broker (KHR/1) in the docker runtime, started by the harness exactly as a `@failover`
 * scenario starts it: three replicas, each in its own container with its own volume, their
 * replication links through the fault-proxy container. The engine must be running
 * (docker/ensure-engine.sh); without one the suite is skipped, or fails with KEELHAUL_REQUIRE=docker.
 */
describe('a broker cluster in docker (needs a Docker engine: docker/ensure-engine.sh)', { timeout: 180_000, skip: dockerSkip }, () => {
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-docker-cluster-'));
  let scenario: Scenario | undefined;
  let runtime: DockerRuntime;
  let replicas: BrokerReplicas;

  const container = (name: string): ContainerNode => {
    const node = runtime.node(name);
    assert.ok(node, `no container for ${name}`);
    return node;
  };
  /** A new leader, other than `not`, with every running replica answering at its term. */
  const newLeader = (not: string, what: string): Promise<ClusterLeader> => replicas.awaitLeader(20_000, what, (found) => found.leader !== not);
  /** The replica answers `mmi.khr` at the leader's term, naming that leader: it rejoined as a follower. */
  const rejoined = (replica: string, what: string): Promise<ClusterLeader> => replicas.awaitLeader(20_000, what, (found, answers) => found.leader !== replica && followsLeader(answers, replica, found));

  // A test, not a before hook: node:test reports tests under a failed hook as cancelled, and this must read as a failure.
  test('a Docker engine answers', () => {
    assertEngine();
  });

  before(async () => {
    if (dockerSkip !== false) return;
    scenario = await Scenario.create({ name: 'docker cluster', runtime: 'docker', reportDir });
    runtime = scenario.runtime as DockerRuntime;
    const system: RequestReplySystem = scenario.use(requestReplySystem);
    await system.startBrokerCluster(3);
    assert.ok(system.replicas, 'the system has no replicas after starting a cluster');
    replicas = system.replicas;
  });

  after(async () => {
    if (scenario === undefined) return;
    await scenario.teardown();
    const left = await listLabelled(runtime.runId);
    fs.rmSync(reportDir, { recursive: true, force: true });
    assert.deepEqual([...left.containers, ...left.networks, ...left.volumes], [], `run ${runtime.runId} left resources behind`);
  });

  test('three replicas, each its own container and volume, elect a leader every replica names by an address containers can dial', async (t) => {
    const started = performance.now();
    const leader = await replicas.awaitLeader(20_000, 'a leader among 3 replicas in containers');
    t.diagnostic(`${leader.leader} leads at term ${leader.term}, ${Math.round(performance.now() - started)} ms after the replicas were ready`);
    const nodes = replicas.names.map(container);
    assert.deepEqual(replicas.names, ['broker-1', 'broker-2', 'broker-3']);
    assert.equal(new Set(nodes.map((node) => node.containerName)).size, 3, 'each replica has a container of its own');
    assert.equal(new Set(nodes.map((node) => node.volumeName)).size, 3, 'each replica has a volume of its own');
    const docker = await dockerode();
    for (const node of nodes) {
      const inspected = await docker.getContainer(node.containerId).inspect();
      assert.ok(
        inspected.Mounts.some((mount) => mount.Type === 'volume' && mount.Name === node.volumeName && mount.Destination === DockerRuntime.STATE_DIR),
        `${node.name}'s volume is mounted at ${DockerRuntime.STATE_DIR}`,
      );
      const cluster = inspected.Args[inspected.Args.indexOf('--cluster') + 1] ?? '';
      // Its own entry is its fixed IP (what it binds and what its brokers name it by); the others' replication endpoints are its links in the fault proxy.
      const members = cluster.split(',');
      assert.ok(members.includes(`${node.name}=tcp://${node.ip}:5555+tcp://${node.ip}:5556`), `${node.name} names itself by its IP: ${cluster}`);
      const others = members.filter((entry) => !entry.startsWith(`${node.name}=`));
      assert.equal(others.length, 2);
      for (const other of others) assert.match(other, /^broker-\d=tcp:\/\/172\.\d+\.\d+\.\d+:5555\+tcp:\/\/fault-proxy:\d+$/, `${node.name} reaches a peer through the fault proxy: ${other}`);
    }
    const answers = await replicas.answers(2_000);
    const leaderEndpoint = `tcp://${container(leader.leader).ip}:5555`;
    for (const { replica, answer } of answers) {
      assert.ok(answer?.cluster === true, `${replica} answered mmi.khr as a cluster broker`);
      if (answer.term === leader.term) assert.equal(answer.leader, leaderEndpoint, `${replica} names the leader by the address a container dials (not tcp://0.0.0.0)`);
    }
  });

  test('the leader container killed: another replica leads; restarted, it comes back from its volume as a follower', async (t) => {
    const old = await replicas.awaitLeader(20_000, 'a leader before the kill');
    const node = container(old.leader);
    await node.kill();
    assert.equal(node.running, false);
    const killedAt = performance.now();
    const successor = await newLeader(old.leader, `a leader other than the killed ${old.leader}`);
    t.diagnostic(`${successor.leader} leads at term ${successor.term}, ${Math.round(performance.now() - killedAt)} ms after ${old.leader} was killed`);
    assert.ok(successor.term > old.term, `the new leader's term ${successor.term} is above the killed leader's ${old.term}`);
    await node.restart();
    const back = await rejoined(old.leader, `${old.leader} following the new leader after its restart`);
    assert.ok(back.term >= successor.term);
    // A replica restarted on an empty data dir would start at term 0 with no entries; its volume kept both.
    const starts = fs
      .readFileSync(node.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"cluster node started"'))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { term: number; entries: number; snapshot: number });
    assert.equal(starts.length, 2, `${old.leader} started twice: ${JSON.stringify(starts)}`);
    assert.ok(starts[1].term >= old.term && starts[1].entries + starts[1].snapshot > 0, `after its restart ${old.leader} read its term and log back from its volume: ${JSON.stringify(starts[1])}`);
  });

  test('the leader container frozen past the election timeout: another replica leads; resumed, the old leader follows', async (t) => {
    const old = await replicas.awaitLeader(20_000, 'a leader before the freeze');
    const node = container(old.leader);
    await node.freeze();
    try {
      assert.equal(node.frozen, true);
      const frozenAt = performance.now();
      const successor = await newLeader(old.leader, `a leader other than the frozen ${old.leader}`);
      t.diagnostic(`${successor.leader} leads at term ${successor.term}, ${Math.round(performance.now() - frozenAt)} ms after ${old.leader} was frozen`);
    } finally {
      await node.resume();
    }
    await rejoined(old.leader, `${old.leader} following the new leader after it was resumed`);
  });
});
