import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { JournalCorruptError } from '../../reference/journal/journal';
import { JobStore, type JobStoreOptions } from '../../reference/journal/job-store';
import { LEGACY_HEADER_BYTES } from '../../reference/journal/record-codec';
import { PubSubStore } from '../../reference/pubsub/store';
import { capturingLogger, withTempDir } from './helpers';

/**
 * Damage to a real journal written by the real store: flipped bytes at the start, in the middle and
 * at the end. Damage before the last record refuses the open (with the offset and the repair
 * command); a repair keeps every intact record and says how many were lost; a bad last record is a
 * torn tail, cut off with a warning.
 */

const OPTIONS: JobStoreOptions = { retentionMs: Number.MAX_SAFE_INTEGER, retentionCount: Number.MAX_SAFE_INTEGER, fsync: false, compactionMinRecords: 1_000_000 };
const JOBS = 2_000;
const BIN = resolve(__dirname, '../../../bin/keelhaul.js');
const execFileAsync = promisify(execFile);

async function writeJournal(path: string): Promise<void> {
  const store = await JobStore.open(path, OPTIONS);
  await Promise.all(Array.from({ length: JOBS }, (_, index) => store.accept(`job-${index}`, 'echo', [Buffer.from(`body ${index}`)])));
  await store.close();
}

async function flip(path: string, at: (length: number) => number, count = 1): Promise<number> {
  const content = await readFile(path);
  const start = at(content.length);
  for (let index = 0; index < count; index += 1) content[start + index] ^= 0x5a;
  await writeFile(path, content);
  return start;
}

/** How many of the written jobs the store knows (never 'new': a known job answers its state). */
async function jobsKnown(store: JobStore): Promise<number> {
  return store.pending().length;
}

describe('journal damage', () => {
  test('a flipped byte at the start refuses the open with the offset and the repair command', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeJournal(path);
      await flip(path, () => 20);
      await assert.rejects(JobStore.open(path, OPTIONS), (error: unknown) => {
        assert.ok(error instanceof JournalCorruptError);
        assert.equal(error.offset, 0);
        assert.match(error.message, /damaged at byte 0: checksum mismatch/);
        assert.match(error.message, new RegExp(`keelhaul broker --journal ${path} --repair`));
        return true;
      });
    });
  });

  test('16 flipped bytes in the middle refuse the open; the repair keeps every other job and counts the lost ones', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeJournal(path);
      const at = await flip(path, (length) => Math.floor(length / 2), 16);
      await assert.rejects(JobStore.open(path, OPTIONS), (error: unknown) => error instanceof JournalCorruptError && error.offset <= at && error.resyncAt !== undefined && error.resyncAt > at);

      const report = await JobStore.repair(path, { fsync: false });
      assert.equal(report.damaged.length, 1);
      assert.ok(report.lostRecords !== undefined && report.lostRecords >= 1 && report.lostRecords <= 2, `lost ${report.lostRecords}`);
      assert.equal(report.keptRecords + (report.lostRecords ?? 0), JOBS);
      assert.ok((await readdir(dir)).some((name) => name.startsWith('jobs.journal.damaged-')), 'the original is kept aside');

      const store = await JobStore.open(path, OPTIONS);
      try {
        assert.equal(await jobsKnown(store), report.keptRecords);
        assert.equal(await store.accept(`job-${JOBS - 1}`, 'echo', []), 'pending');
      } finally {
        await store.close();
      }
    });
  });

  test('a flipped byte in the last record is a torn tail: that record is dropped with a warning, the rest open', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeJournal(path);
      await flip(path, (length) => length - 3);
      const logger = capturingLogger();
      const store = await JobStore.open(path, { ...OPTIONS, logger });
      try {
        assert.equal(await jobsKnown(store), JOBS - 1);
        assert.match(logger.lines[0]?.message ?? '', /journal tail truncated: checksum mismatch/);
      } finally {
        await store.close();
      }
    });
  });

  test('a format-1 journal is read and converted; a damaged one is refused, not cut short', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const legacyRecord = (job: string): Buffer => {
        const body = Buffer.from(JSON.stringify({ type: 'accepted', job, service: 'echo', body: [], at: 1 }));
        const header = Buffer.alloc(LEGACY_HEADER_BYTES);
        header.writeUInt32LE(body.length, 0);
        header.writeUInt32LE(crc32(body), 4);
        return Buffer.concat([header, body]);
      };
      const legacy = Buffer.concat(['a', 'b', 'c'].map(legacyRecord));
      await writeFile(path, legacy);
      const store = await JobStore.open(path, OPTIONS);
      assert.deepEqual(store.pending().map((job) => job.job), ['a', 'b', 'c']);
      await store.accept('d', 'echo', []);
      await store.close();
      const reopened = await JobStore.open(path, OPTIONS);
      assert.deepEqual(reopened.pending().map((job) => job.job), ['a', 'b', 'c', 'd']);
      await reopened.close();

      const damaged = Buffer.from(legacy);
      damaged[LEGACY_HEADER_BYTES + 3] ^= 0x01;
      await writeFile(path, damaged);
      await assert.rejects(JobStore.open(path, OPTIONS), /damaged at byte 0: checksum mismatch.*format 1/);
    });
  });

  test('the pub/sub store refuses a damaged journal with its own repair command', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const store = await PubSubStore.open(path, { fsync: false, maxPending: 100 });
      for (let index = 0; index < 50; index += 1) await store.subscribe(`sub-${index}`, 'news').durable;
      await store.close();
      await flip(path, () => 30);
      await assert.rejects(PubSubStore.open(path, { fsync: false, maxPending: 100 }), /keelhaul pubsub-proxy --journal .* --repair/);
    });
  });

  test('the broker command refuses a damaged journal (exit 65), and --repair says loudly what was lost', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeJournal(path);
      await flip(path, (length) => Math.floor(length / 3), 16);
      const refused = await execFileAsync(process.execPath, [BIN, 'broker', '--endpoint', 'tcp://127.0.0.1:0', '--journal', path], { timeout: 20_000 }).then(
        () => assert.fail('the broker started on a damaged journal'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(refused.code, 65);
      assert.match(refused.stderr, /is damaged at byte \d+: .*Repair with: keelhaul broker --journal .* --repair/);

      const repaired = await execFileAsync(process.execPath, [BIN, 'broker', '--journal', path, '--repair'], { timeout: 20_000 });
      assert.match(repaired.stderr, /LOST: [12] record\(s\) could not be recovered/);
      const store = await JobStore.open(path, OPTIONS);
      await store.close();
    });
  });
});
