import { Given, When } from '@cucumber/cucumber';
import { claims } from '../harness/checker/profile';
import { implementationUnderTest } from '../harness/manifest/selected-implementation';
import { CLUSTER_SHAPES, isClusterShapeName } from '../harness/nemesis/cluster-shape';
import { LEADER_TARGET } from '../harness/nemesis/fault';
import { runSeed } from '../harness/util/run-seed';
import { scaled } from '../harness/util/time-scale';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/** How many replicas a cluster scenario starts when the manifest says nothing (`roles.broker.replicas`). */
const DEFAULT_REPLICAS = 3;

/**
 * A secure run's cluster runs its replication secure too (docs/replication.md): an implementation that
 * does not claim `secure` cannot be held to that, and cannot be blamed for the run it would make.
 */
function requireSecureClaimIn(world: KeelhaulWorld): void {
  if (world.harness.security !== undefined && !claims(implementationUnderTest().claimed, 'secure')) {
    throw new Inconclusive('this scenario runs the broker cluster secure (keys and a policy); the implementation does not claim secure');
  }
}

// Starting several replicas and waiting for them takes longer than one broker.
Given('a broker cluster', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  requireSecureClaimIn(this);
  await this.harness.cluster.startBrokerCluster(implementationUnderTest().brokerReplicas ?? DEFAULT_REPLICAS);
});

Given('a cluster of {int} brokers', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, count: number) {
  const declared = implementationUnderTest().brokerReplicas;
  // A shape drawn for N brokers means nothing over another number: the harness cannot set the scenario up.
  if (declared !== undefined && declared !== count) throw new Inconclusive(`this scenario needs a cluster of ${count} brokers; the implementation runs ${declared} (roles.broker.replicas)`);
  requireSecureClaimIn(this);
  await this.harness.cluster.startBrokerCluster(count);
});

When('the leader is killed', { timeout: scaled(20_000) }, async function (this: KeelhaulWorld) {
  await this.strike({ kind: 'kill', target: LEADER_TARGET });
});

When('the leader is killed and restarted {int} ms later', { timeout: scaled(20_000) }, async function (this: KeelhaulWorld, pauseMs: number) {
  await this.strike({ kind: 'crash-restart', target: LEADER_TARGET, pauseMs: scaled(pauseMs) });
});

When('the leader is frozen for {int} ms', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, durationMs: number) {
  await this.strike({ kind: 'freeze', target: LEADER_TARGET, durationMs: scaled(durationMs) });
});

// random-halves draws its halves from the run's seed (printed with the run), so the run replays them.
When('the cluster is partitioned {string} for {int} ms', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, shape: string, durationMs: number) {
  if (!isClusterShapeName(shape)) throw new Error(`unknown cluster partition shape "${shape}" (known: ${CLUSTER_SHAPES.join(', ')})`);
  await this.strike({ kind: 'cluster-partition', shape, durationMs: scaled(durationMs), seed: Number(runSeed()) });
});
