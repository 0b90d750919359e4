import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from '../journal/journal';
import type { HardState, PersistedState } from '../replication/hard-state';
import type { LogEntry } from '../replication/log-entry';
import type { PersistBatch } from '../replication/raft-driver';
import { bootSnapshot, type Snapshot } from '../replication/snapshot';
import { decodeLogEntry, decodeSnapshot, encodeLogEntry } from './raft-message-codec';
import { decodeSnapshotFile, encodeSnapshotFile } from './snapshot-file';

/**
 * A broker's Raft state in its `--data-dir`: `hard-state.json` and `snapshot.bin` (each replaced
 * whole: written to a temporary file, fdatasync'ed, renamed, directory synced; snapshot-file.ts;
 * an older node's `snapshot.json` is read when there is no `snapshot.bin`) and `raft-log.journal`
 * (the entries after the snapshot, one journal record each: the KHX/1 journal's framing, checksums
 * and torn-tail recovery). Everything a Ready asks to persist is durable before persist() resolves;
 * operations run one at a time, in the order asked.
 */
export class RaftStorage {
  private entries: LogEntry[];
  private snapshot: Snapshot;
  private hardState: HardState;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly journal: Journal,
    state: PersistedState,
    private readonly fsync: boolean,
  ) {
    this.entries = [...state.entries];
    this.snapshot = state.snapshot;
    this.hardState = state.hardState;
  }

  /** Opens `dir`, creating it with `bootSnapshot(voters)` the first time (voters empty for a node that joins). */
  static async open(dir: string, bootVoters: readonly string[], options: { fsync?: boolean } = {}): Promise<RaftStorage> {
    const fsync = options.fsync ?? true;
    await mkdir(dir, { recursive: true });
    const hardState = (await readJson(join(dir, HARD_STATE), parseHardState)) ?? { term: 0, votedFor: null };
    const snapshot = (await readSnapshot(dir)) ?? bootSnapshot(bootVoters);
    const { journal, records } = await Journal.open(join(dir, LOG), { fsync, repairCommand: `remove ${join(dir, LOG)} (the node then catches up from the leader)` });
    const entries: LogEntry[] = [];
    for (const record of records) {
      const entry = decodeLogEntry(JSON.parse(record.toString('utf8')));
      // The snapshot's own position held with another term: the file is a suffix the snapshot replaced (a crash before the rewrite).
      if (entry.index === snapshot.index && entry.term !== snapshot.term) break;
      if (entry.index <= snapshot.index) continue;
      // A gap means the file predates the snapshot it follows (a crash between the two writes): the rest is not ours.
      if (entry.index !== snapshot.index + entries.length + 1) break;
      entries.push(entry);
    }
    return new RaftStorage(dir, journal, { hardState, snapshot, entries }, fsync);
  }

  /** What the node restarts from. */
  state(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  /** The committed-or-not entries after the snapshot, as persisted. */
  entriesAfterSnapshot(): readonly LogEntry[] {
    return this.entries;
  }

  currentSnapshot(): Snapshot {
    return this.snapshot;
  }

  /** A Ready's writes, in the contract's order: hard state, snapshot, log. */
  persist(batch: PersistBatch): Promise<void> {
    return this.serially(async () => {
      if (batch.hardState !== undefined) {
        await this.replaceFile(HARD_STATE, JSON.stringify(batch.hardState));
        this.hardState = batch.hardState;
      }
      let rewrite = false;
      if (batch.snapshot !== undefined) {
        await this.replaceSnapshot(batch.snapshot);
        this.snapshot = batch.snapshot;
        this.entries = this.entries.filter((entry) => entry.index > batch.snapshot!.index);
        rewrite = true;
      }
      const appended: LogEntry[] = [];
      if (batch.log !== undefined) {
        const from = batch.log.from;
        if (this.entries.length > 0 && from <= this.entries[this.entries.length - 1].index) {
          this.entries = this.entries.filter((entry) => entry.index < from);
          rewrite = true;
        }
        for (const entry of batch.log.entries) {
          this.entries.push(entry);
          appended.push(entry);
        }
      }
      if (rewrite) await this.journal.rewrite(this.entries.map(encodeEntry));
      else await Promise.all(appended.map((entry) => this.journal.append(encodeEntry(entry))));
    });
  }

  /** A compaction the host asked the node for: the snapshot replaces every entry up to its index. */
  compact(snapshot: Snapshot): Promise<void> {
    return this.serially(async () => {
      // A leader's snapshot installed meanwhile may be newer: an older one must not replace it.
      if (snapshot.index <= this.snapshot.index) return;
      await this.replaceSnapshot(snapshot);
      this.snapshot = snapshot;
      this.entries = this.entries.filter((entry) => entry.index > snapshot.index);
      await this.journal.rewrite(this.entries.map(encodeEntry));
    });
  }

  close(): Promise<void> {
    return this.serially(() => this.journal.close());
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The image is written as it is, asynchronously (nothing of its size is built on the event loop),
   * and durable before the caller rewrites the log. An older node's snapshot.json goes once
   * snapshot.bin has replaced it (read first, it wins if a crash leaves both).
   */
  private async replaceSnapshot(snapshot: Snapshot): Promise<void> {
    await this.replaceFile(SNAPSHOT, encodeSnapshotFile(snapshot), async () => {
      await unlink(join(this.dir, LEGACY_SNAPSHOT)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    });
  }

  private async replaceFile(name: string, content: string | readonly Buffer[], afterRename?: () => Promise<void>): Promise<void> {
    const path = join(this.dir, name);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      if (typeof content === 'string') await handle.writeFile(content);
      else await writeChunks(handle, content);
      if (this.fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await afterRename?.();
    if (this.fsync) {
      const directory = await open(this.dir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    }
  }
}

const HARD_STATE = 'hard-state.json';
const SNAPSHOT = 'snapshot.bin';
/** What nodes before snapshot.bin wrote (the image base64'd in JSON): read when there is no snapshot.bin. */
const LEGACY_SNAPSHOT = 'snapshot.json';
const LOG = 'raft-log.journal';

async function writeChunks(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let position = 0;
  for (const chunk of chunks) {
    for (let done = 0; done < chunk.length; ) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position);
      done += bytesWritten;
      position += bytesWritten;
    }
  }
}

async function readSnapshot(dir: string): Promise<Snapshot | undefined> {
  const path = join(dir, SNAPSHOT);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return readJson(join(dir, LEGACY_SNAPSHOT), decodeSnapshot);
    throw error;
  }
  try {
    return decodeSnapshotFile(bytes);
  } catch (error) {
    throw damaged(path, error);
  }
}

function damaged(path: string, error: unknown): Error {
  return new Error(`${path} is damaged (${error instanceof Error ? error.message : String(error)}): remove the data dir to rejoin as a new node`);
}

function encodeEntry(entry: LogEntry): Buffer {
  return Buffer.from(JSON.stringify(encodeLogEntry(entry)), 'utf8');
}

async function readJson<T>(path: string, parse: (value: unknown) => T): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    throw damaged(path, error);
  }
}

function parseHardState(value: unknown): HardState {
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.term !== 'number' || !Number.isSafeInteger(o.term) || o.term < 0) throw new Error('term is not a non-negative integer');
  if (o.votedFor !== null && typeof o.votedFor !== 'string') throw new Error('votedFor is neither null nor a node id');
  return { term: o.term, votedFor: o.votedFor };
}
