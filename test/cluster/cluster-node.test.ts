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

  async function startNode(self: ClusterMember, dataDir: string, fsync = true): Promise<ClusterNode> {
    const node = await ClusterNode.start({ self, members: [self], join: false, dataDir, electionTimeoutMs: 100, heartbeatMs: 20, fsync, store: { retentionMs: 60_000, retentionCount: 1_000 }, log: silentLogger(), compactEvery: 20 });
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

  it('compacts less often as the table grows: after as many entries as the last image held records, not every compactEvery', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'keelhaul-cluster-node-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const self: ClusterMember = { id: 'solo', client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}` };
    // Without fsync: what is counted here is compactions, not durability, and a loaded disk would only slow it.
    const node = await startNode(self, dataDir, false);
    cleanups.push(() => node.close());
    const snapshots = new Set<number>();
    // Every job stays live (retention keeps them all), so each entry adds a record to the next image.
    // Asked to compact after every entry, with compactEvery 20, the node made 12 compactions of 120
    // entries under the old rule (one per 10 entries, each encoding the whole table); the doubling rule
    // waits for half the last image's records each time (10, 20, 30, 45, 67, 100): about 6.
    for (let n = 0; n < 120; n++) {
      assert.equal(await node.store.accept(`job-${n}`, 'echo', [Buffer.from(`body-${n}`)]), 'new');
      await node.store.compact();
      await sleep(5);
      snapshots.add(node.status().snapshot);
    }
    snapshots.delete(0);
    assert.ok(snapshots.size >= 3, `the log was compacted as it grew (snapshots at ${[...snapshots].join(', ')})`);
    assert.ok(snapshots.size <= 8, `a few compactions, not one per 10 entries (snapshots at ${[...snapshots].join(', ')})`);
    const gaps = [...snapshots].sort((a, b) => a - b).map((index, at, all) => index - (all[at - 1] ?? 0));
    assert.ok(gaps[gaps.length - 1]! > 20, `the gap between compactions grew past compactEvery's half, 10 (gaps ${gaps.join(', ')})`);
  });
});
