import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeLegacyRecords, decodeRecords, encodeFile, encodeRecord, looksLikeCurrentFormat, salvageRecords, type DamagedRegion } from './record-codec';

/**
 * An append-only file of checksummed records (record-codec.ts) with group commit: every append
 * waiting while a write+fdatasync is under way goes out in the next single write and fdatasync,
 * so the cost of a sync is shared by everyone who arrived during the previous one.
 * See docs/journal.md for the format, recovery rules and guarantees.
 */

/** The one logging call the journal makes; a pino Logger fits. */
export interface JournalLogger {
  warn(details: object, message: string): void;
}

export interface JournalOptions {
  logger?: JournalLogger;
  /**
   * The command an operator runs to repair this journal, quoted in the error that refuses a damaged
   * one (e.g. `keelhaul broker --journal jobs.journal --repair`).
   */
  repairCommand?: string;
  /**
   * fdatasync before an append resolves (default true). Off, appends survive a process crash but
   * not a power loss or kernel crash: for tests and benchmarks of everything but the disk.
   */
  fsync?: boolean;
  /**
   * TEST ONLY, the seeded defect ignore-sync-errors: a failed write or sync of an append is ignored
   * and the append resolves as if durable (a write that failed EIO landed in the page cache, so the
   * journal moves past it; any other failure is simply forgotten). Never on unless named.
   */
  ignoreSyncErrors?: boolean;
}

export interface JournalStats {
  /** Records accepted by append() since open. */
  appends: number;
  /** Write+sync rounds for appends: appends / flushes is the group-commit batching factor. */
  flushes: number;
  /** Record bytes (headers included) written by appends; rewrites not counted. */
  bytes: number;
}

/**
 * A journal damaged before its last record: good records follow the bad bytes, so they were written
 * (and acknowledged) after them, and cutting the file there would forget them. Opening refuses; a
 * repair (Journal.repair) keeps every good record and says how many were lost.
 */
export class JournalCorruptError extends Error {
  constructor(
    readonly path: string,
    /** Offset of the first bad byte. */
    readonly offset: number,
    readonly problem: string,
    repairCommand: string,
    /** Where good records start again, when the file is in the current format. */
    readonly resyncAt?: number,
  ) {
    const after = resyncAt === undefined ? '' : `; good records follow at byte ${resyncAt}, so this is damage, not a torn write`;
    super(`journal ${path} is damaged at byte ${offset}: ${problem}${after}. Refusing to start, which would treat the jobs recorded after it as never seen. Repair with: ${repairCommand}`);
    this.name = 'JournalCorruptError';
  }
}

/**
 * The disk refused the write (full: ENOSPC, EDQUOT; read-only: EROFS): nothing of the failed appends
 * is in the journal, and nothing already durable was touched, so unlike a failed sync the journal
 * stays usable and later appends may succeed once the disk takes writes again (docs/disk-faults.md).
 */
export class JournalWriteRefused extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    cause: Error,
  ) {
    super(`journal ${path} cannot write: ${cause.message}`, { cause });
    this.name = 'JournalWriteRefused';
  }
}

/** The errno codes of a disk that refuses writes without having lost any (a full disk, a read-only one). */
const REFUSED_WRITE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

export function isWriteRefused(error: unknown): error is JournalWriteRefused {
  return error instanceof JournalWriteRefused;
}

/** What Journal.repair found and kept. */
export interface RepairReport {
  path: string;
  /** Where the damaged original was copied before the rewrite. */
  backup: string;
  keptRecords: number;
  damaged: DamagedRegion[];
  /** Records the damaged stretches held (from sequence numbers); undefined when one of them is a tail of unknown size. */
  lostRecords: number | undefined;
  /** Kept records that were payloads of a format-1 file (converted on the way). */
  legacy: boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** Appends not yet handed to the file. One promise per batch: its appends succeed or fail together. */
interface Batch {
  /** Payloads (copies): encoded when written, so each gets the sequence number of its place in the file. */
  chunks: Buffer[];
  /** Usually one; more when a failed rewrite hands its batch back in front of newer appends. */
  settlers: Deferred[];
}

export class Journal {
  private handle: FileHandle;
  /** End of the last whole record: positional writes go here, whatever a failed write left past it. */
  private position: number;
  /** Sequence number of the next record written (docs/journal.md, file format). */
  private nextSeq: number;
  private queue: Batch = emptyBatch();
  private drainScheduled = false;
  private draining: Promise<void> | undefined;
  private rewriting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /**
   * Set by the first failed write or sync and never cleared. After a failed fdatasync the kernel may
   * have dropped the dirty pages and cleared the error, so a later "successful" sync proves nothing
   * about earlier data: the only honest state is failed, until the file is reopened and re-read.
   */
  private failure: Error | undefined;
  private readonly counters: JournalStats = { appends: 0, flushes: 0, bytes: 0 };

  private constructor(
    readonly path: string,
    handle: FileHandle,
    position: number,
    nextSeq: number,
    private readonly fsyncEnabled: boolean,
    private readonly ignoreSyncErrors = false,
  ) {
    this.handle = handle;
    this.position = position;
    this.nextSeq = nextSeq;
  }

  /**
   * Opens (creating file and directory if needed) and recovers: a torn or corrupt tail is cut off
   * at the last whole record, durably, before anything new is appended after it.
   */
  static async open(path: string, options: JournalOptions = {}): Promise<{ journal: Journal; records: Buffer[] }> {
    const fsyncEnabled = options.fsync ?? true;
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    // A leftover from a rewrite that crashed before its rename: never part of the journal.
    await unlink(tempPathOf(path)).catch(ignoreMissing);

    let handle: FileHandle;
    let created = false;
    try {
      handle = await open(path, appendFlags('r+', fsyncEnabled));
    } catch (error) {
      if (!isErrnoException(error) || error.code !== 'ENOENT') throw error;
      handle = await open(path, appendFlags('w+', fsyncEnabled));
      created = true;
    }
    try {
      if (created && fsyncEnabled) await syncDirectory(dir);
      const content = await handle.readFile();
      const repairCommand = options.repairCommand ?? `Journal.repair(${JSON.stringify(path)})`;
      if (!looksLikeCurrentFormat(content)) {
        const records = await readLegacy(path, content, repairCommand);
        // Converted once, atomically: appends after it are format 2, and a file never mixes the two.
        await handle.close();
        await replaceFile(path, encodeFile(records), fsyncEnabled);
        handle = await open(path, appendFlags('r+', fsyncEnabled));
        options.logger?.warn({ journal: path, records: records.length }, `journal converted from format 1 to format 2 (${records.length} records)`);
        const size = (await handle.stat()).size;
        return { journal: new Journal(path, handle, size, records.length, fsyncEnabled, options.ignoreSyncErrors === true), records };
      }
      const decoded = decodeRecords(content);
      if (decoded.problem !== undefined && decoded.resyncAt !== undefined) {
        throw new JournalCorruptError(path, decoded.validLength, decoded.problem, repairCommand, decoded.resyncAt);
      }
      if (decoded.problem !== undefined) {
        // Nothing good after the bad bytes: the tail a crash tore mid-write, never acknowledged.
        await handle.truncate(decoded.validLength);
        if (fsyncEnabled) await handle.datasync();
        options.logger?.warn(
          {
            journal: path,
            problem: decoded.problem,
            validLength: decoded.validLength,
            droppedBytes: content.length - decoded.validLength,
            keptRecords: decoded.records.length,
          },
          `journal tail truncated: ${decoded.problem}; dropped ${content.length - decoded.validLength} bytes`,
        );
      }
      return { journal: new Journal(path, handle, decoded.validLength, decoded.nextSeq, fsyncEnabled, options.ignoreSyncErrors === true), records: decoded.records };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Rewrites a damaged journal with every good record it still holds (resynchronising on the record
   * marker past each damaged stretch), after copying the original to `<path>.damaged-<time>`. The
   * report says what was lost; the caller must say it loudly, since the lost records may be
   * acknowledged work. A journal that is not damaged is left as it is (the report shows nothing lost).
   */
  static async repair(path: string, options: Pick<JournalOptions, 'fsync'> = {}): Promise<RepairReport> {
    const fsyncEnabled = options.fsync ?? true;
    const content = await readExisting(path);
    // Wall clock on purpose: the backup's name tells an operator when the damage was found; nothing measures an interval with it.
    const backup = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    let legacy = false;
    let payloads: Buffer[];
    let damaged: DamagedRegion[];
    if (!looksLikeCurrentFormat(content) && salvageRecords(content).records.length === 0) {
      // Format 1 has no marker to resync on: what precedes the first bad record is all that can be trusted.
      legacy = true;
      const decoded = decodeLegacyRecords(content);
      payloads = decoded.records;
      damaged = decoded.problem === undefined ? [] : [{ offset: decoded.validLength, length: content.length - decoded.validLength, problem: decoded.problem }];
    } else {
      const salvaged = salvageRecords(content);
      payloads = salvaged.records.map((record) => record.payload);
      damaged = salvaged.damaged;
    }
    const lostRecords = damaged.some((region) => region.lostRecords === undefined) ? undefined : damaged.reduce((sum, region) => sum + (region.lostRecords ?? 0), 0);
    if (damaged.length > 0 || legacy) {
      await copyFile(path, backup);
      await replaceFile(path, encodeFile(payloads), fsyncEnabled);
    }
    return { path, backup, keptRecords: payloads.length, damaged, lostRecords, legacy };
  }

  /**
   * Resolves once the record is written and fdatasync'ed. The payload is copied before this returns,
   * so the caller may reuse it. Appends are written in call order.
   */
  append(payload: Buffer): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(this.closedError('append'));
    try {
      // Refused now, not when the batch is written: one bad payload must not fail its neighbours.
      encodeRecord(payload, 0);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const batch = this.queue;
    batch.chunks.push(Buffer.from(payload));
    this.counters.appends += 1;
    this.scheduleDrain();
    return batch.settlers[0].promise;
  }

  /**
   * Replaces the journal's content with `payloads`, atomically (temp file, fsync, rename, directory
   * fsync). `payloads` supersede every append made before this call, including appends still queued:
   * those are not written again, and resolve when the rewritten file is durable. Appends made after
   * this call are queued and land after `payloads` in the new file. If the rewrite fails before the
   * rename the old file is untouched and the superseded appends are written to it after all.
   */
  rewrite(payloads: Buffer[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing !== undefined) return Promise.reject(this.closedError('rewrite'));
    if (this.rewriting !== undefined) return Promise.reject(new Error(`journal ${this.path}: a rewrite is already in progress`));
    let data: Buffer;
    try {
      data = encodeFile(payloads);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const superseded = this.queue;
    this.queue = emptyBatch();
    // Cleared before the caller resumes, so it may rewrite again straight away.
    const run = this.runRewrite(data, payloads.length, superseded).finally(() => {
      this.rewriting = undefined;
      this.scheduleDrain();
    });
    // Tracked without its outcome, which belongs to the caller; close() only needs it to be over.
    this.rewriting = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Flushes every append already made, then closes. Appends and rewrites after this call reject. */
  close(): Promise<void> {
    if (this.closing === undefined) this.closing = this.shutdown();
    return this.closing;
  }

  stats(): JournalStats {
    return { ...this.counters };
  }

  /** Bytes of whole records in the file, as far as this journal has written them. */
  get size(): number {
    return this.position;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.draining !== undefined || this.rewriting !== undefined) return;
    this.drainScheduled = true;
    // Not a microtask: waiting for the check phase lets every append made in this turn of the event
    // loop (several socket messages, say) join the first batch instead of trailing behind a batch of one.
    setImmediate(() => {
      this.drainScheduled = false;
      this.startDrain();
    });
  }

  private startDrain(): void {
    if (this.draining !== undefined || this.rewriting !== undefined || this.queue.chunks.length === 0) return;
    const run = this.drain();
    this.draining = run;
    const clear = (): void => {
      if (this.draining !== run) return;
      this.draining = undefined;
      // An append resumed by the last batch's promise may have queued before this ran, and found
      // a drain still running that was about to stop.
      this.scheduleDrain();
    };
    void run.then(clear, clear);
  }

  /** Writes batch after batch: whatever queued up during one sync is the next batch, without waiting. */
  private async drain(): Promise<void> {
    while (this.queue.chunks.length > 0 && this.rewriting === undefined && this.failure === undefined) {
      const batch = this.queue;
      this.queue = emptyBatch();
      // Each payload was encoded once already, at append(): this cannot throw.
      const firstSeq = this.nextSeq;
      const data = Buffer.concat(batch.chunks.map((payload, index) => encodeRecord(payload, firstSeq + index)));
      try {
        // With O_DSYNC the write returns once durable: one call, one thread-pool round trip.
        await writeFully(this.handle, data, this.position);
        if (this.fsyncEnabled && !SYNCED_WRITES) await this.handle.datasync();
        this.position += data.length;
        this.nextSeq = (firstSeq + batch.chunks.length) >>> 0;
        this.counters.flushes += 1;
        this.counters.bytes += data.length;
        settle(batch);
      } catch (error) {
        if (this.ignoreSyncErrors) {
          this.ignoreFailure(error, batch, firstSeq, data.length);
          continue;
        }
        const refused = await this.refusedWrite(error);
        if (refused === undefined) this.fail(error, 'append', batch);
        else settle(batch, refused);
      }
    }
  }

  /** The seeded defect ignore-sync-errors: the batch is acknowledged as if durable. */
  private ignoreFailure(error: unknown, batch: Batch, firstSeq: number, length: number): void {
    // A write that failed EIO landed (only its sync failed): the journal goes on after it.
    if (isErrnoException(error) && error.code === 'EIO') {
      this.position += length;
      this.nextSeq = (firstSeq + batch.chunks.length) >>> 0;
    }
    settle(batch);
  }

  /**
   * A write the disk refused (full, read-only) fails its batch only: what a short write left past
   * the last whole record is cut off first, so the next batch is written where it belongs and
   * recovery never meets a record that was not acknowledged. Undefined when the error is not a
   * refusal or the cut fails: then the journal cannot be trusted any more.
   */
  private async refusedWrite(error: unknown): Promise<JournalWriteRefused | undefined> {
    const code = isErrnoException(error) ? error.code : undefined;
    if (code === undefined || !REFUSED_WRITE_CODES.has(code)) return undefined;
    try {
      if ((await this.handle.stat()).size > this.position) await this.handle.truncate(this.position);
    } catch {
      return undefined;
    }
    return new JournalWriteRefused(this.path, code, asError(error));
  }

  private async runRewrite(data: Buffer, records: number, superseded: Batch): Promise<void> {
    // The batch in flight finishes against the old file: its records are superseded too, but the
    // old file must stay whole until the rename replaces it.
    await this.draining;
    if (this.failure !== undefined) {
      settle(superseded, this.failure);
      throw this.failure;
    }
    const tempPath = tempPathOf(this.path);
    let fresh: FileHandle | undefined;
    try {
      // Opened for appends too: after the rename this handle is the journal's.
      fresh = await open(tempPath, appendFlags('w+', this.fsyncEnabled));
      await writeFully(fresh, data, 0);
      if (this.fsyncEnabled && !SYNCED_WRITES) await fresh.datasync();
      await rename(tempPath, this.path);
    } catch (error) {
      // The journal was never replaced: it is still valid, only missing the superseded appends,
      // which go back to the head of the queue ahead of anything appended during the rewrite.
      await fresh?.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      this.queue = mergeBatches(superseded, this.queue);
      throw this.wrap(error, 'rewrite');
    }
    // From here the new file is the journal; the handle used to write it (same inode after the
    // rename) takes over appends, so there is no reopen that could fail.
    const old = this.handle;
    this.handle = fresh;
    this.position = data.length;
    this.nextSeq = records;
    // Nothing durable lives only in the old inode any more, so failing to close it loses nothing.
    await old.close().catch(() => undefined);
    try {
      // Without this the rename itself may not survive a power loss, and the old content would return.
      if (this.fsyncEnabled) await syncDirectory(dirname(this.path));
    } catch (error) {
      throw this.fail(error, 'rewrite', superseded);
    }
    settle(superseded);
  }

  private async shutdown(): Promise<void> {
    await this.rewriting;
    while (this.failure === undefined && (this.queue.chunks.length > 0 || this.draining !== undefined)) {
      this.startDrain();
      await this.draining;
    }
    await this.handle.close();
  }

  /** Enters the failed state and rejects everything waiting; returns the error for rethrowing. */
  private fail(error: unknown, operation: string, batch: Batch): Error {
    const failure = this.wrap(error, operation);
    this.failure = failure;
    settle(batch, failure);
    const queued = this.queue;
    this.queue = emptyBatch();
    settle(queued, failure);
    return failure;
  }

  private wrap(error: unknown, operation: string): Error {
    const cause = asError(error);
    return new Error(`journal ${this.path}: ${operation} failed: ${cause.message}`, { cause });
  }

  private closedError(operation: string): Error {
    return new Error(`journal ${this.path} is closed: cannot ${operation}`);
  }
}

/**
 * Where the platform has O_DSYNC (Linux, macOS), a handle the journal appends through is opened with
 * it, so a write returns only once its data is durable, as write + fdatasync would, but in one call:
 * on a one-job-at-a-time load the thread-pool round trip per sync is most of what is not the disk.
 */
const SYNCED_WRITES = typeof fsConstants.O_DSYNC === 'number' && fsConstants.O_DSYNC !== 0;

/** open() flags for a handle that appends: `mode` ('r+' or 'w+'), plus O_DSYNC when syncing. */
function appendFlags(mode: 'r+' | 'w+', fsyncEnabled: boolean): string | number {
  if (!fsyncEnabled || !SYNCED_WRITES) return mode;
  const base = mode === 'r+' ? fsConstants.O_RDWR : fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_TRUNC;
  return base | fsConstants.O_DSYNC;
}

function emptyBatch(): Batch {
  return { chunks: [], settlers: [deferred()] };
}

/** A format-1 file's records, if it reads cleanly to its end; otherwise the open is refused (format 1 cannot tell a torn tail from damage). */
async function readLegacy(path: string, content: Buffer, repairCommand: string): Promise<Buffer[]> {
  const legacy = decodeLegacyRecords(content);
  if (legacy.problem === undefined) return legacy.records;
  const current = salvageRecords(content);
  if (current.records.length > 0) {
    throw new JournalCorruptError(path, 0, current.damaged[0]?.problem ?? legacy.problem, repairCommand, current.records[0].offset);
  }
  throw new JournalCorruptError(
    path,
    legacy.validLength,
    `${legacy.problem} (format 1, which has no record marker: a torn tail cannot be told from damage, and the ${legacy.records.length} records before it are all a repair can keep)`,
    repairCommand,
  );
}

async function readExisting(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Atomically replaces `path` with `data`: temp file, sync, rename, directory sync. */
async function replaceFile(path: string, data: Buffer, fsyncEnabled: boolean): Promise<void> {
  const tempPath = tempPathOf(path);
  const fresh = await open(tempPath, 'w');
  try {
    await writeFully(fresh, data, 0);
    if (fsyncEnabled) await fresh.datasync();
  } finally {
    await fresh.close();
  }
  await rename(tempPath, path);
  if (fsyncEnabled) await syncDirectory(dirname(path));
}

function mergeBatches(first: Batch, second: Batch): Batch {
  if (first.chunks.length === 0) return second;
  if (second.chunks.length === 0) return first;
  return {
    chunks: [...first.chunks, ...second.chunks],
    settlers: [...first.settlers, ...second.settlers],
  };
}

function settle(batch: Batch, error?: Error): void {
  // An empty batch's promise was never handed out: rejecting it would only raise an unhandled
  // rejection nobody can catch. Every promise that was handed out is settled, so a caller that
  // ignores an append's outcome still gets the process-level unhandled-rejection alarm.
  if (batch.chunks.length === 0) return;
  for (const settler of batch.settlers) {
    if (error === undefined) settler.resolve();
    else settler.reject(error);
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempPathOf(path: string): string {
  return `${path}.rewrite`;
}

function ignoreMissing(error: unknown): void {
  if (!isErrnoException(error) || error.code !== 'ENOENT') throw error;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
