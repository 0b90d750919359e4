import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { scopedJobKey, splitJobKey } from '../../reference/journal/job-key';
import { JobStore, type JobStoreOptions } from '../../reference/journal/job-store';
import { withTempDir } from './helpers';

const OPTIONS: JobStoreOptions = { retentionMs: Number.MAX_SAFE_INTEGER, retentionCount: Number.MAX_SAFE_INTEGER, fsync: false };
const OWNER = 'rq0J3E(fVY2wMx^p/R5)mC?q:w$!7EznDs9CbKx9';

test('a job key is the bare id without an owner, and owner + newline + id with one; both split back', () => {
  assert.equal(scopedJobKey('', 'c1-42'), 'c1-42');
  assert.equal(scopedJobKey(OWNER, 'c1-42'), `${OWNER}\nc1-42`);
  assert.deepEqual(splitJobKey('c1-42'), { owner: '', id: 'c1-42' });
  assert.deepEqual(splitJobKey(`${OWNER}\nc1-42`), { owner: OWNER, id: 'c1-42' });
  assert.notEqual(scopedJobKey(OWNER, 'x'), scopedJobKey('', 'x'));
});

test('a journal with jobs of no owner (as every older journal) and owned jobs reopens with both, each under its own key', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'broker.journal');
    const store = await JobStore.open(path, OPTIONS);
    assert.equal(await store.accept(scopedJobKey('', 'same-id'), 'echo', [Buffer.from('unowned')]), 'new');
    assert.equal(await store.accept(scopedJobKey(OWNER, 'same-id'), 'echo', [Buffer.from('owned')]), 'new');
    await store.complete(scopedJobKey(OWNER, 'same-id'), [Buffer.from('owned result')]);
    await store.close();
    const reopened = await JobStore.open(path, OPTIONS);
    try {
      assert.deepEqual(
        reopened.pending().map((job) => ({ ...splitJobKey(job.job), body: job.body.map(String) })),
        [{ owner: '', id: 'same-id', body: ['unowned'] }],
      );
      assert.deepEqual(reopened.lookup(scopedJobKey(OWNER, 'same-id')), { state: 'completed', reply: [Buffer.from('owned result')] });
    } finally {
      await reopened.close();
    }
  });
});
