import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Journal } from '../../reference/journal/journal';
import { HEADER_BYTES } from '../../reference/journal/record-codec';
import { silentLogger } from '../../reference/util/log';
import type { JournalLogger } from '../../reference/journal/journal';
import { capturingLogger, payload, texts, withTempDir } from './helpers';

// Compile-time check: the broker's pino logger is accepted where the journal wants one.
const _pinoFits: JournalLogger = silentLogger();
void _pinoFits;

async function writeRecords(path: string, items: string[]): Promise<void> {
  const { journal } = await Journal.open(path);
  await Promise.all(items.map((item) => journal.append(payload(item))));
  await journal.close();
}

async function reopen(path: string): Promise<string[]> {
  const { journal, records } = await Journal.open(path);
  await journal.close();
  return texts(records);
}

describe('journal', () => {
  test('creates file and directory, and returns appended records in order after reopen', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'nested', 'deeper', 'jobs.journal');
      const { journal, records } = await Journal.open(path);
      assert.deepEqual(records, []);
      for (const item of ['one', 'two', 'three']) await journal.append(payload(item));
      await journal.close();
      assert.deepEqual(await reopen(path), ['one', 'two', 'three']);

      const again = await Journal.open(path);
      await again.journal.append(payload('four'));
      await again.journal.close();
      assert.deepEqual(await reopen(path), ['one', 'two', 'three', 'four']);
    });
  });

  test('a torn tail is truncated to the last whole record, durably, with a warning', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeRecords(path, ['alpha', 'beta', 'gamma']);
      const whole = (await stat(path)).size;
      const keep = 2 * HEADER_BYTES + 'alpha'.length + 'beta'.length;
      await truncate(path, whole - 3); // mid-payload of "gamma"

      const logger = capturingLogger();
      const { journal, records } = await Journal.open(path, { logger });
      assert.deepEqual(texts(records), ['alpha', 'beta']);
      assert.equal((await stat(path)).size, keep);
      assert.equal(logger.lines.length, 1);
      assert.equal(logger.lines[0].level, 'warn');
      assert.match(logger.lines[0].message, new RegExp(`torn record at byte ${keep}.*dropped ${whole - 3 - keep} bytes`));

      // New appends go right after the last whole record, not after the garbage.
      await journal.append(payload('delta'));
      await journal.close();
      assert.deepEqual(await reopen(path), ['alpha', 'beta', 'delta']);
    });
  });

  test('a header cut short is a torn tail too', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeRecords(path, ['alpha', 'beta']);
      const keep = HEADER_BYTES + 'alpha'.length;
      await truncate(path, keep + 3);
      const logger = capturingLogger();
      const { journal, records } = await Journal.open(path, { logger });
      await journal.close();
      assert.deepEqual(texts(records), ['alpha']);
      assert.equal((await stat(path)).size, keep);
      assert.match(logger.lines[0]?.message ?? '', new RegExp(`torn record at byte ${keep}: 3 of ${HEADER_BYTES} header bytes`));
    });
  });

  test('a flipped byte in the last record is detected and that record dropped', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeRecords(path, ['alpha', 'beta', 'gamma']);
      const content = await readFile(path);
      content[content.length - 2] ^= 0x20;
      await writeFile(path, content);
      const keep = 2 * HEADER_BYTES + 'alpha'.length + 'beta'.length;

      const logger = capturingLogger();
      const { journal, records } = await Journal.open(path, { logger });
      await journal.close();
      assert.deepEqual(texts(records), ['alpha', 'beta']);
      assert.equal((await stat(path)).size, keep);
      assert.match(logger.lines[0]?.message ?? '', new RegExp(`checksum mismatch at byte ${keep}`));
      assert.deepEqual(await reopen(path), ['alpha', 'beta']);
    });
  });

  test('group commit: 1000 concurrent appends share a handful of flushes and all survive', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      const items = Array.from({ length: 1000 }, (_, i) => `record-${i}`);
      await Promise.all(items.map((item) => journal.append(payload(item))));
      const stats = journal.stats();
      assert.equal(stats.appends, 1000);
      assert.ok(stats.flushes < stats.appends / 10, `expected batching, got ${stats.flushes} flushes`);
      assert.equal(stats.bytes, (await stat(path)).size);
      await journal.close();
      assert.deepEqual(await reopen(path), items);
    });
  });

  test('appends arriving while a sync is under way form the next batch', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      const first = journal.append(payload('first'));
      // Appended from a later event-loop turn, while the first batch is (likely) being written.
      const later = new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          Promise.all(Array.from({ length: 50 }, (_, i) => journal.append(payload(`later-${i}`)))).then(() => resolve(), reject);
        }),
      );
      await Promise.all([first, later]);
      assert.ok(journal.stats().flushes <= 3, `got ${journal.stats().flushes} flushes for 51 appends`);
      await journal.close();
      assert.equal((await reopen(path)).length, 51);
    });
  });

  test('rewrite keeps exactly the given records, then appends made during it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      for (const item of ['old-1', 'old-2', 'old-3']) await journal.append(payload(item));
      // Queued but not yet written when rewrite() is called: superseded by the rewrite's records,
      // and resolved once the rewritten file is durable.
      const superseded = journal.append(payload('superseded'));
      const rewritten = journal.rewrite([payload('kept-1'), payload('kept-2')]);
      const during = ['during-1', 'during-2', 'during-3'].map((item) => journal.append(payload(item)));
      await Promise.all([rewritten, superseded, ...during]);
      await journal.append(payload('after'));
      await journal.close();
      assert.deepEqual(await reopen(path), ['kept-1', 'kept-2', 'during-1', 'during-2', 'during-3', 'after']);
      assert.equal(journal.size, (await stat(path)).size);
    });
  });

  test('rewrite to nothing leaves an empty journal that still takes appends', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeRecords(path, ['a', 'b']);
      const { journal } = await Journal.open(path);
      await journal.rewrite([]);
      assert.equal((await stat(path)).size, 0);
      await journal.append(payload('c'));
      await journal.close();
      assert.deepEqual(await reopen(path), ['c']);
    });
  });

  test('a second rewrite is refused while one is in progress, and welcome right after', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      const first = journal.rewrite([payload('x')]);
      await assert.rejects(journal.rewrite([payload('y')]), /rewrite is already in progress/);
      await first;
      // Over means over: the next one may start as soon as the caller resumes.
      await journal.rewrite([payload('z')]);
      await journal.close();
      assert.deepEqual(await reopen(path), ['z']);
    });
  });

  test('a failed rewrite leaves the old journal and still writes the appends it superseded', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      await journal.append(payload('old'));
      const queued = journal.append(payload('queued'));
      // The temp file path is taken by a directory, so opening it for writing fails.
      const { mkdir } = await import('node:fs/promises');
      await mkdir(`${path}.rewrite`);
      await assert.rejects(journal.rewrite([payload('replacement')]), /rewrite failed/);
      await queued;
      await journal.append(payload('next'));
      await journal.close();
      const { rm } = await import('node:fs/promises');
      await rm(`${path}.rewrite`, { recursive: true });
      assert.deepEqual(await reopen(path), ['old', 'queued', 'next']);
    });
  });

  test('close flushes appends already made; appends after close reject with a clear message', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      const pending = journal.append(payload('before-close'));
      await journal.close();
      await pending;
      await assert.rejects(journal.append(payload('too late')), /journal .*jobs\.journal is closed: cannot append/);
      await assert.rejects(journal.rewrite([]), /is closed: cannot rewrite/);
      assert.deepEqual(await reopen(path), ['before-close']);
    });
  });

  test('a write error rejects every waiting append and every later one', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      await journal.append(payload('ok'));
      // Pull the file descriptor out from under the journal, as a dying disk or a bug might.
      const internals = journal as unknown as { handle: { close(): Promise<void> } };
      await internals.handle.close();
      const waiting = [journal.append(payload('a')), journal.append(payload('b'))];
      for (const append of waiting) await assert.rejects(append, /journal .*: append failed: /);
      await assert.rejects(journal.append(payload('c')), /append failed/);
      await assert.rejects(journal.rewrite([payload('d')]), /append failed/);
      await journal.close().catch(() => undefined);
      assert.deepEqual(await reopen(path), ['ok']);
    });
  });

  test('an empty payload is refused without disturbing the journal', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const { journal } = await Journal.open(path);
      await assert.rejects(journal.append(Buffer.alloc(0)), /must not be empty/);
      await journal.append(payload('fine'));
      await journal.close();
      assert.deepEqual(await reopen(path), ['fine']);
    });
  });

  test('a leftover temp file from a crashed rewrite is removed on open', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      await writeRecords(path, ['real']);
      await writeFile(`${path}.rewrite`, 'half a compaction');
      assert.deepEqual(await reopen(path), ['real']);
      await assert.rejects(stat(`${path}.rewrite`), /ENOENT/);
    });
  });
});
