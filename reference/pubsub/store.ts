import { Journal, type JournalStats } from '../journal/journal';
import { MemoryLog, type RecordLog } from '../journal/job-store';
import type { Logger } from '../util/log';

/**
 * The pub/sub proxy's durable state (KHP/1, docs/protocol.md) as journal records: topics with their
 * last sequence, the messages still owed to someone, subscriptions with their acknowledged
 * positions, and the dedup table of (publisher, message id). As in the broker's JobStore, the
 * in-memory state is the fold of the records issued so far, so replaying any whole-record prefix of
 * the file after a crash rebuilds exactly the state that prefix describes.
 *
 * Records (UTF-8 JSON, payloads base64):
 *   {"type":"put","topic","seq","publisher","msg","payload"[,"owner"]}   a message accepted
 *   {"type":"subscribe","subscriber","topic","position"}       a subscription, acknowledged up to position
 *   {"type":"unsubscribe","subscriber","topic"}
 *   {"type":"acks","acks":[[subscriber, topic, position], …]}  acknowledged positions, batched
 *   {"type":"topic","topic","last"}                            compaction: last sequence of a topic
 *   {"type":"seen","publisher","msg","topic","seq"[,"owner"]}  compaction: a dedup entry (all of them, oldest first)
 *
 * `owner` (secure mode only; absent means "") is the CURVE public key of the principal that put the
 * message: dedup is scoped by it, so one principal cannot make another's put a "duplicate" of its own
 * by reusing that publisher id and message id (it would be answered ACCEPTED and never delivered).
 */

export interface StoredMessage {
  topic: string;
  seq: number;
  publisher: string;
  msg: string;
  payload: Buffer;
  /** The putting principal's key in secure mode (see `owner` above); absent or "" without. */
  owner?: string;
}

interface Topic {
  name: string;
  last: number;
  /** Highest sequence whose put record is durable: only up to here may messages be delivered. */
  durableLast: number;
  /** Retained messages, contiguous sequences in order: messages[i].seq === messages[0].seq + i. */
  messages: StoredMessage[];
  /** subscriber id → acknowledged position. */
  subscriptions: Map<string, number>;
}

interface DedupEntry {
  owner: string;
  publisher: string;
  msg: string;
  topic: string;
  seq: number;
  /** The write that made this message durable: a duplicate is acknowledged only after it. */
  durable: Promise<void>;
}

export type PutOutcome =
  | { outcome: 'new' | 'duplicate'; topic: string; seq: number; durable: Promise<void> }
  | { outcome: 'busy'; reason: string };

export interface PubSubStoreOptions {
  /** A put on a topic is refused while any of its subscribers has this many messages pending. */
  maxPending: number;
  /** How many (publisher, message id) pairs are remembered for dedup (default 100,000). */
  dedupRetention?: number;
  /** fdatasync before anything resolves (default true). */
  fsync?: boolean;
  /** Acknowledged positions are journaled in one record per this many ms at most (default 5). */
  ackFlushMs?: number;
  /** Compaction is considered once the journal holds this many records (default 1024); small values reach it in seconds. */
  compactionMinRecords?: number;
  /** Called after each compaction that succeeded, with the store's figures then. */
  onCompacted?: (figures: CompactionFigures) => void;
  /** TEST ONLY, the seeded defect ignore-sync-errors (reference/journal/journal.ts). */
  ignoreSyncErrors?: boolean;
  logger?: Logger;
}

/** What a compaction left: reported so a scenario can tell that it reached compaction and the dedup window's edge. */
export interface CompactionFigures {
  compactions: number;
  /** Records in the rewritten journal: the live state. */
  liveRecords: number;
  dedupEntries: number;
  dedupRetention: number;
}

export interface PubSubStoreStats {
  topics: number;
  /** Messages accepted and still owed to at least one subscriber. */
  retained: number;
  subscriptions: number;
  dedupEntries: number;
  fileRecords: number;
  compactions: number;
  journal: JournalStats;
}

const DEFAULT_DEDUP_RETENTION = 100_000;
const COMPACTION_RATIO = 4;
/** Journal records before compaction is considered, unless the store is told otherwise. */
export const DEFAULT_COMPACTION_MIN_RECORDS = 1024;

type StoreRecord =
  | { type: 'put'; topic: string; seq: number; publisher: string; msg: string; payload: string; owner?: string }
  | { type: 'subscribe'; subscriber: string; topic: string; position: number }
  | { type: 'unsubscribe'; subscriber: string; topic: string }
  | { type: 'acks'; acks: [string, string, number][] }
  | { type: 'topic'; topic: string; last: number }
  | { type: 'seen'; publisher: string; msg: string; topic: string; seq: number; owner?: string };

const DURABLE: Promise<void> = Promise.resolve();

export class PubSubStore {
  private readonly topics = new Map<string, Topic>();
  /** subscriber id → its topics. */
  private readonly bySubscriber = new Map<string, Set<string>>();
  /** `${publisher}\n${msg}` → entry, oldest first (the order retention drops them in). */
  private readonly dedup = new Map<string, DedupEntry>();
  /** Acknowledged positions advanced in memory and not yet issued as a record: key `${sub}\n${topic}`. */
  private readonly dirtyAcks = new Map<string, [string, string, number]>();
  private ackTimer?: NodeJS.Timeout;
  private fileRecords = 0;
  private compactions = 0;
  private compacting = false;
  private closed = false;
  /** The first journal failure, reported to the owner once. */
  private failureHandler?: (error: Error) => void;
  private readonly dedupRetention: number;

  private constructor(
    private readonly log: RecordLog,
    private readonly options: PubSubStoreOptions,
  ) {
    this.dedupRetention = options.dedupRetention ?? DEFAULT_DEDUP_RETENTION;
    // A put's own entry must outlive the put: with no room the dedup table could not answer a retry.
    if (!Number.isSafeInteger(this.dedupRetention) || this.dedupRetention < 1) throw new Error(`dedupRetention must be a whole number >= 1, not ${this.dedupRetention}`);
  }

  /** A store without a file: same semantics for one process lifetime. */
  static inMemory(options: PubSubStoreOptions): PubSubStore {
    return new PubSubStore(new MemoryLog(), options);
  }

  /** Opens (or creates) the journal and replays it. A record that is not understood stops the open. */
  static async open(path: string, options: PubSubStoreOptions): Promise<PubSubStore> {
    const { journal, records } = await Journal.open(path, { logger: options.logger, fsync: options.fsync, ignoreSyncErrors: options.ignoreSyncErrors, repairCommand: `keelhaul pubsub-proxy --journal ${path} --repair` });
    const store = new PubSubStore(journal, options);
    try {
      records.forEach((payload, index) => store.apply(parseRecord(payload, index)));
    } catch (error) {
      await journal.close().catch(() => undefined);
      throw error;
    }
    store.fileRecords = records.length;
    for (const topic of store.topics.values()) {
      topic.durableLast = topic.last;
      store.release(topic);
    }
    return store;
  }

  /** Called once with the first failed journal write (the store is useless after it). */
  onFailure(handler: (error: Error) => void): void {
    this.failureHandler = handler;
  }

  // ---- commands: each changes memory at once and issues the record that says so -------------

  /** `owner`: the putting principal's key in secure mode (dedup is scoped by it), "" without. */
  put(publisher: string, msg: string, topicName: string, payload: Buffer, owner = ''): PutOutcome {
    const known = this.duplicate(publisher, msg, owner);
    if (known !== undefined) return known;
    const key = dedupKey(owner, publisher, msg);
    const topic = this.topic(topicName);
    for (const subscriber of topic.subscriptions.keys()) {
      const pending = this.pending(subscriber);
      if (pending >= this.options.maxPending) {
        return { outcome: 'busy', reason: `subscriber ${subscriber} has ${pending} messages pending (max-pending ${this.options.maxPending}); retry once it catches up` };
      }
    }
    const message: StoredMessage = { topic: topicName, seq: topic.last + 1, publisher, msg, payload, ...ownerField(owner) };
    const record: StoreRecord = { type: 'put', topic: topicName, seq: message.seq, publisher, msg, payload: payload.toString('base64'), ...ownerField(owner) };
    this.apply(record, payload);
    const durable = this.issue(record).then(() => {
      topic.durableLast = Math.max(topic.durableLast, message.seq);
    });
    // The dedup entry answers retries only once this put is durable.
    this.dedup.get(key)!.durable = durable;
    return { outcome: 'new', topic: topicName, seq: message.seq, durable };
  }

  /** Resolves the subscription's acknowledged position once durable. */
  subscribe(subscriber: string, topicName: string): { position: number; durable: Promise<void> } {
    const topic = this.topic(topicName);
    const existing = topic.subscriptions.get(subscriber);
    if (existing !== undefined) return { position: existing, durable: this.lastWrite };
    const record: StoreRecord = { type: 'subscribe', subscriber, topic: topicName, position: topic.last };
    this.apply(record);
    return { position: record.position, durable: this.issue(record) };
  }

  unsubscribe(subscriber: string, topicName: string): Promise<void> {
    const topic = this.topics.get(topicName);
    if (topic === undefined || !topic.subscriptions.has(subscriber)) return this.lastWrite;
    this.dirtyAcks.delete(`${subscriber}\n${topicName}`);
    const record: StoreRecord = { type: 'unsubscribe', subscriber, topic: topicName };
    this.apply(record);
    return this.issue(record);
  }

  /**
   * Removes every subscription of `subscriber` (eviction of an absent subscriber, KHP/1 proxy rule
   * 13): one `unsubscribe` record per topic, so a journal written this way replays with older code
   * too, and every message still pending for it is released. Returns the topics it had.
   */
  evict(subscriber: string): { topics: string[]; durable: Promise<void> } {
    const topics = [...(this.bySubscriber.get(subscriber) ?? [])];
    const writes = topics.map((topic) => this.unsubscribe(subscriber, topic));
    return { topics, durable: Promise.all(writes).then(() => undefined) };
  }

  /**
   * Advances the acknowledged position (never back, never past the topic's last sequence).
   * Memory changes at once; the record goes out batched. Returns whether anything changed.
   */
  ack(subscriber: string, topicName: string, position: number): boolean {
    const topic = this.topics.get(topicName);
    const current = topic?.subscriptions.get(subscriber);
    if (topic === undefined || current === undefined) return false;
    const next = Math.min(position, topic.last);
    if (next <= current) return false;
    topic.subscriptions.set(subscriber, next);
    this.release(topic);
    this.dirtyAcks.set(`${subscriber}\n${topicName}`, [subscriber, topicName, next]);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.options.ackFlushMs ?? 5);
    return true;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** What put() would answer if (publisher, msg) is remembered: the original's topic and sequence. */
  duplicate(publisher: string, msg: string, owner = ''): PutOutcome | undefined {
    const known = this.dedup.get(dedupKey(owner, publisher, msg));
    return known === undefined ? undefined : { outcome: 'duplicate', topic: known.topic, seq: known.seq, durable: known.durable };
  }

  /** topic → acknowledged position, for every subscription of `subscriber`. */
  subscriptionsOf(subscriber: string): Map<string, number> {
    const result = new Map<string, number>();
    for (const topicName of this.bySubscriber.get(subscriber) ?? []) {
      const position = this.topics.get(topicName)?.subscriptions.get(subscriber);
      if (position !== undefined) result.set(topicName, position);
    }
    return result;
  }

  /** Every subscriber id with at least one durable subscription. */
  subscribers(): IterableIterator<string> {
    return this.bySubscriber.keys();
  }

  acked(subscriber: string, topicName: string): number | undefined {
    return this.topics.get(topicName)?.subscriptions.get(subscriber);
  }

  /** The durably accepted message `seq` of a topic, if still retained. */
  message(topicName: string, seq: number): StoredMessage | undefined {
    const topic = this.topics.get(topicName);
    if (topic === undefined || seq > topic.durableLast || topic.messages.length === 0) return undefined;
    return topic.messages[seq - topic.messages[0].seq];
  }

  durableLast(topicName: string): number {
    return this.topics.get(topicName)?.durableLast ?? 0;
  }

  /** Whether the topic is known (a put or a subscription created it); topics are never removed, their sequence numbers must last. */
  hasTopic(topicName: string): boolean {
    return this.topics.has(topicName);
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /** Messages owed to `subscriber` and not acknowledged, over all its topics. */
  pending(subscriber: string): number {
    let total = 0;
    for (const topicName of this.bySubscriber.get(subscriber) ?? []) {
      const topic = this.topics.get(topicName)!;
      total += topic.last - (topic.subscriptions.get(subscriber) ?? topic.last);
    }
    return total;
  }

  stats(): PubSubStoreStats {
    let retained = 0;
    let subscriptions = 0;
    for (const topic of this.topics.values()) {
      retained += topic.messages.length;
      subscriptions += topic.subscriptions.size;
    }
    return { topics: this.topics.size, retained, subscriptions, dedupEntries: this.dedup.size, fileRecords: this.fileRecords, compactions: this.compactions, journal: this.log.stats() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAcks();
    this.closed = true;
    await this.log.close();
  }

  // ---- the fold -------------------------------------------------------------------------------

  /** Applies one record to memory; the one place state changes, for live commands and replay alike. */
  private apply(record: StoreRecord, payload?: Buffer): void {
    switch (record.type) {
      case 'put': {
        const topic = this.topic(record.topic);
        if (record.seq <= topic.last) return; // already known: a record from before a compaction
        topic.last = record.seq;
        this.remember(record.owner ?? '', record.publisher, record.msg, record.topic, record.seq);
        if (topic.subscriptions.size === 0) return; // owed to nobody: released at once
        if (topic.messages.length > 0 && topic.messages[topic.messages.length - 1].seq !== record.seq - 1) {
          // Sequences are assigned one by one, so a gap means a record was lost: refuse to guess.
          throw new Error(`journal: put ${record.topic}#${record.seq} does not follow ${topic.messages[topic.messages.length - 1].seq}`);
        }
        topic.messages.push({ topic: record.topic, seq: record.seq, publisher: record.publisher, msg: record.msg, payload: payload ?? Buffer.from(record.payload, 'base64'), ...ownerField(record.owner ?? '') });
        return;
      }
      case 'subscribe': {
        const topic = this.topic(record.topic);
        // topic.last is left alone: after a compaction the position may run ahead of the puts
        // replayed next, which must still count as new.
        topic.subscriptions.set(record.subscriber, record.position);
        let topics = this.bySubscriber.get(record.subscriber);
        if (topics === undefined) this.bySubscriber.set(record.subscriber, (topics = new Set()));
        topics.add(record.topic);
        return;
      }
      case 'unsubscribe': {
        const topic = this.topics.get(record.topic);
        topic?.subscriptions.delete(record.subscriber);
        this.bySubscriber.get(record.subscriber)?.delete(record.topic);
        if (this.bySubscriber.get(record.subscriber)?.size === 0) this.bySubscriber.delete(record.subscriber);
        if (topic !== undefined) this.release(topic);
        return;
      }
      case 'acks':
        for (const [subscriber, topicName, position] of record.acks) {
          const topic = this.topics.get(topicName);
          const current = topic?.subscriptions.get(subscriber);
          if (topic !== undefined && current !== undefined && position > current) topic.subscriptions.set(subscriber, Math.min(position, topic.last));
        }
        return;
      case 'topic': {
        const topic = this.topic(record.topic);
        topic.last = Math.max(topic.last, record.last);
        return;
      }
      case 'seen':
        this.remember(record.owner ?? '', record.publisher, record.msg, record.topic, record.seq);
        return;
    }
  }

  /** Makes (publisher, msg) the newest dedup entry; the oldest beyond the retention are forgotten. */
  private remember(owner: string, publisher: string, msg: string, topic: string, seq: number): void {
    const key = dedupKey(owner, publisher, msg);
    // Delete first, so that replaying a compacted journal's `seen` records restores the table's order.
    this.dedup.delete(key);
    this.dedup.set(key, { owner, publisher, msg, topic, seq, durable: DURABLE });
    while (this.dedup.size > this.dedupRetention) this.dedup.delete(this.dedup.keys().next().value as string);
  }

  /** Drops retained messages every subscriber of the topic has acknowledged. */
  private release(topic: Topic): void {
    let floor = topic.last;
    for (const position of topic.subscriptions.values()) floor = Math.min(floor, position);
    let drop = 0;
    while (drop < topic.messages.length && topic.messages[drop].seq <= floor) drop++;
    if (drop > 0) topic.messages.splice(0, drop);
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = { name, last: 0, durableLast: 0, messages: [], subscriptions: new Map() };
      this.topics.set(name, topic);
    }
    return topic;
  }

  // ---- the journal ----------------------------------------------------------------------------

  /** The latest write: a no-op command resolves after it, so it never reports a state a crash could undo. */
  private lastWrite: Promise<void> = DURABLE;

  private issue(record: StoreRecord): Promise<void> {
    this.fileRecords++;
    const write = this.log.append(Buffer.from(JSON.stringify(record)));
    this.lastWrite = write.catch(() => undefined);
    write.catch((error: unknown) => this.failed(error));
    this.maybeCompact();
    return write;
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.dirtyAcks.size === 0 || this.closed) return;
    const acks = [...this.dirtyAcks.values()];
    this.dirtyAcks.clear();
    // An ack lost in a crash only means a redelivery, which subscribers drop (rule 8): nobody waits for it.
    void this.issue({ type: 'acks', acks }).catch(() => undefined);
  }

  private failed(error: unknown): void {
    const handler = this.failureHandler;
    this.failureHandler = undefined;
    handler?.(error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * The records that rebuild the current state, in replay order: each topic's last sequence before
   * its retained messages, the subscriptions at their acknowledged positions, the retained puts (a
   * put is retained only if somebody is subscribed when it is replayed), then every dedup entry,
   * oldest first, so that the table comes back in the order retention forgets it.
   */
  private liveRecords(): StoreRecord[] {
    const records: StoreRecord[] = [];
    for (const topic of this.topics.values()) {
      if (topic.last > 0) records.push({ type: 'topic', topic: topic.name, last: topic.messages.length > 0 ? topic.messages[0].seq - 1 : topic.last });
    }
    for (const topic of this.topics.values()) {
      for (const [subscriber, position] of topic.subscriptions) records.push({ type: 'subscribe', subscriber, topic: topic.name, position });
    }
    for (const topic of this.topics.values()) {
      for (const message of topic.messages) {
        records.push({ type: 'put', topic: topic.name, seq: message.seq, publisher: message.publisher, msg: message.msg, payload: message.payload.toString('base64'), ...ownerField(message.owner ?? '') });
      }
    }
    for (const entry of this.dedup.values()) records.push({ type: 'seen', publisher: entry.publisher, msg: entry.msg, topic: entry.topic, seq: entry.seq, ...ownerField(entry.owner) });
    return records;
  }

  /** How many records liveRecords() would give, without building them (checked on every write). */
  private liveRecordCount(): number {
    let count = this.dedup.size;
    for (const topic of this.topics.values()) count += (topic.last > 0 ? 1 : 0) + topic.subscriptions.size + topic.messages.length;
    return count;
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed || this.fileRecords < (this.options.compactionMinRecords ?? DEFAULT_COMPACTION_MIN_RECORDS)) return;
    if (this.fileRecords <= COMPACTION_RATIO * Math.max(1, this.liveRecordCount())) return;
    this.compacting = true;
    const live = this.liveRecords();
    // The snapshot includes acks not yet issued; the rewrite makes them durable too.
    const unissuedAcks = new Map(this.dirtyAcks);
    this.dirtyAcks.clear();
    const before = this.fileRecords;
    this.log
      .rewrite(live.map((record) => Buffer.from(JSON.stringify(record))))
      .then(
        () => {
          this.compactions++;
          this.options.onCompacted?.({ compactions: this.compactions, liveRecords: live.length, dedupEntries: this.dedup.size, dedupRetention: this.dedupRetention });
        },
        (error: unknown) => {
          this.options.logger?.warn({ err: error }, 'journal compaction failed; appends go on against the old file');
          // The old file is still the journal: it holds what it held plus what was appended since.
          this.fileRecords = before + (this.fileRecords - live.length);
          for (const [key, ack] of unissuedAcks) if (!this.dirtyAcks.has(key)) this.dirtyAcks.set(key, ack);
          if (this.dirtyAcks.size > 0) this.ackTimer ??= setTimeout(() => this.flushAcks(), this.options.ackFlushMs ?? 5);
        },
      )
      .finally(() => (this.compacting = false));
    // Records issued after the rewrite call land after the snapshot in the new file.
    this.fileRecords = live.length;
  }
}

function dedupKey(owner: string, publisher: string, msg: string): string {
  return `${owner}\n${publisher}\n${msg}`;
}

/** Unauthenticated journals stay as they were: the field is written only when there is an owner. */
function ownerField(owner: string): { owner?: string } {
  return owner === '' ? {} : { owner };
}

function parseRecord(payload: Buffer, index: number): StoreRecord {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new Error(`journal record ${index} is not JSON: ${(error as Error).message}`);
  }
  const record = value as Record<string, unknown>;
  const str = (field: string): boolean => typeof record[field] === 'string';
  const optionalStr = (field: string): boolean => record[field] === undefined || typeof record[field] === 'string';
  const int = (field: string): boolean => Number.isSafeInteger(record[field]) && (record[field] as number) >= 0;
  const ok = (() => {
    switch (record?.type) {
      case 'put':
        return str('topic') && int('seq') && str('publisher') && str('msg') && str('payload') && optionalStr('owner');
      case 'subscribe':
        return str('subscriber') && str('topic') && int('position');
      case 'unsubscribe':
        return str('subscriber') && str('topic');
      case 'acks':
        return Array.isArray(record.acks) && record.acks.every((a: unknown) => Array.isArray(a) && a.length === 3 && typeof a[0] === 'string' && typeof a[1] === 'string' && Number.isSafeInteger(a[2]));
      case 'topic':
        return str('topic') && int('last');
      case 'seen':
        return str('publisher') && str('msg') && str('topic') && int('seq') && optionalStr('owner');
      default:
        return false;
    }
  })();
  // A record we do not understand means a bug or a newer format: skipping it could lose a message.
  if (!ok) throw new Error(`journal record ${index} is not a pub/sub record: ${payload.toString('utf8').slice(0, 200)}`);
  return record as unknown as StoreRecord;
}
