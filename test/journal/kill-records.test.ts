import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { JobStore, type JobStoreOptions } from '../../reference/journal/job-store';
import { Journal } from '../../reference/journal/journal';
import { decodeRecords } from '../../reference/journal/record-codec';
import { payload, withTempDir } from './helpers';

/** KHC/1's journal records (docs/journal.md): `kill-pending` and `killed`, written, replayed, compacted. */
const KEEP_ALL: JobStoreOptions = { retentionMs: Number.MAX_SAFE_INTEGER, retentionCount: Number.MAX_SAFE_INTEGER };

async function recordTypes(path: string): Promise<string[]> {
  return decodeRecords(await readFile(path)).records.map((record) => (JSON.parse(record.toString('utf8')) as { type: string }).type);
}

async function reopened<T>(path: string, options: JobStoreOptions, body: (store: JobStore) => Promise<T> | T): Promise<T> {
  const store = await JobStore.open(path, options);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

describe('job store: KHC/1 kill records', () => {
  test('kill-pending is journaled once, survives a restart as a pending job that says so, and is not written for a finished job', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await reopened(path, KEEP_ALL, async (store) => {
        await store.accept('j1', 'echo', [payload('a')]);
        await store.accept('j2', 'echo', [payload('b')]);
        assert.equal(await store.markKillPending('j1'), true);
        assert.equal(await store.markKillPending('j1'), false, 'a second mark writes nothing');
        await store.complete('j2', [payload('B')]);
        assert.equal(await store.markKillPending('j2'), false, 'a completed job cannot become kill-pending');
        assert.equal(await store.markKillPending('nope'), false, 'an unknown job cannot become kill-pending');
      });
      assert.deepEqual(await recordTypes(path), ['accepted', 'accepted', 'kill-pending', 'completed']);
      await reopened(path, KEEP_ALL, (store) => {
        assert.deepEqual(store.lookup('j1'), { state: 'pending', service: 'echo', body: [payload('a')], killPending: true });
        assert.deepEqual(store.pending(), [{ job: 'j1', service: 'echo', body: [payload('a')], killPending: true }]);
      });
    });
  });

  test('killed ends a job: a restart answers it killed, a retry of the id too, and nothing is pending', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await reopened(path, KEEP_ALL, async (store) => {
        await store.accept('j1', 'echo', [payload('a')]);
        await store.markKillPending('j1');
        assert.equal(await store.kill('j1'), true);
        assert.equal(await store.kill('j1'), false, 'killing twice writes nothing');
        assert.equal(await store.complete('j1', [payload('late')]), false, 'a late result does not overwrite the kill');
        await store.accept('j2', 'echo', [payload('b')]);
        assert.equal(await store.kill('j2'), true, 'a queued job is killed without kill-pending');
      });
      assert.deepEqual(await recordTypes(path), ['accepted', 'kill-pending', 'killed', 'accepted', 'killed']);
      await reopened(path, KEEP_ALL, async (store) => {
        assert.deepEqual(store.lookup('j1'), { state: 'killed' });
        assert.deepEqual(store.lookup('j2'), { state: 'killed' });
        assert.deepEqual(store.pending(), []);
        assert.equal(await store.accept('j1', 'echo', [payload('again')]), 'killed');
      });
    });
  });

  test('compaction keeps kill-pending for a pending job and killed while retained; retention forgets a killed job like a completed one', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      let time = 1_000;
      const options: JobStoreOptions = { retentionMs: 500, retentionCount: 100, now: () => time };
      await reopened(path, options, async (store) => {
        await store.accept('pending', 'echo', [payload('p')]);
        await store.markKillPending('pending');
        await store.accept('killed', 'echo', [payload('k')]);
        await store.kill('killed');
        await store.compact();
      });
      assert.deepEqual(await recordTypes(path), ['accepted', 'accepted', 'kill-pending', 'killed']);
      await reopened(path, options, (store) => {
        assert.equal(store.lookup('pending')?.state, 'pending');
        assert.deepEqual(store.pending().map((job) => job.killPending), [true]);
        assert.deepEqual(store.lookup('killed'), { state: 'killed' });
        time += 1_000;
        assert.equal(store.expire(), 1);
        assert.equal(store.lookup('killed'), undefined);
      });
    });
  });

  test('a journal written before KHC/1 still reads, and a malformed kill record is refused with its index', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await reopened(path, KEEP_ALL, async (store) => {
        await store.accept('old', 'echo', [payload('o')]);
        await store.complete('old', [payload('O')]);
      });
      await reopened(path, KEEP_ALL, (store) => assert.equal(store.lookup('old')?.state, 'completed'));
      const { journal } = await Journal.open(path);
      await journal.append(Buffer.from(JSON.stringify({ type: 'killed', job: 'old' })));
      await journal.close();
      await assert.rejects(JobStore.open(path, KEEP_ALL), /record 2 is a malformed "killed" record/);
    });
  });
});
