import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { PubSubStore, type PutOutcome } from '../../reference/pubsub/store';
import { withTempDir } from '../journal/helpers';

/**
 * Secure mode scopes the dedup table by the putting principal's key (`owner`): otherwise a principal
 * could reuse another's publisher id and message id first, and that one's put would be answered
 * ACCEPTED as a "duplicate" and never delivered.
 */
const OPTIONS = { maxPending: 1_000, dedupRetention: 8, fsync: false };
const A = 'A'.repeat(40);
const B = 'B'.repeat(40);

async function durably(outcome: PutOutcome): Promise<void> {
  assert.notEqual(outcome.outcome, 'busy');
  if (outcome.outcome !== 'busy') await outcome.durable;
}

function answer(outcome: PutOutcome): [string, string?, number?] {
  return outcome.outcome === 'busy' ? [outcome.outcome] : [outcome.outcome, outcome.topic, outcome.seq];
}

test('the same publisher and message id under two owners are two puts, each deduplicated on its own, across reopen and compaction', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'pubsub.journal');
    const store = await PubSubStore.open(path, OPTIONS);
    try {
      assert.deepEqual(answer(store.put('pub-1', 'm-1', 'evil.x', Buffer.from('first, by B'), B)), ['new', 'evil.x', 1]);
      assert.deepEqual(answer(store.put('pub-1', 'm-1', 'prices', Buffer.from('by A'), A)), ['new', 'prices', 1]);
      assert.deepEqual(answer(store.put('pub-1', 'm-1', 'prices', Buffer.from('retry'), A)), ['duplicate', 'prices', 1]);
      assert.deepEqual(answer(store.put('pub-1', 'm-1', 'anything', Buffer.from('unauthenticated'))), ['new', 'anything', 1], 'no owner is an owner of its own');
      await durably(store.put('pub-1', 'm-2', 'prices', Buffer.from('x'), A));
    } finally {
      await store.close();
    }
    const reopened = await PubSubStore.open(path, OPTIONS);
    try {
      assert.deepEqual(answer(reopened.put('pub-1', 'm-1', 'prices', Buffer.from('retry'), A)), ['duplicate', 'prices', 1]);
      assert.deepEqual(answer(reopened.put('pub-1', 'm-1', 'evil.x', Buffer.from('retry'), B)), ['duplicate', 'evil.x', 1]);
      // Enough puts of other ids to compact the file (1024 records, 4× the live ones); A's m-3 comes
      // last, so it is among the 8 ids the dedup table keeps.
      for (let i = 0; i < 1100; i++) reopened.put('pub-2', `n-${i}`, 'other', Buffer.from('x'), B);
      await durably(reopened.put('pub-1', 'm-3', 'prices', Buffer.from('x'), A));
      assert.ok(reopened.stats().compactions >= 1, 'compacted');
    } finally {
      await reopened.close();
    }
    const compacted = await PubSubStore.open(path, OPTIONS);
    try {
      assert.deepEqual(answer(compacted.put('pub-1', 'm-3', 'prices', Buffer.from('retry'), A)), ['duplicate', 'prices', 3], 'the owner came through the snapshot');
      assert.deepEqual(answer(compacted.put('pub-1', 'm-3', 'prices', Buffer.from('not a retry'), B)), ['new', 'prices', 4], 'another owner with the same ids is a new put');
    } finally {
      await compacted.close();
    }
  });
});
