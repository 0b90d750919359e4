import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterShape } from '../../harness/nemesis/cluster-shape';
import { withFaultAnnotation } from '../../harness/nemesis/fault-annotation';
import { HistoryRecorder } from '../../harness/history/recorder';
import { Nemesis } from '../../harness/nemesis/nemesis';
import type { Runtime } from '../../harness/runtime/runtime';
import type { System } from '../../harness/systems/system';
import { Inconclusive } from '../../harness/verdict/inconclusive';
import { withLink } from './link-setup';

/**
 * The `{ groups }` selector on real fault-proxy links: the links of a three-broker cluster (each
 * replica dialling the others' replication endpoints, a client and a worker dialling every replica)
 * are created on the built-in fault proxy, and a leader-isolated shape picks exactly the links
 * between nodes that share no group. The start event carries the annotation the nemesis gives it.
 */
describe('cluster partitions on the fault proxy', () => {
  test('leader-isolated selects the links between the sides, both ways, and nothing within a side', async () => {
    await withLink(async ({ nemesis, network, history }) => {
      const brokers = ['broker-1', 'broker-2', 'broker-3'];
      const upstream = 'tcp://127.0.0.1:9';
      for (const from of brokers) for (const to of brokers) if (from !== to) await network.link(from, to, upstream);
      for (const node of ['client-1', 'worker-1']) for (const to of brokers) await network.link(node, to, upstream);
      const { groups } = clusterShape('leader-isolated', { brokers, leader: 'broker-2', others: ['client-1', 'worker-1'] });
      const selected = nemesis.select({ groups }).map((link) => link.name).sort();
      assert.deepEqual(selected, ['broker-1->broker-2', 'broker-2->broker-1', 'broker-2->broker-3', 'broker-3->broker-2', 'client-1->broker-1', 'client-1->broker-3', 'worker-1->broker-2'].sort());
      const active = await withFaultAnnotation({ leader: 'broker-2', term: 4, partition: { shape: 'leader-isolated', groups } }, () => nemesis.begin({ kind: 'partition' }, { groups }));
      assert.equal(active.event.effect?.leader, 'broker-2');
      assert.equal(active.event.effect?.term, 4);
      assert.deepEqual(active.event.effect?.partition?.groups, groups);
      assert.equal(active.event.effect?.links?.length, 7);
      await active.heal();
      assert.ok(history.events().some((event) => event.type === 'nemesis' && event.phase === 'end' && event.id === active.event.id));
    });
  });

  test('clients-reach-only-deposed when the deposed broker leads again: INCONCLUSIVE (the condition was not made), nothing cut', async () => {
    const leadsAgain = { names: ['broker-1', 'broker-2', 'broker-3'], others: ['client-1', 'worker-1'], leader: async () => ({ leader: 'broker-3', term: 3 }) };
    const history = new HistoryRecorder();
    // No network: a partition that got as far as the links would fail for want of one, not as INCONCLUSIVE.
    const nemesis = new Nemesis({ kind: 'process' } as Runtime, () => [{ nodes: [], replicaSet: leadsAgain } as unknown as System], history);
    await assert.rejects(
      nemesis.invoke({ kind: 'cluster-partition', shape: 'clients-reach-only-deposed', deposed: 'broker-3', durationMs: 100 }),
      (error: unknown) => error instanceof Inconclusive && /broker-3 leads again, so it is not deposed/.test(error.message),
    );
    await assert.rejects(
      nemesis.invoke({ kind: 'cluster-partition', shape: 'clients-reach-only-deposed', durationMs: 100 }),
      (error: unknown) => !(error instanceof Inconclusive) && /needs the deposed leader, and none was named/.test((error as Error).message),
      'a step that names no deposed leader is a harness error, not an INCONCLUSIVE run',
    );
    assert.equal(history.events().length, 0);
  });

  test('groups that cut no existing link are an error, not a fault on nothing', async () => {
    await withLink(async ({ nemesis }) => {
      assert.throws(() => nemesis.select({ groups: [['broker-1'], ['broker-2']] }), /no link runs between nodes that share no group/);
    });
  });
});
