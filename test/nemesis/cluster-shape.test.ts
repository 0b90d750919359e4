import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterShape, ClusterShapeError, cutPairs, reachOf } from '../../harness/nemesis/cluster-shape';

const brokers3 = ['broker-1', 'broker-2', 'broker-3'];
const brokers5 = ['broker-1', 'broker-2', 'broker-3', 'broker-4', 'broker-5'];
const others = ['client-1', 'client-2', 'worker-1', 'worker-2'];
const majority = (n: number): number => Math.floor(n / 2) + 1;

describe('cluster partition shapes', () => {
  test('leader-isolated: the leader alone among the brokers, clients and workers on both sides', () => {
    const { groups } = clusterShape('leader-isolated', { brokers: brokers3, leader: 'broker-2', others });
    assert.deepEqual(groups, [
      ['broker-2', 'client-1', 'worker-1'],
      ['broker-1', 'broker-3', 'client-2', 'worker-2'],
    ]);
    const cut = cutPairs(groups);
    assert.ok(cut.some(([a, b]) => a === 'broker-1' && b === 'broker-2'), 'leader cut from broker-1');
    assert.ok(cut.some(([a, b]) => a === 'broker-2' && b === 'broker-3'), 'leader cut from broker-3');
    assert.ok(!cut.some(([a, b]) => a === 'broker-1' && b === 'broker-3'), 'the majority still together');
    assert.ok(cut.some(([a, b]) => a === 'broker-2' && b === 'client-2'), 'a client on the majority side cannot reach the old leader');
    assert.ok(!cut.some(([a, b]) => a === 'broker-2' && b === 'client-1'), 'a client on the leader\'s side still can');
  });

  test('leader-isolated without a known leader is a precise error', () => {
    assert.throws(() => clusterShape('leader-isolated', { brokers: brokers3, others }), (error: Error) => error instanceof ClusterShapeError && /needs the leader/.test(error.message));
    assert.throws(() => clusterShape('leader-isolated', { brokers: brokers3, leader: 'broker-9', others }), /not one of the brokers/);
  });

  test('leader-cut-from-peers: the leader cut from the other brokers only, every client and worker reaching every broker', () => {
    const { groups } = clusterShape('leader-cut-from-peers', { brokers: brokers3, leader: 'broker-3', others });
    assert.deepEqual(groups, [['broker-3'], ['broker-1', 'broker-2']]);
    assert.deepEqual(cutPairs(groups), [
      ['broker-1', 'broker-3'],
      ['broker-2', 'broker-3'],
    ]);
    assert.throws(() => clusterShape('leader-cut-from-peers', { brokers: brokers3, others }), /leader-cut-from-peers needs the leader/);
  });

  test('leader-cut-from-clients: the leader cut from every client and worker, still with the other brokers', () => {
    const { groups } = clusterShape('leader-cut-from-clients', { brokers: brokers3, leader: 'broker-2', others });
    assert.deepEqual(groups, [brokers3, ['broker-1', 'broker-3', ...others]]);
    assert.deepEqual(
      cutPairs(groups),
      others.map((other) => ['broker-2', other]),
    );
    assert.deepEqual(reachOf(groups, 'broker-2'), brokers3, 'the leader keeps its majority');
    assert.throws(() => clusterShape('leader-cut-from-clients', { brokers: brokers3, others }), /leader-cut-from-clients needs the leader/);
  });

  test('clients-reach-only-deposed: the clients and workers reach the deposed leader alone, the brokers each other', () => {
    const { groups } = clusterShape('clients-reach-only-deposed', { brokers: brokers3, leader: 'broker-1', deposed: 'broker-3', others });
    assert.deepEqual(groups, [brokers3, ['broker-3', ...others]]);
    for (const other of others) assert.deepEqual(reachOf(groups, other), ['broker-3', ...others].sort(), `${other} reaches the deposed leader only`);
    assert.deepEqual(reachOf(groups, 'broker-1'), brokers3, 'the leader keeps its majority');
    assert.deepEqual(cutPairs(groups), others.flatMap((other) => [['broker-1', other], ['broker-2', other]]).sort());
    assert.throws(() => clusterShape('clients-reach-only-deposed', { brokers: brokers3, leader: 'broker-1', others }), /needs the deposed leader, and none was named/);
    assert.throws(() => clusterShape('clients-reach-only-deposed', { brokers: brokers3, leader: 'broker-1', deposed: 'broker-9', others }), /the deposed leader broker-9 is not one of the brokers/);
    assert.throws(() => clusterShape('clients-reach-only-deposed', { brokers: brokers3, leader: 'broker-3', deposed: 'broker-3', others }), (error: Error) => error instanceof ClusterShapeError && /broker-3 leads again, so it is not deposed/.test(error.message));
    assert.throws(() => clusterShape('clients-reach-only-deposed', { brokers: brokers3, deposed: 'broker-3', others }), /needs the leader/);
  });

  test('majorities-ring over 5: each broker reaches a majority, no two the same one, clients untouched', () => {
    const { groups } = clusterShape('majorities-ring', { brokers: brokers5, others });
    const seen = brokers5.map((broker) => reachOf(groups, broker));
    for (const reach of seen) assert.equal(reach.length, majority(5), `${reach.join(',')} is a majority`);
    assert.equal(new Set(seen.map((reach) => reach.join(','))).size, 5, 'five different majorities');
    assert.deepEqual(reachOf(groups, 'broker-1'), ['broker-1', 'broker-2', 'broker-5']);
    assert.ok(!groups.flat().includes('client-1'), 'clients are in no group: untouched');
    assert.equal(cutPairs(groups).length, 5, 'a 5-ring cuts the 5 chords');
  });

  test('majorities-ring over 3 cannot give different majorities: an error; over 7 it can', () => {
    assert.throws(() => clusterShape('majorities-ring', { brokers: brokers3, others }), /at least 4 brokers/);
    const seven = Array.from({ length: 7 }, (_, i) => `broker-${i + 1}`);
    const { groups } = clusterShape('majorities-ring', { brokers: seven, others: [] });
    const seen = seven.map((broker) => reachOf(groups, broker));
    for (const reach of seen) assert.ok(reach.length >= majority(7) && reach.length < 7);
    assert.equal(new Set(seen.map((reach) => reach.join(','))).size, 7);
  });

  test('bridge: the middle broker reaches both halves, the leader\'s half does not reach the other', () => {
    const { groups } = clusterShape('bridge', { brokers: brokers5, leader: 'broker-4', others });
    assert.deepEqual(groups, [
      ['broker-4', 'broker-1', 'broker-2'],
      ['broker-2', 'broker-3', 'broker-5'],
    ]);
    assert.equal(reachOf(groups, 'broker-2').length, 5, 'the bridge reaches everyone');
    assert.deepEqual(reachOf(groups, 'broker-4'), ['broker-1', 'broker-2', 'broker-4'], 'the leader keeps a majority through the bridge');
    const three = clusterShape('bridge', { brokers: brokers3, leader: 'broker-1', others: [] }).groups;
    assert.deepEqual(cutPairs(three), [['broker-1', 'broker-3']]);
    assert.throws(() => clusterShape('bridge', { brokers: ['broker-1', 'broker-2'], others: [] }), /at least 3 brokers/);
  });

  test('random-halves: the same seed draws the same halves, every node on exactly one side', () => {
    const a = clusterShape('random-halves', { brokers: brokers5, others, seed: 42 });
    const b = clusterShape('random-halves', { brokers: brokers5, others, seed: 42 });
    assert.deepEqual(a, b);
    const [first, second] = a.groups;
    assert.deepEqual([...first, ...second].sort(), [...brokers5, ...others].sort());
    assert.equal(first.filter((node) => node.startsWith('broker')).length, 2, 'the smaller half of the brokers first');
    const draws = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => JSON.stringify(clusterShape('random-halves', { brokers: brokers5, others, seed }).groups)));
    assert.ok(draws.size > 1, 'other seeds draw other halves');
  });

  test('cutPairs: pairs that share no group, each once; a shape with one group cuts nothing', () => {
    assert.deepEqual(cutPairs([['a', 'b'], ['b', 'c']]), [['a', 'c']]);
    assert.deepEqual(cutPairs([['a', 'b', 'c']]), []);
    assert.throws(() => clusterShape('bridge', { brokers: ['b1', 'b1', 'b2'], others: [] }), /named twice/);
  });
});
