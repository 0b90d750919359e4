import { isWriteRefused, Journal, type JournalLogger, type JournalStats, type RepairReport } from './journal';

/**
 * The broker's durable job table: which jobs were accepted, which are still pending, and the reply
 * of each completed job within retention. Every change is a journal record; the in-memory table is
 * at all times the fold of the records issued so far, in order, so a restart that replays the
 * journal (or any whole-record prefix of it, after a crash) rebuilds exactly the state those
 * records describe. See docs/journal.md.
 */

export type AcceptOutcome = 'new' | 'pending' | 'completed' | 'abandoned' | 'given-up' | 'killed';

export type JobLookup =
  /** `killPending`: KHC/1, a kill was asked while it may be running: it is never dispatched again. */
  | { state: 'pending'; service: string; body: Buffer[]; client?: Buffer; killPending?: true }
  | { state: 'completed'; reply: Buffer[] }
  | { state: 'abandoned' }
  /** The broker gave up on it past its deadline (docs/limits.md): it may have run, and will not run again. */
  | { state: 'given-up' }
  /** KHC/1: killed on request (docs/protocol.md, "Control"): it did not complete and will not run. */
  | { state: 'killed' };

export interface PendingJob {
  job: string;
  service: string;
  body: Buffer[];
  client?: Buffer;
  /** A kill is pending: the job is not dispatched again; the broker waits the result grace, then kills it. */
  killPending?: true;
}

/** Only `error` and `warn` are used; a pino Logger fits. */
export interface JobStoreLogger extends JournalLogger {
  error(details: object, message: string): void;
}

export interface JobStoreOptions {
  /** Completed jobs older than this (ms since completion) are forgotten by expire(). */
  retentionMs: number;
  /** At most this many completed jobs are kept; expire() forgets the oldest beyond it. */
  retentionCount: number;
  logger?: JobStoreLogger;
  /**
   * Clock for record timestamps and expiry; injectable so tests need not wait. Wall clock by default
   * on purpose, unlike every timer of the broker (util/monotonic-clock.ts): the timestamps are written
   * to the journal and compared after a restart, which a per-process monotonic clock cannot survive.
   */
  now?: () => number;
  /** Passed to the journal: fdatasync before anything resolves (default true). */
  fsync?: boolean;
  /** Passed to the journal: the seeded defect ignore-sync-errors (reference/defects.ts). */
  ignoreSyncErrors?: boolean;
  /**
   * Compact automatically once the file holds more than this many times the records a compaction
   * would keep (default 4). Higher means fewer rewrites and a longer replay on restart.
   */
  compactionRatio?: number;
  /** No automatic compaction below this many records in the file (default 1024). */
  compactionMinRecords?: number;
}

export interface JobStoreStats {
  /** Jobs known: pending plus completed within retention. */
  jobs: number;
  pending: number;
  /** Records in the journal file, live or not. */
  fileRecords: number;
  /** Compactions finished since open, automatic or not. */
  compactions: number;
  journal: JournalStats;
}

/** What `keelhaul broker --journal <file> --repair` did: the journal's report, and what it means for jobs. */
export interface JobRepairReport extends RepairReport {
  /**
   * Jobs whose result survived but whose acceptance was lost: each was acknowledged (202) and a retry
   * of it would now run as a new job. The lost records may hold more such jobs, unnamed.
   */
  jobsKnownLost: string[];
}

/** The command that repairs a broker journal, quoted in the error that refuses a damaged one. */
export function brokerRepairCommand(path: string): string {
  return `keelhaul broker --journal ${path} --repair`;
}

export const DEFAULT_COMPACTION_RATIO = 4;
export const DEFAULT_COMPACTION_MIN_RECORDS = 1024;

type JobRecord =
  | { type: 'accepted'; job: string; service: string; client?: string; body: string[]; at: number }
  | { type: 'completed'; job: string; reply: string[]; at: number; abandoned?: true; givenUp?: true }
  | { type: 'forgotten'; job: string }
  | { type: 'kill-pending'; job: string; at: number }
  | { type: 'killed'; job: string; at: number };

/** What the store needs of a journal; Journal is the durable one, MemoryLog keeps nothing. */
export type RecordLog = Pick<Journal, 'append' | 'rewrite' | 'close' | 'stats' | 'path'>;

/**
 * A log that forgets: the same store semantics (dedup, retention) for one process lifetime, for a
 * broker run without a journal file and as the non-durable baseline in the bench.
 */
export class MemoryLog implements RecordLog {
  readonly path = '(memory)';
  private readonly counters: JournalStats = { appends: 0, flushes: 0, bytes: 0 };
  append(payload: Buffer): Promise<void> {
    this.counters.appends += 1;
    this.counters.bytes += payload.length;
    return DURABLE;
  }
  rewrite(): Promise<void> {
    return DURABLE;
  }
  close(): Promise<void> {
    return DURABLE;
  }
  stats(): JournalStats {
    return { ...this.counters };
  }
}

interface JobEntry {
  job: string;
  service: string;
  body: Buffer[];
  client?: Buffer;
  acceptedAt: number;
  reply?: Buffer[];
  completedAt?: number;
  /** Completed without running: it waited past the broker's request expiry. */
  abandoned?: boolean;
  /** Given up past the broker's job deadline: it may have run; its outcome is unknown. */
  givenUp?: boolean;
  /** KHC/1: a kill is pending (recorded by `kill-pending`): never dispatched again. */
  killPending?: boolean;
  /** KHC/1: killed on request: completed without a result, answered 409. */
  killed?: boolean;
  /**
   * A finished job's records as a compaction writes them (its acceptance without the body, then its
   * ending), encoded once when it finished: a finished entry no longer changes (an undone finish
   * clears them), and re-encoding the whole table on every compaction stalled a cluster node's event
   * loop for hundreds of ms at 100,000 jobs (bench/README.md, "Replicated broker"). About 250 bytes
   * per retained job.
   */
  finishedAcceptance?: Buffer;
  finishedEnding?: Buffer;
  /**
   * The journal write of this job's latest record. A duplicate accept waits on it, so it never
   * reports a state that a crash could still take back.
   */
  lastWrite: Promise<void>;
}

const DURABLE: Promise<void> = Promise.resolve();

export class JobStore {
  /** Insertion order is acceptance order: pending() and compaction rely on it. */
  private readonly jobs = new Map<string, JobEntry>();
  /** Completed jobs in completion order, oldest first: the order retention drops them in. */
  private readonly completed = new Map<string, JobEntry>();
  /** Records in the journal file, live or not: with liveRecords(), what triggers compaction. */
  private fileRecords: number;
  private compacting: Promise<void> | undefined;
  /** After an automatic compaction failed, none is tried again until the file holds this many records. */
  private compactionRetryAt = 0;
  private compactions = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly compactionRatio: number;
  private readonly compactionMinRecords: number;

  private constructor(
    private readonly journal: RecordLog,
    private readonly options: JobStoreOptions,
    fileRecords: number,
  ) {
    this.fileRecords = fileRecords;
    this.now = options.now ?? Date.now;
    this.compactionRatio = options.compactionRatio ?? DEFAULT_COMPACTION_RATIO;
    this.compactionMinRecords = options.compactionMinRecords ?? DEFAULT_COMPACTION_MIN_RECORDS;
  }

  static async open(path: string, options: JobStoreOptions): Promise<JobStore> {
    const { journal, records } = await Journal.open(path, { logger: options.logger, fsync: options.fsync, ignoreSyncErrors: options.ignoreSyncErrors, repairCommand: brokerRepairCommand(path) });
    const store = new JobStore(journal, options, records.length);
    try {
      records.forEach((payload, index) => store.replay(parseRecord(payload, path, index), payload));
    } catch (error) {
      await journal.close();
      throw error;
    }
    // Retention ran on the clock while the broker was down; catch up before serving anything.
    store.expire();
    return store;
  }

  /**
   * Repairs a damaged journal (Journal.repair: every good record kept, the original copied aside) and
   * names the jobs the kept records show were acknowledged but lost their acceptance.
   */
  static async repair(path: string, options: Pick<JobStoreOptions, 'fsync'> = {}): Promise<JobRepairReport> {
    const report = await Journal.repair(path, options);
    const { journal, records } = await Journal.open(path, { fsync: options.fsync, repairCommand: brokerRepairCommand(path) });
    await journal.close();
    const accepted = new Set<string>();
    const jobsKnownLost = new Set<string>();
    records.forEach((payload, index) => {
      const record = parseRecord(payload, path, index);
      if (record.type === 'accepted') accepted.add(record.job);
      else if ((record.type === 'completed' || record.type === 'killed') && !accepted.has(record.job)) jobsKnownLost.add(record.job);
    });
    return { ...report, jobsKnownLost: [...jobsKnownLost] };
  }

  /**
   * A store over any record log (a replicated one, reference/cluster/), its table rebuilt from
   * `records` (a compaction's live records followed by later ones), exactly as open() replays a file.
   */
  static fromRecords(log: RecordLog, options: JobStoreOptions, records: readonly Buffer[]): JobStore {
    const store = new JobStore(log, options, records.length);
    records.forEach((payload, index) => store.replay(parseRecord(payload, log.path, index), payload));
    return store;
  }

  /**
   * Folds in one record written elsewhere (a cluster follower applying what its leader committed):
   * the table changes exactly as it did where the record was written. Throws on a malformed record.
   */
  applyRecord(payload: Buffer): void {
    this.assertOpen('apply a record');
    this.fileRecords += 1;
    this.replay(parseRecord(payload, this.journal.path, this.fileRecords), payload);
  }

  /**
   * The records a compaction would write now: every job's acceptance, pending kills, then retained
   * endings. Only pending jobs are encoded here; a finished job's records were encoded when it finished.
   */
  liveRecordPayloads(): Buffer[] {
    const payloads: Buffer[] = [];
    for (const entry of this.jobs.values()) {
      payloads.push(entry.reply === undefined ? encodeRecord(acceptedRecord(entry)) : (entry.finishedAcceptance ??= encodeRecord(acceptedRecord(entry))));
    }
    // After every acceptance, before any completion: a replay meets each job's records in their order.
    for (const entry of this.jobs.values()) {
      if (entry.killPending === true && entry.reply === undefined) payloads.push(encodeRecord({ type: 'kill-pending', job: entry.job, at: entry.acceptedAt }));
    }
    for (const entry of this.completed.values()) payloads.push((entry.finishedEnding ??= encodeRecord(completedRecord(entry))));
    return payloads;
  }

  /** A store whose records go nowhere: nothing survives the process. */
  static inMemory(options: JobStoreOptions): JobStore {
    return new JobStore(new MemoryLog(), options, 0);
  }

  /**
   * Records a job and resolves once that is durable. A job id already known is not recorded again:
   * the outcome is its state when accept() was called, reported once the write that established
   * that state is durable. A 'completed' job can still expire before the caller's lookup(): the
   * reply is then gone for good, as it would be a moment later anyway.
   */
  async accept(job: string, service: string, body: Buffer[], client?: Buffer): Promise<AcceptOutcome> {
    this.assertOpen('accept');
    const known = this.jobs.get(job);
    if (known !== undefined) {
      // State as of the call, like everything else here: waiting for a later state instead would let
      // an expiry in between turn a retry of a finished job into a second run of it.
      const state = stateOf(known);
      await known.lastWrite;
      return state;
    }
    const at = this.now();
    const entry: JobEntry = { job, service, body, client, acceptedAt: at, lastWrite: DURABLE };
    this.jobs.set(job, entry);
    entry.lastWrite = this.write(acceptedRecord(entry));
    // Refused by the disk (full, read-only): never recorded, so never known; a retry starts afresh.
    await this.undoneIfRefused(entry.lastWrite, () => {
      if (this.jobs.get(job) === entry) this.jobs.delete(job);
    });
    return 'new';
  }

  /**
   * Records the reply of a pending job; resolves true once durable. False, with nothing written, for
   * a job unknown (never accepted, or already forgotten) or already completed: a worker's duplicate
   * reply must not overwrite the first.
   */
  async complete(job: string, reply: Buffer[]): Promise<boolean> {
    return this.finish(job, reply, 'completed');
  }

  /**
   * Records that a pending job will never run (the broker gave up on it before any worker got it);
   * a later accept of the same id answers 'abandoned'. Resolves true once durable, false (nothing
   * written) for a job unknown or already finished.
   */
  async abandon(job: string): Promise<boolean> {
    return this.finish(job, [], 'abandoned');
  }

  /**
   * Records that the broker gave up on a pending job that may have run (its deadline passed with no
   * result): it will not run again, and a later accept of the same id answers 'given-up'. Resolves
   * true once durable, false (nothing written) for a job unknown or already finished.
   */
  async giveUp(job: string): Promise<boolean> {
    return this.finish(job, [], 'given-up');
  }

  /**
   * KHC/1: records that a kill of this pending job was asked while it may be running, so it is never
   * dispatched again, also after a restart. Resolves true once durable; false (nothing written) for a
   * job unknown, finished, or already kill-pending.
   */
  async markKillPending(job: string): Promise<boolean> {
    this.assertOpen('mark a kill pending');
    const entry = this.jobs.get(job);
    if (entry === undefined || entry.reply !== undefined || entry.killPending === true) return false;
    entry.killPending = true;
    entry.lastWrite = this.write({ type: 'kill-pending', job, at: this.now() });
    await entry.lastWrite;
    return true;
  }

  /**
   * KHC/1: records that a pending job was killed (it did not complete and will not run); a later
   * accept of the same id answers 'killed'. Resolves true once durable, false (nothing written) for a
   * job unknown or already finished.
   */
  async kill(job: string): Promise<boolean> {
    return this.finish(job, [], 'killed');
  }

  /** Resolves once the latest record written for `job` (if any) is durable: a state read after it cannot be taken back by a crash. */
  async settled(job: string): Promise<void> {
    await this.jobs.get(job)?.lastWrite;
  }

  private async finish(job: string, reply: Buffer[], ending: 'completed' | 'abandoned' | 'given-up' | 'killed'): Promise<boolean> {
    this.assertOpen(ending === 'completed' ? 'complete' : ending === 'abandoned' ? 'abandon' : ending === 'killed' ? 'kill' : 'give up');
    const entry = this.jobs.get(job);
    if (entry === undefined || entry.reply !== undefined) return false;
    const before = { body: entry.body, lastWrite: entry.lastWrite };
    entry.reply = reply;
    entry.completedAt = this.now();
    if (ending === 'abandoned') entry.abandoned = true;
    if (ending === 'given-up') entry.givenUp = true;
    if (ending === 'killed') entry.killed = true;
    // A finished job is never dispatched again: its request body is dead weight in memory and in
    // every compacted journal from now on.
    entry.body = [];
    this.completed.set(job, entry);
    entry.finishedAcceptance = encodeRecord(acceptedRecord(entry));
    entry.finishedEnding = encodeRecord(completedRecord(entry));
    entry.lastWrite = this.append(entry.finishedEnding);
    // Refused by the disk: still pending, as the journal says; the caller may try again.
    await this.undoneIfRefused(entry.lastWrite, () => {
      delete entry.reply;
      delete entry.completedAt;
      delete entry.abandoned;
      delete entry.givenUp;
      delete entry.killed;
      delete entry.finishedAcceptance;
      delete entry.finishedEnding;
      entry.body = before.body;
      entry.lastWrite = before.lastWrite;
      this.completed.delete(job);
    });
    return true;
  }

  /**
   * Awaits `write`; when the disk refused it (JournalWriteRefused: nothing of it reached the
   * journal, which stays usable), first undoes the change in memory that the record stood for, so
   * the table stays the fold of the records in the file, then rethrows.
   */
  private async undoneIfRefused(write: Promise<void>, undo: () => void): Promise<void> {
    try {
      await write;
    } catch (error) {
      if (isWriteRefused(error)) {
        this.fileRecords -= 1;
        undo();
      }
      throw error;
    }
  }

  /**
   * Releases a completed job before retention would (its client has the reply); resolves true once
   * durable. Pending jobs cannot be forgotten: they are owed a run.
   */
  async forget(job: string): Promise<boolean> {
    this.assertOpen('forget');
    const entry = this.jobs.get(job);
    if (entry === undefined || entry.reply === undefined) return false;
    await this.drop(entry);
    return true;
  }

  /**
   * The state as of every call made so far, durable or not. Callers that reply to a client from it
   * do so after their own accept() or complete() resolved, which is what makes the answer durable.
   */
  lookup(job: string): JobLookup | undefined {
    const entry = this.jobs.get(job);
    if (entry === undefined) return undefined;
    if (entry.abandoned === true) return { state: 'abandoned' };
    if (entry.givenUp === true) return { state: 'given-up' };
    if (entry.killed === true) return { state: 'killed' };
    if (entry.reply !== undefined) return { state: 'completed', reply: entry.reply };
    return { state: 'pending', service: entry.service, body: entry.body, ...clientOf(entry), ...killPendingOf(entry) };
  }

  /** Jobs accepted and not completed, oldest first: what a restarted broker dispatches again. */
  pending(): PendingJob[] {
    const result: PendingJob[] = [];
    for (const entry of this.jobs.values()) {
      if (entry.reply === undefined) {
        result.push({ job: entry.job, service: entry.service, body: entry.body, ...clientOf(entry), ...killPendingOf(entry) });
      }
    }
    return result;
  }

  /**
   * Forgets completed jobs past retention (older than retentionMs, or beyond the newest
   * retentionCount), oldest first; returns how many. Each gets a `forgotten` record, so a restart
   * does not bring it back, and a later accept of the same id is a new job after it in the journal.
   * Those writes are not awaited here: the journal keeps them in order, so anything appended later
   * is durable only if they are, and a failure surfaces on that later write and in the log.
   */
  expire(): number {
    this.assertOpen('expire');
    const cutoff = this.now() - this.options.retentionMs;
    let dropped = 0;
    for (const entry of this.completed.values()) {
      const overCount = this.completed.size > this.options.retentionCount;
      if (!overCount && (entry.completedAt ?? 0) >= cutoff) break;
      this.drop(entry).catch((error: unknown) =>
        this.options.logger?.error({ job: entry.job, err: error }, 'journaling an expired job failed'),
      );
      dropped += 1;
    }
    return dropped;
  }

  /** Number of jobs known: pending plus completed within retention. */
  get size(): number {
    return this.jobs.size;
  }

  stats(): JobStoreStats {
    return {
      jobs: this.jobs.size,
      pending: this.jobs.size - this.completed.size,
      fileRecords: this.fileRecords,
      compactions: this.compactions,
      journal: this.journal.stats(),
    };
  }

  /**
   * Rewrites the journal with only live records: every pending job's acceptance, and acceptance and
   * completion of every retained completed job. Accepts and completions may go on meanwhile.
   */
  async compact(): Promise<void> {
    this.assertOpen('compact');
    while (this.compacting !== undefined) await this.compacting.catch(() => undefined);
    const run = this.rewriteLive();
    this.compacting = run;
    try {
      await run;
    } finally {
      if (this.compacting === run) this.compacting = undefined;
    }
  }

  /** Waits for a compaction under way, then flushes and closes the journal. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.compacting !== undefined) await this.compacting.catch(() => undefined);
    await this.journal.close();
  }

  private async rewriteLive(): Promise<void> {
    // Snapshot and rewrite() in one synchronous step: the journal treats every append made before
    // rewrite() as superseded by the snapshot, and every later one as coming after it. With an await
    // in between, an append could fall in neither.
    const payloads = this.liveRecordPayloads();
    const before = this.fileRecords;
    this.fileRecords = payloads.length;
    try {
      await this.journal.rewrite(payloads);
      this.compactions += 1;
    } catch (error) {
      // The old file is still the journal (or the journal failed): count as if nothing was compacted.
      this.fileRecords += before - payloads.length;
      throw error;
    }
  }

  /** Refuses before touching memory, so a closed store's table stays what its journal says. */
  private assertOpen(operation: string): void {
    if (this.closed) throw new Error(`job store ${this.journal.path} is closed: cannot ${operation}`);
  }

  private drop(entry: JobEntry): Promise<void> {
    this.jobs.delete(entry.job);
    this.completed.delete(entry.job);
    // Refused by the disk: the journal still holds the job, so memory does too (unless its id came back meanwhile); a later expire() drops it again.
    return this.undoneIfRefused(this.write({ type: 'forgotten', job: entry.job }), () => {
      if (this.jobs.has(entry.job)) return;
      this.jobs.set(entry.job, entry);
      this.completed.set(entry.job, entry);
    });
  }

  private write(record: JobRecord): Promise<void> {
    return this.append(encodeRecord(record));
  }

  private append(payload: Buffer): Promise<void> {
    this.fileRecords += 1;
    const written = this.journal.append(payload);
    this.maybeCompact();
    return written;
  }

  private maybeCompact(): void {
    if (this.compacting !== undefined || this.closed || this.fileRecords < this.compactionRetryAt) return;
    // Checked on every write: the cheap lower bound of the live count (no job walk) settles most writes.
    const lowerBound = this.compactionRatio * Math.max(this.jobs.size + this.completed.size, this.compactionMinRecords);
    if (this.fileRecords <= lowerBound) return;
    const threshold = this.compactionRatio * Math.max(this.liveRecords(), this.compactionMinRecords);
    if (this.fileRecords <= threshold) return;
    this.compact().catch((error: unknown) => {
      // Retrying on every write would turn a full disk into a storm of failed rewrites.
      this.compactionRetryAt = this.fileRecords * 2;
      this.options.logger?.error({ err: error }, 'journal compaction failed; appends continue on the uncompacted journal');
    });
  }

  /** Records a compaction would write now. */
  private liveRecords(): number {
    let killPending = 0;
    for (const entry of this.jobs.values()) if (entry.killPending === true && entry.reply === undefined) killPending += 1;
    return this.jobs.size + this.completed.size + killPending;
  }

  /**
   * Applies one record read back from the journal, exactly as the live call that wrote it did.
   * `payload` is the record's bytes: a finished job keeps the ones that rebuild it (copied, since they
   * may be a view into a whole file or image) rather than encoding its records again.
   */
  private replay(record: JobRecord, payload: Buffer): void {
    switch (record.type) {
      case 'accepted': {
        // Already known: a duplicate can only come from a bug elsewhere, and the first one won live too.
        if (this.jobs.has(record.job)) return;
        const entry: JobEntry = {
          job: record.job,
          service: record.service,
          body: record.body.map(fromBase64),
          acceptedAt: record.at,
          lastWrite: DURABLE,
        };
        if (record.client !== undefined) entry.client = Buffer.from(record.client, 'hex');
        // Without a body, it is already the acceptance a compaction writes once the job has finished (an image's).
        if (record.body.length === 0) entry.finishedAcceptance = Buffer.from(payload);
        this.jobs.set(record.job, entry);
        return;
      }
      case 'completed': {
        const entry = this.jobs.get(record.job);
        if (entry === undefined || entry.reply !== undefined) return;
        entry.reply = record.reply.map(fromBase64);
        entry.completedAt = record.at;
        if (record.abandoned === true) entry.abandoned = true;
        if (record.givenUp === true) entry.givenUp = true;
        this.finishedOnReplay(entry, payload);
        return;
      }
      case 'forgotten': {
        this.jobs.delete(record.job);
        this.completed.delete(record.job);
        return;
      }
      case 'kill-pending': {
        const entry = this.jobs.get(record.job);
        if (entry !== undefined && entry.reply === undefined) entry.killPending = true;
        return;
      }
      case 'killed': {
        const entry = this.jobs.get(record.job);
        if (entry === undefined || entry.reply !== undefined) return;
        entry.reply = [];
        entry.completedAt = record.at;
        entry.killed = true;
        this.finishedOnReplay(entry, payload);
        return;
      }
    }
  }

  private finishedOnReplay(entry: JobEntry, ending: Buffer): void {
    entry.body = [];
    entry.finishedAcceptance ??= encodeRecord(acceptedRecord(entry));
    entry.finishedEnding = Buffer.from(ending);
    this.completed.set(entry.job, entry);
  }
}

function stateOf(entry: JobEntry): AcceptOutcome {
  if (entry.reply === undefined) return 'pending';
  if (entry.abandoned === true) return 'abandoned';
  if (entry.killed === true) return 'killed';
  return entry.givenUp === true ? 'given-up' : 'completed';
}

function acceptedRecord(entry: JobEntry): JobRecord {
  const record: JobRecord = {
    type: 'accepted',
    job: entry.job,
    service: entry.service,
    body: entry.body.map(base64),
    at: entry.acceptedAt,
  };
  if (entry.client !== undefined) record.client = entry.client.toString('hex');
  return record;
}

function completedRecord(entry: JobEntry): JobRecord {
  if (entry.killed === true) return { type: 'killed', job: entry.job, at: entry.completedAt ?? 0 };
  const record: JobRecord = { type: 'completed', job: entry.job, reply: (entry.reply ?? []).map(base64), at: entry.completedAt ?? 0 };
  if (entry.abandoned === true) record.abandoned = true;
  if (entry.givenUp === true) record.givenUp = true;
  return record;
}

function encodeRecord(record: JobRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/**
 * Throws on anything that is not a record this version wrote. The checksum already passed, so a
 * malformed record means a bug or a newer format, and skipping it could drop an acknowledged job.
 */
function parseRecord(payload: Buffer, path: string, index: number): JobRecord {
  const fail = (why: string): Error => new Error(`job journal ${path}: record ${index} ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw fail(`is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(value) || typeof value.job !== 'string') throw fail('has no job id');
  const job = value.job;
  switch (value.type) {
    case 'accepted': {
      if (typeof value.service !== 'string' || !isStringArray(value.body) || typeof value.at !== 'number') {
        throw fail('is a malformed "accepted" record');
      }
      if (value.client !== undefined && typeof value.client !== 'string') throw fail('has a malformed client');
      const record: JobRecord = { type: 'accepted', job, service: value.service, body: value.body, at: value.at };
      if (typeof value.client === 'string') record.client = value.client;
      return record;
    }
    case 'completed':
      if (!isStringArray(value.reply) || typeof value.at !== 'number') throw fail('is a malformed "completed" record');
      if (value.abandoned !== undefined && value.abandoned !== true) throw fail('has a malformed "abandoned" flag');
      if (value.givenUp !== undefined && value.givenUp !== true) throw fail('has a malformed "givenUp" flag');
      return {
        type: 'completed',
        job,
        reply: value.reply,
        at: value.at,
        ...(value.abandoned === true ? { abandoned: true } : {}),
        ...(value.givenUp === true ? { givenUp: true } : {}),
      };
    case 'forgotten':
      return { type: 'forgotten', job };
    case 'kill-pending':
    case 'killed':
      if (typeof value.at !== 'number') throw fail(`is a malformed "${value.type}" record`);
      return { type: value.type, job, at: value.at };
    default:
      throw fail(`has an unknown type ${JSON.stringify(value.type)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function base64(frame: Buffer): string {
  return frame.toString('base64');
}

function fromBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** Spread in, so a job without a pending kill has no `killPending` key. */
function killPendingOf(entry: JobEntry): { killPending?: true } {
  return entry.killPending === true ? { killPending: true } : {};
}

/** Spread in, so a job without a client has no `client` key at all rather than an undefined one. */
function clientOf(entry: JobEntry): { client?: Buffer } {
  return entry.client === undefined ? {} : { client: entry.client };
}
