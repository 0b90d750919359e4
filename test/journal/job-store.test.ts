import assert from 'node:assert/strict';
import { copyFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { JobStore, type JobStoreLogger, type JobStoreOptions } from '../../reference/journal/job-store';
import { decodeRecords, encodeRecord } from '../../reference/journal/record-codec';
import { silentLogger } from '../../reference/util/log';
import { prng } from '../support/prng';
import { capturingLogger, payload, withTempDir } from './helpers';

// Compile-time check: the broker's pino logger is accepted where the store wants one.
const _pinoFits: JobStoreLogger = silentLogger();
void _pinoFits;

const KEEP_ALL: JobStoreOptions = { retentionMs: Number.MAX_SAFE_INTEGER, retentionCount: Number.MAX_SAFE_INTEGER };

const frames = (...items: string[]): Buffer[] => items.map(payload);

/** A clock the test moves by hand. */
function manualClock(start = 1_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('job store', () => {
  test('accept, lookup, complete: the basic life of a job', async () => {
    await withTempDir(async (dir) => {
      const store = await JobStore.open(join(dir, 'jobs.journal'), KEEP_ALL);
      try {
        assert.equal(store.lookup('j1'), undefined);
        assert.equal(await store.accept('j1', 'echo', frames('hello', 'world'), Buffer.from([0, 1, 0xfe])), 'new');
        assert.deepEqual(store.lookup('j1'), {
          state: 'pending',
          service: 'echo',
          body: frames('hello', 'world'),
          client: Buffer.from([0, 1, 0xfe]),
        });
        assert.equal(await store.complete('j1', frames('HELLO')), true);
        assert.deepEqual(store.lookup('j1'), { state: 'completed', reply: frames('HELLO') });
        // A duplicate reply neither succeeds nor overwrites; an unknown job is refused.
        assert.equal(await store.complete('j1', frames('other')), false);
        assert.deepEqual(store.lookup('j1'), { state: 'completed', reply: frames('HELLO') });
        assert.equal(await store.complete('nope', frames('x')), false);
      } finally {
        await store.close();
      }
    });
  });

  test('a known job id is answered from its record and not journaled again', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const store = await JobStore.open(path, KEEP_ALL);
      try {
        await store.accept('j1', 'echo', frames('a'));
        const afterAccept = (await stat(path)).size;
        assert.equal(await store.accept('j1', 'echo', frames('a')), 'pending');
        assert.equal((await stat(path)).size, afterAccept);

        await store.complete('j1', frames('A'));
        const afterComplete = (await stat(path)).size;
        assert.equal(await store.accept('j1', 'echo', frames('a')), 'completed');
        assert.equal(await store.accept('j1', 'other-service', frames('b')), 'completed');
        assert.equal((await stat(path)).size, afterComplete);
        assert.deepEqual(store.lookup('j1'), { state: 'completed', reply: frames('A') });
      } finally {
        await store.close();
      }
    });
  });

  test('duplicate accepts racing in the same tick write one record; the loser waits for it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const store = await JobStore.open(path, KEEP_ALL);
      const outcomes = await Promise.all([
        store.accept('j1', 'echo', frames('a')),
        store.accept('j1', 'echo', frames('a')),
        store.accept('j1', 'echo', frames('a')),
      ]);
      await store.close();
      assert.deepEqual(outcomes, ['new', 'pending', 'pending']);
      const reopened = await JobStore.open(path, KEEP_ALL);
      await reopened.close();
      assert.equal(reopened.size, 1);
    });
  });

  test('a restart rebuilds pending jobs in acceptance order and completed jobs with their replies', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const store = await JobStore.open(path, KEEP_ALL);
      await store.accept('a', 'svc', frames('body-a'), Buffer.from('c1'));
      await store.accept('b', 'svc', frames('body-b'));
      await store.accept('c', 'other', frames('body-c', ''));
      await store.complete('b', frames('reply-b', 'more'));
      await store.close();

      const reopened = await JobStore.open(path, KEEP_ALL);
      try {
        assert.deepEqual(reopened.pending(), [
          { job: 'a', service: 'svc', body: frames('body-a'), client: Buffer.from('c1') },
          { job: 'c', service: 'other', body: frames('body-c', '') },
        ]);
        assert.deepEqual(reopened.lookup('b'), { state: 'completed', reply: frames('reply-b', 'more') });
        assert.equal(await reopened.accept('b', 'svc', frames('body-b')), 'completed');
        assert.equal(await reopened.complete('a', frames('reply-a')), true);
      } finally {
        await reopened.close();
      }
    });
  });

  test('expire by time forgets completed jobs past retention, never pending ones, and for good', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const clock = manualClock();
      const options: JobStoreOptions = { retentionMs: 15, retentionCount: 100, now: clock.now };
      const store = await JobStore.open(path, options);
      for (const job of ['old', 'mid', 'new', 'pending']) await store.accept(job, 'svc', frames(job));
      await store.complete('old', frames('r-old'));
      clock.advance(10);
      await store.complete('mid', frames('r-mid'));
      clock.advance(10);
      await store.complete('new', frames('r-new'));
      clock.advance(10); // ages: old 30, mid 20, new 10; pending is not completed at all
      assert.equal(store.expire(), 2);
      assert.equal(store.lookup('old'), undefined);
      assert.equal(store.lookup('mid'), undefined);
      assert.deepEqual(store.lookup('new'), { state: 'completed', reply: frames('r-new') });
      clock.advance(1_000);
      assert.equal(store.expire(), 1);
      assert.equal(store.lookup('new'), undefined);
      assert.equal(store.lookup('pending')?.state, 'pending');
      await store.close();

      // Forgotten is durable: a restart with generous retention does not bring them back.
      const reopened = await JobStore.open(path, KEEP_ALL);
      await reopened.close();
      assert.equal(reopened.lookup('old'), undefined);
      assert.equal(reopened.lookup('new'), undefined);
      assert.deepEqual(reopened.pending().map((job) => job.job), ['pending']);
    });
  });

  test('expire by count keeps the newest completions', async () => {
    await withTempDir(async (dir) => {
      const store = await JobStore.open(join(dir, 'jobs.journal'), { retentionMs: 1e9, retentionCount: 2 });
      try {
        for (const job of ['j1', 'j2', 'j3', 'j4']) await store.accept(job, 'svc', frames(job));
        // Completion order, not acceptance order, decides who goes first.
        for (const job of ['j3', 'j1', 'j4', 'j2']) await store.complete(job, frames(`r-${job}`));
        assert.equal(store.expire(), 2);
        assert.equal(store.lookup('j3'), undefined);
        assert.equal(store.lookup('j1'), undefined);
        assert.equal(store.lookup('j4')?.state, 'completed');
        assert.equal(store.lookup('j2')?.state, 'completed');
        assert.equal(store.expire(), 0);
      } finally {
        await store.close();
      }
    });
  });

  test('retention catches up on open with the time spent down', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const clock = manualClock();
      const options: JobStoreOptions = { retentionMs: 100, retentionCount: 100, now: clock.now };
      const store = await JobStore.open(path, options);
      await store.accept('j', 'svc', frames('x'));
      await store.complete('j', frames('y'));
      await store.close();
      clock.advance(500);
      const reopened = await JobStore.open(path, options);
      await reopened.close();
      assert.equal(reopened.lookup('j'), undefined);
    });
  });

  test('a job id accepted again after it expired is a new pending job, across restarts too', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const options: JobStoreOptions = { retentionMs: 1e9, retentionCount: 0 };
      const store = await JobStore.open(path, options);
      await store.accept('j', 'svc', frames('first'));
      await store.complete('j', frames('first reply'));
      assert.equal(store.expire(), 1);
      assert.equal(await store.accept('j', 'svc', frames('second')), 'new');
      await store.close();
      const reopened = await JobStore.open(path, options);
      await reopened.close();
      assert.deepEqual(reopened.pending(), [{ job: 'j', service: 'svc', body: frames('second') }]);
    });
  });

  test('forget releases a completed job, durably, and refuses pending ones', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const store = await JobStore.open(path, KEEP_ALL);
      await store.accept('done', 'svc', frames('x'));
      await store.accept('running', 'svc', frames('y'));
      await store.complete('done', frames('z'));
      assert.equal(await store.forget('running'), false);
      assert.equal(await store.forget('done'), true);
      assert.equal(await store.forget('done'), false);
      await store.close();
      const reopened = await JobStore.open(path, KEEP_ALL);
      await reopened.close();
      assert.equal(reopened.lookup('done'), undefined);
      assert.equal(reopened.lookup('running')?.state, 'pending');
    });
  });

  test('compact shrinks the journal to live records and loses nothing live', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const options: JobStoreOptions = { retentionMs: 1e9, retentionCount: 5, compactionMinRecords: 1e9 };
      const store = await JobStore.open(path, options);
      for (let i = 0; i < 200; i += 1) {
        await store.accept(`j${i}`, 'svc', frames(`body-${i}`));
        if (i % 4 !== 0) await store.complete(`j${i}`, frames(`reply-${i}`));
      }
      store.expire();
      const pendingBefore = store.pending();
      const before = (await stat(path)).size;
      await store.compact();
      const after = (await stat(path)).size;
      assert.ok(after < before / 4, `compaction kept ${after} of ${before} bytes`);
      await store.close();

      const reopened = await JobStore.open(path, options);
      await reopened.close();
      assert.deepEqual(reopened.pending(), pendingBefore);
      assert.equal(reopened.pending().length, 50);
      assert.deepEqual(reopened.lookup('j199'), { state: 'completed', reply: frames('reply-199') });
      assert.equal(reopened.size, 55);
    });
  });

  test('compaction starts by itself once the journal outgrows its live records', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const options: JobStoreOptions = {
        retentionMs: 1e9,
        retentionCount: 0,
        compactionRatio: 2,
        compactionMinRecords: 16,
        fsync: false,
      };
      const store = await JobStore.open(path, options);
      let largest = 0;
      for (let i = 0; i < 500; i += 1) {
        await store.accept(`j${i}`, 'svc', frames('body'));
        await store.complete(`j${i}`, frames('reply'));
        store.expire();
        largest = Math.max(largest, (await stat(path)).size);
      }
      await store.close();
      // Unbounded, 1500 records of ~60-100 bytes; bounded, a few dozen records at most.
      assert.ok(largest < 8_000, `journal grew to ${largest} bytes`);
      const reopened = await JobStore.open(path, options);
      await reopened.close();
      assert.equal(reopened.size, 0);
    });
  });

  test('abandon: a pending job that will never run is remembered as such, across restarts', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'jobs.journal');
      const store = await JobStore.open(file, KEEP_ALL);
      assert.equal(await store.accept('j-exp', 'nobody', frames('x')), 'new');
      assert.equal(await store.abandon('j-exp'), true);
      assert.deepEqual(store.lookup('j-exp'), { state: 'abandoned' });
      assert.deepEqual(store.pending(), []);
      // Finished is finished: neither a late result nor a second abandon changes it; a retry learns it.
      assert.equal(await store.complete('j-exp', frames('late')), false);
      assert.equal(await store.abandon('j-exp'), false);
      assert.equal(await store.abandon('unknown'), false);
      assert.equal(await store.accept('j-exp', 'nobody', frames('x')), 'abandoned');
      await store.compact();
      await store.close();
      const reopened = await JobStore.open(file, KEEP_ALL);
      try {
        assert.deepEqual(reopened.lookup('j-exp'), { state: 'abandoned' });
        assert.equal(await reopened.accept('j-exp', 'nobody', frames('x')), 'abandoned');
      } finally {
        await reopened.close();
      }
    });
  });

  test('in memory: the same table and dedup, with nothing on disk', async () => {
    const store = JobStore.inMemory(KEEP_ALL);
    assert.equal(await store.accept('m1', 'echo', frames('a')), 'new');
    assert.equal(await store.accept('m1', 'echo', frames('a')), 'pending');
    assert.equal(await store.complete('m1', frames('A')), true);
    assert.equal(await store.accept('m1', 'echo', frames('a')), 'completed');
    assert.deepEqual(store.lookup('m1'), { state: 'completed', reply: frames('A') });
    assert.equal(store.stats().journal.appends, 2);
    await store.close();
  });

  test('a record with a good checksum but a bad payload stops the open with a clear error', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const good = encodeRecord(payload(JSON.stringify({ type: 'forgotten', job: 'x' })), 0);
      await writeFile(path, Buffer.concat([good, encodeRecord(payload('{"type":"exploded","job":"x"}'), 1)]));
      await assert.rejects(JobStore.open(path, KEEP_ALL), /record 1 has an unknown type "exploded"/);
      await writeFile(path, encodeRecord(payload('not json'), 0));
      await assert.rejects(JobStore.open(path, KEEP_ALL), /record 0 is not JSON/);
    });
  });

  test('a closed store refuses work without changing its table', async () => {
    await withTempDir(async (dir) => {
      const store = await JobStore.open(join(dir, 'jobs.journal'), KEEP_ALL);
      await store.close();
      await assert.rejects(store.accept('j', 'svc', frames('x')), /job store .* is closed: cannot accept/);
      assert.equal(store.lookup('j'), undefined);
    });
  });

  test('crash: after a cut at any offset, exactly the records wholly before it survive', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'jobs.journal');
      const store = await JobStore.open(path, KEEP_ALL);
      const random = prng(0xc0ffee);
      // After each resolved call: how long the file was, and the pending/completed state it described.
      const checkpoints: Array<{ size: number; pending: string[]; completed: string[] }> = [
        { size: 0, pending: [], completed: [] },
      ];
      const pending: string[] = [];
      const completed: string[] = [];
      for (let i = 0; i < 60; i += 1) {
        if (pending.length > 0 && random() < 0.4) {
          const job = pending.splice(Math.floor(random() * pending.length), 1)[0];
          await store.complete(job, frames(`reply-${job}`));
          completed.push(job);
        } else {
          const job = `j${i}`;
          await store.accept(job, 'svc', frames(`body-${i}`.repeat(1 + Math.floor(random() * 5))));
          pending.push(job);
        }
        checkpoints.push({ size: (await stat(path)).size, pending: [...pending], completed: [...completed] });
      }
      await store.close();
      const full = await readFile(path);
      assert.equal(full.length, checkpoints[checkpoints.length - 1].size);

      const cuts = [0, 1, full.length - 1, full.length, ...Array.from({ length: 40 }, () => Math.floor(random() * full.length))];
      for (const cut of cuts) {
        const copy = join(dir, `cut-${cut}.journal`);
        await copyFile(path, copy);
        await truncate(copy, cut);
        const logger = capturingLogger();
        const recovered = await JobStore.open(copy, { ...KEEP_ALL, logger });
        await recovered.close();
        const expected = checkpoints.filter((point) => point.size <= cut).pop();
        assert.ok(expected !== undefined);
        const sorted = (jobs: string[]): string[] => [...jobs].sort();
        assert.deepEqual(recovered.pending().map((job) => job.job), sorted(expected.pending).sort(byAcceptance), `cut at ${cut}`);
        const completedNow = [...expected.completed].filter((job) => recovered.lookup(job)?.state === 'completed');
        assert.deepEqual(completedNow, expected.completed, `cut at ${cut}`);
        assert.equal(recovered.size, expected.pending.length + expected.completed.length, `cut at ${cut}: nothing after the cut`);
        assert.equal((await stat(copy)).size, expected.size, `cut at ${cut}: file truncated to the last whole record`);
        assert.equal(logger.lines.length, cut === expected.size ? 0 : 1, `cut at ${cut}: one warning iff bytes were dropped`);
      }
    });
  });

  test('property: pending and completed jobs survive churn, compaction and restarts, matching a model', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) await runModelCheck(seed, 300);
  });
});

/** Job ids are `j<number>`, accepted in increasing order in the crash test. */
function byAcceptance(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}

interface ModelJob {
  service: string;
  body: string;
  reply?: string;
  completedAt?: number;
}

/** The job table as a plain fold over calls, with retention written out again independently. */
class Model {
  readonly jobs = new Map<string, ModelJob>();
  readonly completed = new Map<string, ModelJob>();

  constructor(
    private readonly retentionMs: number,
    private readonly retentionCount: number,
  ) {}

  accept(job: string, body: string): 'new' | 'pending' | 'completed' {
    const known = this.jobs.get(job);
    if (known !== undefined) return known.reply === undefined ? 'pending' : 'completed';
    this.jobs.set(job, { service: 'svc', body });
    return 'new';
  }

  complete(job: string, reply: string, now: number): boolean {
    const known = this.jobs.get(job);
    if (known === undefined || known.reply !== undefined) return false;
    known.reply = reply;
    known.completedAt = now;
    this.completed.set(job, known);
    return true;
  }

  expire(now: number): number {
    let dropped = 0;
    for (const [job, entry] of [...this.completed]) {
      const age = now - (entry.completedAt ?? 0);
      if (this.completed.size <= this.retentionCount && age <= this.retentionMs) break;
      this.completed.delete(job);
      this.jobs.delete(job);
      dropped += 1;
    }
    return dropped;
  }

  pending(): string[] {
    return [...this.jobs].filter(([, entry]) => entry.reply === undefined).map(([job]) => job);
  }
}

async function runModelCheck(seed: number, steps: number): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, 'jobs.journal');
    const random = prng(seed);
    const clock = manualClock();
    const options: JobStoreOptions = {
      retentionMs: 40,
      retentionCount: 12,
      now: clock.now,
      compactionRatio: 2,
      compactionMinRecords: 8,
      fsync: false,
    };
    const model = new Model(options.retentionMs, options.retentionCount);
    let store = await JobStore.open(path, options);
    const ids = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    const pick = (): string => ids[Math.floor(random() * ids.length)];
    // The calls leading up to a failure, so a red run explains itself without a debugger.
    const trace: string[] = [];
    const where = (step: number): string => `seed ${seed}, step ${step}; last calls:\n  ${trace.slice(-25).join('\n  ')}`;

    const assertMatches = (step: number): void => {
      assert.deepEqual(store.pending().map((job) => job.job), model.pending(), where(step));
      for (const id of ids) {
        const expected = model.jobs.get(id);
        const actual = store.lookup(id);
        if (expected === undefined) assert.equal(actual, undefined, `${where(step)}: ${id}`);
        else if (expected.reply === undefined) {
          assert.deepEqual(actual, { state: 'pending', service: 'svc', body: frames(expected.body) }, `${where(step)}: ${id}`);
        } else assert.deepEqual(actual, { state: 'completed', reply: frames(expected.reply) }, `${where(step)}: ${id}`);
      }
    };

    let compactions = 0;
    try {
      for (let step = 0; step < steps; step += 1) {
        clock.advance(Math.floor(random() * 6));
        const roll = random();
        if (roll < 0.06) {
          trace.push(`${step} reopen at ${clock.now()}`);
          compactions += store.stats().compactions;
          await store.close();
          store = await JobStore.open(path, options);
          model.expire(clock.now()); // open catches up on retention
          assertMatches(step);
          continue;
        }
        if (roll < 0.1) {
          trace.push(`${step} compact`);
          await store.compact();
          assertMatches(step);
          continue;
        }
        // A burst of calls issued together, as a broker under load would, sometimes with a
        // compaction racing them; state is checked once they have all resolved.
        const calls: Array<Promise<unknown>> = [];
        const burst = 1 + Math.floor(random() * 6);
        for (let i = 0; i < burst; i += 1) {
          const op = random();
          if (op < 0.45) {
            const job = pick();
            const body = `body-${step}-${i}`;
            const expected = model.accept(job, body);
            trace.push(`${step}.${i} accept ${job} -> ${expected}`);
            const outcome = store.accept(job, 'svc', frames(body));
            calls.push(outcome.then((actual) => assert.equal(actual, expected, where(step))));
          } else if (op < 0.85) {
            const candidates = model.pending();
            const job = candidates.length > 0 && random() < 0.9 ? candidates[Math.floor(random() * candidates.length)] : pick();
            const expected = model.complete(job, `reply-${step}-${i}`, clock.now());
            trace.push(`${step}.${i} complete ${job} at ${clock.now()} -> ${expected}`);
            calls.push(store.complete(job, frames(`reply-${step}-${i}`)).then((actual) => assert.equal(actual, expected, where(step))));
          } else if (op < 0.95) {
            const expected = model.expire(clock.now());
            trace.push(`${step}.${i} expire at ${clock.now()} -> ${expected}`);
            assert.equal(store.expire(), expected, where(step));
          } else {
            trace.push(`${step}.${i} compact (concurrent)`);
            calls.push(store.compact());
          }
        }
        await Promise.all(calls);
        assertMatches(step);
      }
      compactions += store.stats().compactions;
      await store.close();
      store = await JobStore.open(path, options);
      model.expire(clock.now());
      assertMatches(steps);
      // Churn made compaction run, often, and kept the file near its live size.
      assert.ok(compactions > steps / 20, `seed ${seed}: only ${compactions} compactions`);
      const { records } = decodeRecords(await readFile(path));
      const live = model.jobs.size + model.completed.size;
      assert.ok(records.length <= 4 * Math.max(live, 8) + 30, `seed ${seed}: ${records.length} records for ${live} live`);
    } finally {
      await store.close();
    }
  });
}

