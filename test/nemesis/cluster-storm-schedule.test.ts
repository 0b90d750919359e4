import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterStormSchedule, shapesFor, type ClusterStormPlan } from '../../harness/nemesis/cluster-storm-schedule';
import { faultLasting } from '../../harness/nemesis/fault-table';
import { LEADER_TARGET } from '../../harness/nemesis/fault';

const PLAN: ClusterStormPlan = {
  leaderCrashes: 5,
  replicaCrashes: 5,
  leaderFreezes: 2,
  partitions: 2,
  peerCrashes: 2,
  peerFreezes: 2,
  replicas: ['broker-1', 'broker-2', 'broker-3'],
  peers: ['worker-1', 'worker-2', 'worker-3'],
  windowMs: 14_000,
  recoverMs: 900,
  pauseMs: [50, 400],
  freezeMs: [75, 450],
  leaderFreezeMs: [400, 2_500],
  partitionMs: [800, 1_500],
  leaderChangeRecoverMs: 2_500,
};

const onCluster = (target: string): boolean => target === LEADER_TARGET || PLAN.replicas.includes(target);

describe('cluster storm schedule', () => {
  test('the same seed draws the same schedule; another seed another', () => {
    assert.deepEqual(clusterStormSchedule('42', PLAN), clusterStormSchedule('42', PLAN));
    assert.notDeepEqual(clusterStormSchedule('42', PLAN).faults, clusterStormSchedule('43', PLAN).faults);
  });

  test('every planned fault is there: leader and replica crashes, leader freezes, partitions in shapes three brokers take, worker faults', () => {
    for (const seed of ['1', '2', '3', '77', '1234567']) {
      const { faults } = clusterStormSchedule(seed, PLAN);
      const count = (predicate: (fault: (typeof faults)[number]) => boolean): number => faults.filter(predicate).length;
      assert.equal(count((f) => f.kind === 'crash-restart' && f.target === LEADER_TARGET), 5, `seed ${seed}`);
      assert.equal(count((f) => f.kind === 'crash-restart' && PLAN.replicas.includes(f.target)), 5, `seed ${seed}`);
      assert.equal(count((f) => f.kind === 'freeze' && f.target === LEADER_TARGET), 2, `seed ${seed}`);
      assert.equal(count((f) => f.kind === 'cluster-partition' && shapesFor(3).includes(f.shape) && f.seed !== undefined), 2, `seed ${seed}`);
      assert.equal(count((f) => f.kind !== 'cluster-partition' && PLAN.peers.includes(f.target)), 4, `seed ${seed}`);
    }
  });

  test("the cluster faults never overlap: each starts after the one before ended and the gap for a new leader's grace passed", () => {
    for (const seed of ['1', '2', '3', '77', '1234567']) {
      const cluster = clusterStormSchedule(seed, PLAN).faults.filter((f) => f.kind === 'cluster-partition' || onCluster(f.target));
      for (let i = 1; i < cluster.length; i++) {
        const previous = cluster[i - 1];
        const gap = previous.kind === 'crash-restart' && previous.target !== LEADER_TARGET ? PLAN.recoverMs : PLAN.leaderChangeRecoverMs;
        assert.ok(cluster[i].at >= previous.at + faultLasting(previous) + gap, `seed ${seed}: fault ${i} at ${cluster[i].at} overlaps the one before`);
      }
    }
  });

  test('a majorities ring only for 4 brokers or more; a plan that cannot be drawn is refused', () => {
    assert.deepEqual(shapesFor(3), ['leader-isolated', 'leader-cut-from-peers', 'bridge', 'random-halves']);
    assert.deepEqual(shapesFor(5), ['leader-isolated', 'leader-cut-from-peers', 'majorities-ring', 'bridge', 'random-halves']);
    assert.throws(() => clusterStormSchedule('1', { ...PLAN, replicas: [] }), /needs the replicas/);
    assert.throws(() => clusterStormSchedule('1', { ...PLAN, peers: [] }), /worker faults needs workers/);
  });
});
