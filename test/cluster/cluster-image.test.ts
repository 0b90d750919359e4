import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { freePort } from '../../harness/runtime/ports';
import { ClusterImageError, decodeClusterImage, encodeClusterImage, encodeClusterImageInSlices } from '../../reference/cluster/cluster-image';
import type { ClusterMember } from '../../reference/cluster/cluster-members';
import { ClusterNode } from '../../reference/cluster/cluster-node';
import { decodeRaftMessage, encodeRaftMessage, encodeSnapshot } from '../../reference/cluster/raft-message-codec';
import { RaftStorage } from '../../reference/cluster/raft-storage';
import { JournalWriteRefused } from '../../reference/journal/journal';
import { JobStore, MemoryLog, type JobStoreOptions, type RecordLog } from '../../reference/journal/job-store';
import type { Snapshot } from '../../reference/replication/snapshot';
import { silentLogger } from '../../reference/util/log';
import { sleep } from '../reference/helpers';

const KEEP_ALL: JobStoreOptions = { retentionMs: Number.MAX_SAFE_INTEGER, retentionCount: Number.MAX_SAFE_INTEGER };
const MEMBERS: ClusterMember[] = [
  { id: 'b1', client: 'tcp://127.0.0.1:5001', replication: 'tcp://127.0.0.1:6001' },
  { id: 'b2', client: 'tcp://127.0.0.1:5002', replication: 'tcp://127.0.0.1:6002' },
];

/** The image as nodes before the binary format wrote it: every record base64'd in one JSON object. */
function legacyImage(records: readonly Buffer[], members: readonly ClusterMember[]): Buffer {
  return Buffer.from(JSON.stringify({ records: records.map((record) => record.toString('base64')), members }), 'utf8');
}

/** A record log that keeps what is appended: the records a follower would apply, in order. */
class CapturingLog implements RecordLog {
  readonly path = '(captured)';
  readonly appended: Buffer[] = [];
  refuseNext = false;
  append(payload: Buffer): Promise<void> {
    if (this.refuseNext) {
      this.refuseNext = false;
      const cause = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return Promise.reject(new JournalWriteRefused(this.path, 'ENOSPC', cause));
    }
    this.appended.push(payload);
    return Promise.resolve();
  }
  rewrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  stats(): ReturnType<RecordLog['stats']> {
    return { appends: this.appended.length, flushes: 0, bytes: 0 };
  }
}

/** A table with every kind of job: pending (one with a client, one kill-pending), completed, abandoned, given up, killed. */
async function mixedTable(log: RecordLog): Promise<JobStore> {
  let clock = 1_000;
  const store = JobStore.fromRecords(log, { ...KEEP_ALL, now: () => clock++ }, []);
  for (let n = 0; n < 12; n++) await store.accept(`job-${n}`, 'echo', [Buffer.from(`body-${n}`)], n === 1 ? Buffer.from([1, 2, 3]) : undefined);
  await store.complete('job-0', [Buffer.from('reply-0'), Buffer.alloc(64, 0x61)]);
  await store.complete('job-1', [Buffer.from('reply-1')]);
  await store.abandon('job-2');
  await store.giveUp('job-3');
  await store.markKillPending('job-4');
  await store.kill('job-4');
  await store.markKillPending('job-5');
  await store.complete('job-7', []);
  await store.forget('job-7');
  await store.complete('job-6', [Buffer.from('reply-6')]);
  return store;
}

/** What the mixed table's jobs look like in `store` (other jobs may follow them). */
function table(store: JobStore): unknown {
  return { pending: store.pending().filter((job) => job.job.startsWith('job-')), lookups: Array.from({ length: 12 }, (_, n) => store.lookup(`job-${n}`)) };
}

describe('cluster image', () => {
  it('round-trips records and members in the binary format, records as views into the image', () => {
    const records = [Buffer.from('{"type":"accepted"}'), Buffer.alloc(0), Buffer.from([0, 255, 1, 254]), Buffer.alloc(70_000, 7)];
    const image = encodeClusterImage({ records, members: MEMBERS });
    assert.equal(image.subarray(0, 4).toString('latin1'), 'KHI\u0001', 'magic and version byte first');
    const decoded = decodeClusterImage(image);
    assert.deepEqual(decoded.records, records);
    assert.deepEqual(decoded.members, MEMBERS);
    assert.equal(decoded.records[3].buffer, image.buffer, 'a record is not copied out of the image');
    assert.deepEqual(decodeClusterImage(encodeClusterImage({ records: [], members: [] })), { records: [], members: [] });
    assert.deepEqual(decodeClusterImage(Buffer.alloc(0)), { records: [], members: [] }, 'the boot snapshot holds no image');
  });

  it('in slices, with the event loop free in between: the same bytes', async () => {
    const records = Array.from({ length: 1_000 }, (_, n) => Buffer.from(`{"record":${n}}`));
    let pauses = 0;
    const sliced = await encodeClusterImageInSlices({ records, members: MEMBERS }, 64, async () => {
      pauses++;
      await new Promise((resolve) => setImmediate(resolve));
    });
    assert.deepEqual(sliced, encodeClusterImage({ records, members: MEMBERS }));
    assert.equal(pauses, Math.ceil(1_000 / 64) - 1, 'a pause between slices, none after the last');
  });

  it('reads the JSON image older nodes wrote (their data dirs, their InstallSnapshot)', async () => {
    const store = await mixedTable(new MemoryLog());
    const records = store.liveRecordPayloads();
    const old = legacyImage(records, MEMBERS);
    assert.deepEqual(decodeClusterImage(old), { records, members: MEMBERS });
    // What a follower of the new version receives from an older leader: the snapshot message, as the old image.
    const message = decodeRaftMessage(encodeRaftMessage({ type: 'snapshot', from: 'b1', to: 'b2', term: 3, round: 1, snapshot: { index: 40, term: 3, voters: ['b1', 'b2'], data: old } }));
    assert.equal(message.type, 'snapshot');
    const installed = JobStore.fromRecords(new MemoryLog(), KEEP_ALL, decodeClusterImage(message.type === 'snapshot' ? message.snapshot.data : Buffer.alloc(0)).records);
    assert.deepEqual(table(installed), table(store));
  });

  it('refuses a truncated or damaged image with a ClusterImageError saying what is wrong, never a crash', () => {
    const image = encodeClusterImage({ records: [Buffer.from('{"a":1}'), Buffer.from('{"b":2}')], members: MEMBERS });
    for (let cut = 1; cut < image.length; cut++) {
      assert.throws(() => decodeClusterImage(image.subarray(0, cut)), (error: unknown) => error instanceof ClusterImageError && /malformed cluster image: /.test(error.message), `cut at ${cut} of ${image.length}`);
    }
    const cases: [Buffer, RegExp][] = [
      [Buffer.concat([image, Buffer.from([0])]), /1 bytes after the members/],
      [Buffer.from('KHX\u0001\u0000\u0000\u0000\u0000', 'latin1'), /neither a binary image \(KHI\) nor a JSON one/],
      [Buffer.concat([Buffer.from('KHI\u0009', 'latin1'), image.subarray(4)]), /version 9, this node reads version 1/],
      [Buffer.from('KHI\u0001\u00ff\u00ff\u00ff\u00ff', 'latin1'), /4294967295 records declared in 8 bytes/],
      [image.subarray(0, 16), /cut short at byte 8: record 0 of 2 declares 7 bytes, 4 follow/],
      [Buffer.from('{"records":["e30="'), /a JSON image that does not parse/],
      [Buffer.from('{"members":[]}'), /a JSON image without a records array/],
      [Buffer.from('{"records":[],"members":[{"id":"b 1"}]}'), /a member that is not one/],
    ];
    for (const [bytes, reason] of cases) assert.throws(() => decodeClusterImage(bytes), reason);
  });

  it('a finished job keeps its encoded records: what a compaction writes rebuilds the same table, on the leader and on a follower', async () => {
    const leaderLog = new CapturingLog();
    const leader = await mixedTable(leaderLog);
    const image = leader.liveRecordPayloads();
    // A follower folds in every record the leader wrote, one at a time, as a cluster follower applies them.
    const follower = JobStore.fromRecords(new MemoryLog(), KEEP_ALL, []);
    for (const record of leaderLog.appended) follower.applyRecord(record);
    assert.deepEqual(follower.liveRecordPayloads(), image, "a follower's compaction writes the leader's records");
    const installed = JobStore.fromRecords(new MemoryLog(), KEEP_ALL, decodeClusterImage(encodeClusterImage({ records: image, members: [] })).records);
    assert.deepEqual(table(installed), table(leader));
    assert.deepEqual(installed.liveRecordPayloads(), image, 'an installed image compacts into itself');
    // The records kept are copies: the image they were read from is not kept alive by them.
    assert.ok(installed.liveRecordPayloads().every((record) => record.buffer.byteLength < 65_536));
  });

  it('a finish the disk refused compacts as the pending job it still is, body and all', async () => {
    const log = new CapturingLog();
    const store = JobStore.fromRecords(log, { ...KEEP_ALL, now: () => 5 }, []);
    await store.accept('job-a', 'echo', [Buffer.from('body-a')]);
    log.refuseNext = true;
    await assert.rejects(store.complete('job-a', [Buffer.from('reply-a')]), JournalWriteRefused);
    const rebuilt = JobStore.fromRecords(new MemoryLog(), KEEP_ALL, store.liveRecordPayloads());
    assert.deepEqual(rebuilt.lookup('job-a'), { state: 'pending', service: 'echo', body: [Buffer.from('body-a')] });
    assert.equal(store.liveRecordPayloads().length, 1, 'only the acceptance, with its body');
  });
});

describe('snapshot file', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'keelhaul-snapshot-file-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it('persists a snapshot as snapshot.bin and reopens it; an older snapshot.json goes once it is replaced', async () => {
    const dir = await dataDir();
    const older: Snapshot = { index: 3, term: 1, voters: ['b1'], data: legacyImage([Buffer.from('{"x":1}')], MEMBERS) };
    await writeFile(path.join(dir, 'snapshot.json'), JSON.stringify(encodeSnapshot(older)));
    const first = await RaftStorage.open(dir, ['b1'], { fsync: false });
    assert.deepEqual(first.currentSnapshot(), older, "an older node's snapshot.json is read");
    const snapshot: Snapshot = { index: 9, term: 2, voters: ['b1', 'b2'], data: encodeClusterImage({ records: [Buffer.from('{"y":2}')], members: MEMBERS }) };
    await first.persist({ snapshot });
    await first.close();
    assert.deepEqual((await readdir(dir)).sort(), ['raft-log.journal', 'snapshot.bin'], 'snapshot.json removed, no temporary file left behind');
    const second = await RaftStorage.open(dir, ['b1'], { fsync: false });
    assert.deepEqual(second.currentSnapshot(), snapshot);
    await second.close();
  });

  it('a damaged snapshot.bin stops the open with the file named and what is wrong', async () => {
    const dir = await dataDir();
    const storage = await RaftStorage.open(dir, ['b1'], { fsync: false });
    await storage.persist({ snapshot: { index: 2, term: 1, voters: ['b1'], data: encodeClusterImage({ records: [Buffer.from('{"z":3}')], members: [] }) } });
    await storage.close();
    const file = path.join(dir, 'snapshot.bin');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(RaftStorage.open(dir, ['b1'], { fsync: false }), /snapshot\.bin is damaged \(the header declares \d+ image bytes, \d+ follow\): remove the data dir/);
    await writeFile(file, Buffer.from('{"index":2}'));
    await assert.rejects(RaftStorage.open(dir, ['b1'], { fsync: false }), /snapshot\.bin is damaged \(not a snapshot file/);
  });

  it("a cluster node upgraded in place starts from an older node's snapshot.json and JSON image, then compacts into the binary ones", { timeout: 20_000 }, async () => {
    const dir = await dataDir();
    const source = await mixedTable(new MemoryLog());
    const self: ClusterMember = { id: 'solo', client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}` };
    const older: Snapshot = { index: 5, term: 1, voters: ['solo'], data: legacyImage(source.liveRecordPayloads(), [self]) };
    await writeFile(path.join(dir, 'snapshot.json'), JSON.stringify(encodeSnapshot(older)));
    const start = async (): Promise<ClusterNode> => {
      const node = await ClusterNode.start({ self, members: [self], join: false, dataDir: dir, electionTimeoutMs: 100, heartbeatMs: 20, fsync: false, store: KEEP_ALL, log: silentLogger(), compactEvery: 4 });
      const deadline = Date.now() + 5_000;
      while (!node.isServing && Date.now() < deadline) await sleep(10);
      assert.ok(node.isServing, 'a one-voter cluster leads on its own within the bound');
      return node;
    };
    const first = await start();
    assert.deepEqual(table(first.store), table(source), 'the table of the older image');
    for (let n = 0; n < 8; n++) await first.store.accept(`new-${n}`, 'echo', [Buffer.from(`body-${n}`)]);
    const deadline = Date.now() + 5_000;
    while (first.status().snapshot <= older.index && Date.now() < deadline) {
      await first.store.compact();
      await sleep(20);
    }
    assert.ok(first.status().snapshot > older.index, `compacted past the older snapshot (at ${first.status().snapshot})`);
    await first.close();
    const files = await readdir(dir);
    assert.ok(files.includes('snapshot.bin') && !files.includes('snapshot.json'), `the binary snapshot replaced the JSON one (${files.join(', ')})`);
    assert.equal((await readFile(path.join(dir, 'snapshot.bin'))).subarray(0, 3).toString('latin1'), 'KHS');
    const second = await start();
    cleanups.push(() => second.close());
    assert.deepEqual(table(second.store), table(source), 'the older jobs survive the new format');
    assert.equal(second.store.lookup('new-7')?.state, 'pending');
  });
});
