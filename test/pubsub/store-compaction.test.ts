import assert from 'node:assert/strict';
import { access, copyFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pino from 'pino';
import { decodeRecords, HEADER_BYTES } from '../../reference/journal/record-codec';
import type { Logger } from '../../reference/util/log';
import { PubSubStore, type CompactionFigures, type PubSubStoreOptions, type PutOutcome, type StoredMessage } from '../../reference/pubsub/store';
import { waitFor } from '../../harness/util/wait-for';
import { withTempDir } from '../journal/helpers';

/**
 * Compaction of the pub/sub proxy's journal (reference/pubsub/store.ts), with the real store on a
 * real file. The store compacts from inside every record it issues, once the file holds at least
 * 1024 records and more than 4 times the records a compaction would keep.
 */
const MIN_RECORDS = 1024;
const ACK_FLUSH_MS = 1;
const DEDUP = 64;
const OPTIONS: PubSubStoreOptions = {
  // Nobody is ever refused here: back-pressure is not what these tests are about.
  maxPending: 1_000_000,
  // Every remembered id is a live record: with the default 100,000 the snapshot would be as big as the
  // file and the 4× ratio would not be reached in a test-sized run.
  dedupRetention: DEDUP,
  // What is checked is the file's content after close/reopen, not its survival of a power cut.
  fsync: false,
  ackFlushMs: ACK_FLUSH_MS,
};
const WAIT = 5_000;

type JournalRecord = { type: string } & Record<string, unknown>;

/** The journal's whole records, parsed, with the byte offset where each one ends. */
async function readJournal(path: string): Promise<{ records: JournalRecord[]; ends: number[]; size: number }> {
  const content = await readFile(path);
  const decoded = decodeRecords(content);
  assert.equal(decoded.problem, undefined, `${path} holds only whole records`);
  const ends: number[] = [];
  let end = 0;
  for (const record of decoded.records) ends.push((end += HEADER_BYTES + record.length));
  return { records: decoded.records.map((record) => JSON.parse(record.toString('utf8')) as JournalRecord), ends, size: content.length };
}

function countTypes(records: JournalRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[record.type] = (counts[record.type] ?? 0) + 1;
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets the batched ack record go out, then waits for every record issued so far. The ack timer was
 * armed before this sleep with a shorter delay, so it has fired when the sleep ends; a no-op command
 * resolves after the latest write (store.ts), which makes it a write barrier.
 */
async function drained(store: PubSubStore): Promise<void> {
  await sleep(ACK_FLUSH_MS + 1);
  await store.unsubscribe('(barrier)', '(no such topic)');
}

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }), lines };
}

function accepted(outcome: PutOutcome, what: string): { seq: number; durable: Promise<void> } {
  if (outcome.outcome !== 'new') assert.fail(`${what}: expected a new message, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** What the store should hold: every message accepted per topic (index seq - 1) and every position. */
interface Expected {
  sent: Map<string, StoredMessage[]>;
  /** subscriber → topic → acknowledged position; an empty map for a subscriber that left. */
  positions: Map<string, Map<string, number>>;
}

/** Drives the store and keeps the model of what it must remember, independently of the store. */
class Scenario {
  readonly sent = new Map<string, StoredMessage[]>();
  readonly positions = new Map<string, Map<string, number>>();
  /** Every accepted message, oldest first: the order the dedup window counts in. */
  readonly accepted: StoredMessage[] = [];

  constructor(public store: PubSubStore) {}

  last(topic: string): number {
    return this.sent.get(topic)?.length ?? 0;
  }

  subscribe(subscriber: string, topic: string): Promise<void> {
    if (!this.sent.has(topic)) this.sent.set(topic, []);
    const { position, durable } = this.store.subscribe(subscriber, topic);
    assert.equal(position, this.last(topic), `${subscriber} subscribes to ${topic} at its last sequence`);
    this.subscriptions(subscriber).set(topic, position);
    return durable;
  }

  unsubscribe(subscriber: string, topic: string): Promise<void> {
    this.subscriptions(subscriber).delete(topic);
    return this.store.unsubscribe(subscriber, topic);
  }

  put(topic: string, publisher: string, msg: string): Promise<void> {
    const payload = Buffer.concat([Buffer.from(`${topic}/${msg}`), Buffer.from([0, 0xff, this.accepted.length & 0xff])]);
    const { seq, durable } = accepted(this.store.put(publisher, msg, topic, payload), `put ${msg}`);
    assert.equal(seq, this.last(topic) + 1, `${msg} gets the next sequence of ${topic}`);
    const message: StoredMessage = { topic, seq, publisher, msg, payload };
    if (!this.sent.has(topic)) this.sent.set(topic, []);
    this.sent.get(topic)!.push(message);
    this.accepted.push(message);
    return durable;
  }

  ack(subscriber: string, topic: string, position: number): void {
    const subscriptions = this.subscriptions(subscriber);
    const current = subscriptions.get(topic);
    assert.ok(current !== undefined, `${subscriber} is subscribed to ${topic}`);
    const next = Math.min(position, this.last(topic));
    assert.equal(this.store.ack(subscriber, topic, position), next > current, `ack ${subscriber} ${topic} ${position} changes something iff it advances`);
    if (next > current) subscriptions.set(topic, next);
  }

  snapshot(): Expected {
    return {
      sent: new Map([...this.sent].map(([topic, messages]) => [topic, [...messages]])),
      positions: new Map([...this.positions].map(([subscriber, topics]) => [subscriber, new Map(topics)])),
    };
  }

  private subscriptions(subscriber: string): Map<string, number> {
    let topics = this.positions.get(subscriber);
    if (topics === undefined) this.positions.set(subscriber, (topics = new Map()));
    return topics;
  }
}

/**
 * The store holds exactly `expected`: every topic's last sequence, every subscription at its
 * position, each message above the lowest position retained whole and in place, everything at or
 * below it released.
 */
function assertState(store: PubSubStore, expected: Expected, label: string): void {
  let retained = 0;
  let subscriptions = 0;
  for (const [topic, messages] of expected.sent) {
    const last = messages.length;
    assert.equal(store.durableLast(topic), last, `${label}: last sequence of ${topic}`);
    const positions = [...expected.positions.values()].map((topics) => topics.get(topic)).filter((position): position is number => position !== undefined);
    const floor = Math.min(last, ...positions);
    for (const message of messages) {
      if (message.seq > floor) assert.deepEqual(store.message(topic, message.seq), message, `${label}: ${topic}#${message.seq} retained`);
      else assert.equal(store.message(topic, message.seq), undefined, `${label}: ${topic}#${message.seq} released`);
    }
    retained += last - floor;
  }
  for (const [subscriber, topics] of expected.positions) {
    assert.deepEqual(store.subscriptionsOf(subscriber), topics, `${label}: subscriptions of ${subscriber}`);
    subscriptions += topics.size;
  }
  const stats = store.stats();
  assert.deepEqual({ topics: stats.topics, retained: stats.retained, subscriptions: stats.subscriptions }, { topics: expected.sent.size, retained, subscriptions }, `${label}: totals`);
}

/** The answer to a re-sent put, without its promise. */
function answer(outcome: PutOutcome): { outcome: string; topic?: string; seq?: number } {
  return outcome.outcome === 'busy' ? { outcome: outcome.outcome } : { outcome: outcome.outcome, topic: outcome.topic, seq: outcome.seq };
}

describe('pub/sub store compaction', () => {
  test('compaction starts at the record that brings the file to 1024, and keeps only live records', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const s = new Scenario(await PubSubStore.open(path, OPTIONS));
      try {
        await s.subscribe('fast', 'news');
        await s.subscribe('slow', 'news');
        // Rounds of 9 puts and 1 ack record: from the first few hundred records on, the file is far
        // more than 4 times its live records, so only the 1024 minimum holds compaction back.
        for (let round = 0; round < 102; round++) {
          await Promise.all(Array.from({ length: 9 }, () => s.put('news', 'pub-1', `m${s.last('news') + 1}`)));
          s.ack('fast', 'news', s.last('news'));
          if (s.last('news') > 20) s.ack('slow', 'news', s.last('news') - 20);
          await drained(s.store);
        }
        await s.put('news', 'pub-1', 'm919');

        const before = await readJournal(path);
        assert.equal(before.records.length, MIN_RECORDS - 1);
        assert.deepEqual(countTypes(before.records), { subscribe: 2, put: 919, acks: 102 });
        assert.deepEqual({ fileRecords: s.store.stats().fileRecords, compactions: s.store.stats().compactions }, { fileRecords: MIN_RECORDS - 1, compactions: 0 });

        // Both acks go out as one record, the 1024th.
        s.ack('fast', 'news', 919);
        s.ack('slow', 'news', 899);
        await waitFor(() => s.store.stats().compactions === 1, { timeoutMs: WAIT, what: 'a compaction' });
        await drained(s.store);

        const after = await readJournal(path);
        // Live: the topic, both subscriptions, the 20 puts slow still owes (m900..m919) and the
        // dedup window (m856..m919), whose released part only seen records can carry. Whether the
        // owed part is carried twice is the store's choice, so it is not pinned.
        const { seen = 0, ...rest } = countTypes(after.records);
        assert.deepEqual(rest, { topic: 1, subscribe: 2, put: 20 });
        assert.deepEqual(after.records[0], { type: 'topic', topic: 'news', last: 899 });
        const seenIds = new Map(after.records.filter((record) => record.type === 'seen').map((record) => [record.msg, record.seq]));
        for (let i = 856; i <= 899; i++) assert.equal(seenIds.get(`m${i}`), i, `seen m${i}`);
        for (const [msg, seq] of seenIds) assert.ok(typeof seq === 'number' && seq >= 856 && msg === `m${seq}`, `seen ${String(msg)} is in the window`);
        assert.equal(seen, seenIds.size, 'each id once');
        assert.deepEqual(
          after.records.filter((record) => record.type === 'subscribe'),
          [
            { type: 'subscribe', subscriber: 'fast', topic: 'news', position: 919 },
            { type: 'subscribe', subscriber: 'slow', topic: 'news', position: 899 },
          ],
        );
        assert.deepEqual(
          after.records.filter((record) => record.type === 'put').map((record) => record.seq),
          Array.from({ length: 20 }, (_, i) => 900 + i),
        );
        const stats = s.store.stats();
        assert.equal(stats.fileRecords, after.records.length, 'the store counts what is in the file');
        assert.equal(stats.journal.appends, MIN_RECORDS, 'without compaction the file would hold every record issued');
        assert.ok(after.size * 10 < before.size, `compaction kept ${after.size} of ${before.size} bytes`);
        assertState(s.store, s.snapshot(), 'after compaction, in memory');
      } finally {
        await s.store.close();
      }
    });
  });

  test('a smaller compactionMinRecords compacts sooner, and each compaction is reported with the dedup table\'s fill', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const reports: CompactionFigures[] = [];
      const s = new Scenario(await PubSubStore.open(path, { ...OPTIONS, compactionMinRecords: 128, onCompacted: (figures) => reports.push(figures) }));
      try {
        await s.subscribe('fast', 'news');
        // 400 puts acknowledged as they go: more than 4 times the live records (64 dedup entries and a few more).
        for (let i = 1; i <= 400; i++) {
          await s.put('news', 'pub-1', `m${i}`);
          s.ack('fast', 'news', s.last('news'));
        }
        await drained(s.store);
        await waitFor(() => reports.length > 0, { timeoutMs: WAIT, what: 'a compaction report' });
        assert.equal(s.store.stats().compactions, reports.length);
        const [first] = reports;
        assert.equal(first?.compactions, 1);
        assert.equal(first?.dedupRetention, DEDUP);
        assert.equal(first?.dedupEntries, DEDUP, 'the table was full when it compacted: the dedup window\'s edge was reached');
        assert.ok((first?.liveRecords ?? 0) >= DEDUP, `live records ${first?.liveRecords}`);
      } finally {
        await s.store.close();
      }
    });
  });

  test('no compaction until the file holds more than 4 times its live records, past 1024 too', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const s = new Scenario(await PubSubStore.open(path, OPTIONS));
      try {
        await s.subscribe('slow', 'news');
        const puts: Promise<void>[] = [];
        for (let i = 1; i <= 1002; i++) puts.push(s.put('news', 'pub-1', `n${i}`));
        // Owed to nobody, so released at once: the whole dedup window is ids only seen records carry.
        for (let i = 1; i <= 100; i++) puts.push(s.put('other', 'pub-2', `o${i}`));
        await Promise.all(puts);
        await drained(s.store);
        // 1103 records, more than 1002 live ones: nothing to gain.
        assert.equal((await readJournal(path)).records.length, 1103);
        assert.equal(s.store.stats().compactions, 0);

        // Live: 2 topics, 1 subscription, 64 seen, the owed puts. 1104 records, 209 owed: 276 live,
        // and 1104 is exactly 4 × 276, not more.
        s.ack('slow', 'news', 1002 - 209);
        await drained(s.store);
        assert.equal((await readJournal(path)).records.length, 1104);
        assert.equal(s.store.stats().compactions, 0);

        // 1105 records, 208 owed: 275 live, and 1105 > 4 × 275.
        s.ack('slow', 'news', 1002 - 208);
        await waitFor(() => s.store.stats().compactions === 1, { timeoutMs: WAIT, what: 'a compaction' });
        await drained(s.store);
        const after = await readJournal(path);
        assert.deepEqual(countTypes(after.records), { topic: 2, seen: DEDUP, subscribe: 1, put: 208 });
        assert.deepEqual(after.records.filter((record) => record.type !== 'put' && record.type !== 'seen'), [
          { type: 'topic', topic: 'news', last: 794 },
          { type: 'topic', topic: 'other', last: 100 },
          { type: 'subscribe', subscriber: 'slow', topic: 'news', position: 794 },
        ]);
        assert.equal(s.store.stats().fileRecords, 275);
      } finally {
        await s.store.close();
      }
    });
  });

  test('nothing is lost across compaction and reopen: retained messages, positions, subscriptions, sequences', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const s = new Scenario(await PubSubStore.open(path, OPTIONS));
      // fast keeps up everywhere; slow lags 30 on alpha and 45 on gamma and keeps up on beta; delta
      // is fast's only; nobody listens on quiet; gone subscribes to alpha, never acks, and leaves.
      const lag: Record<string, number> = { alpha: 30, beta: 0, gamma: 45 };
      const topics = ['alpha', 'beta', 'gamma', 'delta', 'quiet'];
      let total = 0;
      let recordsAtClose = 0;
      try {
        for (const topic of ['alpha', 'beta', 'gamma', 'delta']) await s.subscribe('fast', topic);
        for (const topic of Object.keys(lag)) await s.subscribe('slow', topic);
        await s.subscribe('gone', 'alpha');
        // Until the compaction, then 20 rounds more: fewer than either lag, so slow still owes
        // messages that only the snapshot's put records carry, as well as ones appended after it.
        let round = 0;
        let alphaAtCompaction: number | undefined;
        for (; round < 400 && (alphaAtCompaction === undefined || s.last('alpha') < alphaAtCompaction + 20); round++) {
          await Promise.all(topics.map((topic) => s.put(topic, `pub-${round % 3}`, `${topic}-${round}`)));
          for (const topic of ['alpha', 'beta', 'gamma', 'delta']) s.ack('fast', topic, s.last(topic));
          for (const [topic, behind] of Object.entries(lag)) if (s.last(topic) - behind > s.positions.get('slow')!.get(topic)!) s.ack('slow', topic, s.last(topic) - behind);
          if (round === 20) await s.unsubscribe('gone', 'alpha');
          if (alphaAtCompaction === undefined && s.store.stats().compactions > 0) alphaAtCompaction = s.last('alpha');
        }
        await drained(s.store);
        assert.ok(alphaAtCompaction !== undefined, 'compacted');
        // Round r put sequence r + 1 on every topic.
        total = round;
        assert.ok(s.positions.get('slow')!.get('alpha')! < alphaAtCompaction, 'slow owes alpha messages from before the compaction');
        const file = await readJournal(path);
        assert.equal(file.records[0].type, 'topic', 'the file starts with a snapshot');
        assert.equal(file.records.length, s.store.stats().fileRecords);
        recordsAtClose = file.records.length;
        assert.ok(file.records.length < s.store.stats().journal.appends / 2, `${file.records.length} records kept of ${s.store.stats().journal.appends} issued`);
        const expected = s.snapshot();
        assertState(s.store, expected, 'before close');
      } finally {
        await s.store.close();
      }

      const reopened = await PubSubStore.open(path, OPTIONS);
      try {
        assertState(reopened, s.snapshot(), 'after reopen');
        // What the next compaction is measured against: the records really in the file.
        assert.equal(reopened.stats().fileRecords, recordsAtClose);
        assert.equal(reopened.pending('slow'), 75);
        assert.equal(reopened.pending('fast'), 0);
        // Pinned apart from the model: the oldest message slow still owes on alpha, bytes and all.
        const oldest = total - 30;
        assert.deepEqual(reopened.message('alpha', oldest + 1), {
          topic: 'alpha',
          seq: oldest + 1,
          publisher: `pub-${oldest % 3}`,
          msg: `alpha-${oldest}`,
          payload: Buffer.concat([Buffer.from(`alpha/alpha-${oldest}`), Buffer.from([0, 0xff, (oldest * topics.length) & 0xff])]),
        });
        assert.equal(reopened.message('alpha', oldest), undefined);
        // Sequences continue on every topic, whether it had messages retained or not.
        for (const topic of topics) {
          const outcome = reopened.put('pub-new', `${topic}-next`, topic, Buffer.from('next'));
          assert.deepEqual(answer(outcome), { outcome: 'new', topic, seq: total + 1 }, `next put on ${topic}`);
        }
      } finally {
        await reopened.close();
      }
    });
  });

  test('dedup survives compaction and reopen: a re-sent put is a duplicate with its original sequence', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const s = new Scenario(await PubSubStore.open(path, OPTIONS));
      let window: StoredMessage[];
      let older: StoredMessage;
      try {
        await s.subscribe('fast', 'news');
        await s.subscribe('slow', 'news');
        await s.subscribe('fast', 'other');
        // slow lags 10 on news: the messages it still owes are among the newest ids, so the dedup
        // window of the live store is exactly the set of ids that survive a compaction.
        let after = 0;
        for (let round = 0; round < 1000 && after < 3; round++) {
          await Promise.all([s.put('news', 'pub-a', `a-${round}`), s.put('other', 'pub-b', `b-${round}`)]);
          s.ack('fast', 'news', s.last('news'));
          s.ack('fast', 'other', s.last('other'));
          if (s.last('news') > 10) s.ack('slow', 'news', s.last('news') - 10);
          if (s.store.stats().compactions > 0) after++;
        }
        await drained(s.store);
        const file = await readJournal(path);
        assert.equal(file.records[0].type, 'topic', 'compacted');
        const types = countTypes(file.records);
        assert.ok((types.seen ?? 0) > 0 && (types.put ?? 0) > 0, `ids of released and of retained messages both went through the snapshot: ${JSON.stringify(types)}`);

        window = s.accepted.slice(-DEDUP);
        older = s.accepted[s.accepted.length - DEDUP - 1];
        // The live store is the reference: it knows every id of the window.
        for (const m of window) assert.deepEqual(answer(s.store.put(m.publisher, m.msg, m.topic, m.payload)), { outcome: 'duplicate', topic: m.topic, seq: m.seq }, `live: ${m.msg}`);
        assert.equal(s.store.stats().dedupEntries, DEDUP);
      } finally {
        await s.store.close();
      }

      const reopened = await PubSubStore.open(path, OPTIONS);
      try {
        assert.equal(reopened.stats().dedupEntries, DEDUP);
        for (const m of window) {
          const outcome = reopened.put(m.publisher, m.msg, m.topic, m.payload);
          assert.deepEqual(answer(outcome), { outcome: 'duplicate', topic: m.topic, seq: m.seq }, `after reopen: ${m.msg} (${m.topic}#${m.seq})`);
        }
        assert.equal(reopened.stats().retained, 10, 'a duplicate stores nothing');
        // The window is the bound it says: one id older is forgotten, and accepted anew.
        assert.deepEqual(answer(reopened.put(older.publisher, older.msg, older.topic, older.payload)), { outcome: 'new', topic: older.topic, seq: s.last(older.topic) + 1 });
      } finally {
        await reopened.close();
      }
    });
  });

  test(
    'dedup keeps the newest ids across compaction even when a lagging subscriber holds older messages',
    async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, 'pubsub.journal');
        const s = new Scenario(await PubSubStore.open(path, OPTIONS));
        let window: StoredMessage[];
        try {
          await s.subscribe('slow', 'rare');
          await s.subscribe('fast', 'busy');
          // slow never acknowledges these: retained, while their ids leave the dedup window.
          for (let i = 1; i <= 10; i++) await s.put('rare', 'pub-r', `r-${i}`);
          // Stops right after the compaction: the few puts appended behind the snapshot must not push
          // the whole snapshot's dedup window out again on replay, or the loss would not show.
          for (let round = 0; round < 200 && s.store.stats().compactions === 0; round++) {
            await Promise.all(Array.from({ length: 10 }, (_, i) => s.put('busy', 'pub-b', `b-${round * 10 + i}`)));
            s.ack('fast', 'busy', s.last('busy'));
            await drained(s.store);
          }
          assert.equal(s.store.stats().compactions, 1, 'compacted');
          window = s.accepted.slice(-DEDUP);
          assert.deepEqual(answer(s.store.put(window[0].publisher, window[0].msg, window[0].topic, window[0].payload)), { outcome: 'duplicate', topic: 'busy', seq: window[0].seq }, 'live: the oldest id of the window is known');
        } finally {
          await s.store.close();
        }

        const reopened = await PubSubStore.open(path, OPTIONS);
        try {
          // Protocol rule 2: the proxy remembers the last dedupRetention ids, released or not, across restarts.
          // Newest first: a forgotten id is stored anew and evicts the oldest entry, which then has
          // been checked already, so the list below is exactly what the reopen lost.
          const forgotten = [...window].reverse().filter((m) => answer(reopened.put(m.publisher, m.msg, m.topic, m.payload)).outcome !== 'duplicate');
          assert.deepEqual(forgotten.map((m) => m.msg).reverse(), [], 'ids of the window forgotten after compaction + reopen');
        } finally {
          await reopened.close();
        }
      });
    },
  );

  test('crash: a torn tail after a compaction, or a rewrite that never got renamed, replays to the whole-record prefix', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pubsub.journal');
      const s = new Scenario(await PubSubStore.open(path, OPTIONS));
      let beforeCompaction: Expected;
      const checkpoints: { size: number; expected: Expected }[] = [];
      let tornPut: StoredMessage;
      try {
        await s.subscribe('fast', 'news');
        await s.subscribe('slow', 'news');
        const round = async (): Promise<void> => {
          await Promise.all(Array.from({ length: 50 }, () => s.put('news', 'pub-1', `m${s.last('news') + 1}`)));
          s.ack('fast', 'news', s.last('news'));
          // Lagging more than a round: some of what slow owes is carried by the snapshot's puts.
          s.ack('slow', 'news', s.last('news') - 60);
          await drained(s.store);
        };
        for (let i = 0; i < 16; i++) await round();
        assert.equal(s.store.stats().compactions, 0);
        // The file as a crash in the middle of the next compaction (before its rename) would leave it.
        await copyFile(path, join(dir, 'crash.journal'));
        beforeCompaction = s.snapshot();
        for (let i = 0; i < 40 && s.store.stats().compactions === 0; i++) await round();
        assert.equal(s.store.stats().compactions, 1);
        await drained(s.store);
        const compacted = await readJournal(path);
        assert.equal(compacted.records[0].type, 'topic');
        const firstOwed = s.positions.get('slow')!.get('news')! + 1;
        assert.ok(compacted.records.some((record) => record.type === 'put' && record.seq === firstOwed), `news#${firstOwed} is in the snapshot`);

        // One record per step, each durable before the next, so every checkpoint is a record boundary.
        const checkpoint = async (): Promise<void> => {
          await drained(s.store);
          checkpoints.push({ size: (await stat(path)).size, expected: s.snapshot() });
        };
        await checkpoint();
        await s.put('news', 'pub-1', 'after-1');
        await checkpoint();
        await s.put('news', 'pub-2', 'after-2');
        await checkpoint();
        s.ack('slow', 'news', s.positions.get('slow')!.get('news')! + 2);
        await checkpoint();
        await s.subscribe('late', 'news');
        await checkpoint();
        await s.put('news', 'pub-1', 'after-3');
        await checkpoint();
        await s.unsubscribe('fast', 'news');
        await checkpoint();
        await s.put('news', 'pub-2', 'after-4');
        tornPut = s.accepted[s.accepted.length - 1];
        await checkpoint();
      } finally {
        await s.store.close();
      }

      const { ends, records } = await readJournal(path);
      const firstAfter = ends.indexOf(checkpoints[0].size);
      assert.ok(firstAfter >= 0, 'the snapshot ends on a record boundary');
      assert.deepEqual(
        records.slice(firstAfter + 1).map((record) => record.type),
        ['put', 'put', 'acks', 'subscribe', 'put', 'unsubscribe', 'put'],
        'one record per step after the snapshot',
      );
      for (let j = firstAfter + 1; j < ends.length; j++) {
        const start = ends[j - 1];
        const copy = join(dir, `cut-${j}.journal`);
        await copyFile(path, copy);
        await truncate(copy, ends[j] - 3);
        const expected = checkpoints.find((point) => point.size === start);
        assert.ok(expected !== undefined, `a checkpoint at byte ${start}`);
        const { logger, lines } = capturingLogger();
        const recovered = await PubSubStore.open(copy, { ...OPTIONS, logger });
        try {
          assertState(recovered, expected.expected, `record ${j} torn`);
          assert.equal((await stat(copy)).size, start, `record ${j} torn: the file is cut back to the last whole record`);
          assert.equal(lines.length, 1, `record ${j} torn: one warning`);
          assert.match(lines[0], /journal tail truncated: torn record/);
          if (j === ends.length - 1) {
            // The torn put was never durable, so never acknowledged: its retry is new and gets the
            // sequence nobody saw, while the last put that made it stays a duplicate.
            assert.deepEqual(answer(recovered.put(tornPut.publisher, tornPut.msg, 'news', tornPut.payload)), { outcome: 'new', topic: 'news', seq: tornPut.seq });
            assert.equal(answer(recovered.put('pub-1', 'after-3', 'news', Buffer.from('again'))).outcome, 'duplicate');
          }
        } finally {
          await recovered.close();
        }
      }

      // A compaction that crashed after writing half its new file and before the rename.
      const crash = join(dir, 'crash.journal');
      await writeFile(`${crash}.rewrite`, (await readFile(path)).subarray(0, Math.floor(checkpoints[0].size / 2)));
      const recovered = await PubSubStore.open(crash, OPTIONS);
      try {
        assertState(recovered, beforeCompaction, 'rewrite never renamed');
        await assert.rejects(access(`${crash}.rewrite`), { code: 'ENOENT' }, 'the half-written rewrite is removed on open');
        assert.equal(recovered.stats().compactions, 0);
      } finally {
        await recovered.close();
      }
    });
  });
});

test('a dedup retention below 1 is refused with a clear error, not a crash on the first put', () => {
  for (const dedupRetention of [0, -1, 1.5]) {
    assert.throws(() => PubSubStore.inMemory({ maxPending: 10, dedupRetention }), new RegExp(`dedupRetention must be a whole number >= 1, not ${dedupRetention}`));
  }
});
