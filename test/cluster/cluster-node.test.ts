import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { freePort } from '../../harness/runtime/ports';
import { ClusterNode } from '../../reference/cluster/cluster-node';
import type { ClusterMember } from '../../reference/cluster/cluster-members';
import { silentLogger } from '../../reference/util/log';
import { sleep } from '../reference/helpers';

/**
 * One cluster node with real files and sockets (a one-voter cluster commits on its own disk): the
 * job store writes through the replicated log, compaction folds the log into a snapshot of the store's
 * live records, and a restart from the data dir rebuilds the same table.
 */
describe('ClusterNode: durable log, compaction, restart', { timeout: 20_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startNode(self: ClusterMember, dataDir: string): Promise<ClusterNode> {
    const node = await ClusterNode.start({ self, members: [self], join: false, dataDir, electionTimeoutMs: 100, heartbeatMs: 20, fsync: true, store: { retentionMs: 60_000, retentionCount: 1_000 }, log: silentLogger(), compactEvery: 20 });
    const deadline = Date.now() + 5_000;
    while (!node.isServing && Date.now() < deadline) await sleep(10);
    assert.ok(node.isServing, 'a one-voter cluster leads on its own within the bound');
    return node;
  }

  it('acknowledges after commit, compacts into a snapshot of the live records, and recovers them after a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'keelhaul-cluster-node-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const self: ClusterMember = { id: 'solo', client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}` };
    const first = await startNode(self, dataDir);
    for (let n = 0; n < 30; n++) assert.equal(await first.store.accept(`job-${n}`, 'echo', [Buffer.from(`body-${n}`)]), 'new');
    for (let n = 0; n < 10; n++) assert.equal(await first.store.complete(`job-${n}`, [Buffer.from(`reply-${n}`)]), true);
    const deadline = Date.now() + 3_000;
    while (first.status().snapshot === 0 && Date.now() < deadline) {
      await first.store.compact();
      await sleep(20);
    }
    const before = first.status();
    assert.ok(before.snapshot > 0, `the log was compacted (snapshot at ${before.snapshot}, applied ${before.applied})`);
    await first.close();
    const second = await startNode(self, dataDir);
    cleanups.push(() => second.close());
    assert.equal(second.store.pending().length, 20);
    assert.deepEqual(second.store.lookup('job-3'), { state: 'completed', reply: [Buffer.from('reply-3')] });
    assert.equal(second.store.lookup('job-29')?.state, 'pending');
    assert.ok(second.status().term > before.term, 'the restarted node campaigns in a later term than the one it persisted');
  });
});
