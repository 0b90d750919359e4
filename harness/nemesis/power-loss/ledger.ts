import path from 'node:path';

/**
 * The power-loss ledger (written by unsynced.c, preloaded into a node) read back, and replayed into
 * what a power cut would leave of each file: pure, so the rules are tested without a process.
 *
 * The model is per file a durable prefix: a file's bytes past the length last made durable are lost,
 * a file whose creation no directory fsync made durable is lost whole, and a rename no directory
 * fsync made durable is undone. Overwrites inside the durable prefix are not undone (the ledger
 * keeps no old bytes), nor are truncations (a truncated file stays truncated). A file a rename
 * replaced comes back when the rename is undone, if the library kept a hard link of it.
 */

export type LedgerEntry =
  | { kind: 'open'; path: string; size: number }
  | { kind: 'create'; path: string }
  | { kind: 'write'; path: string; offset: number; length: number; synced: boolean }
  | { kind: 'sync'; path: string; size: number }
  | { kind: 'sync-dir'; dir: string }
  | { kind: 'truncate'; path: string; length: number }
  /** `replaced`: where the library hard-linked the file the rename replaced (absent: none, or no backup folder). */
  | { kind: 'rename'; from: string; to: string; replaced?: string }
  | { kind: 'unlink'; path: string }
  | { kind: 'sync-all' }
  /** A sync of the file failed (EIO): after a failed fsync the kernel may drop the dirty pages and report success next time (PostgreSQL's "fsyncgate"). */
  | { kind: 'sync-failed'; path: string };

/** What a power cut would leave of one file, as far as the ledger says. */
export interface FileDurability {
  /** Bytes from the start known durable; Infinity when everything was synced (`sync()`). */
  durable: number;
  /** Created, and no fsync of its folder since: the whole file is lost. */
  createdUndurably: boolean;
  /** Renamed from this path, and no fsync of the folders since: the rename is undone. */
  renamedFrom?: string;
  /**
   * A sync failed when this many bytes were durable: nothing past it is taken as durable any more,
   * whatever later syncs say, since the failed one may have dropped pages a later one cannot bring back.
   */
  syncFailedAt?: number;
  /** The last write that reached past the durable prefix: a torn cut keeps part of it. */
  lastUndurableWrite?: { offset: number; length: number };
}

/** Parses the ledger's text; a line that is not one the library writes is an error naming it (a torn last line is skipped). */
export function parseLedger(text: string): LedgerEntry[] {
  // Whatever follows the last newline is '' or a line torn by a full disk: the library writes whole lines.
  return text
    .split('\n')
    .slice(0, -1).filter((line) => line !== '').map((line, index) => parseLine(line, index + 1));
}

function parseLine(line: string, number: number): LedgerEntry {
  const fields = line.split('\t');
  const bad = (why: string): Error => new Error(`power-loss ledger line ${number} ${why}: ${JSON.stringify(line)}`);
  const count = (n: number): void => {
    if (fields.length !== n + 1) throw bad(`has ${fields.length - 1} field(s), expected ${n}`);
  };
  const num = (index: number): number => {
    const value = Number(fields[index]);
    if (!/^-?\d+$/.test(fields[index] ?? '') || !Number.isSafeInteger(value) || value < 0) throw bad(`has "${fields[index]}" where a byte count belongs`);
    return value;
  };
  const file = (index: number): string => {
    const text = decodePath(fields[index] ?? '');
    if (!path.isAbsolute(text)) throw bad(`has "${text}" where an absolute path belongs`);
    return text;
  };
  switch (fields[0]) {
    case 'O':
      count(2);
      return { kind: 'open', path: file(1), size: num(2) };
    case 'C':
      count(1);
      return { kind: 'create', path: file(1) };
    case 'W':
      count(4);
      if (fields[4] !== '0' && fields[4] !== '1') throw bad(`has "${fields[4]}" where 0 or 1 belongs`);
      return { kind: 'write', path: file(1), offset: num(2), length: num(3), synced: fields[4] === '1' };
    case 'S':
      count(2);
      return { kind: 'sync', path: file(1), size: num(2) };
    case 'D':
      count(1);
      return { kind: 'sync-dir', dir: file(1) };
    case 'T':
      count(2);
      return { kind: 'truncate', path: file(1), length: num(2) };
    case 'R':
      count(3);
      return fields[3] === '-' ? { kind: 'rename', from: file(1), to: file(2) } : { kind: 'rename', from: file(1), to: file(2), replaced: file(3) };
    case 'U':
      count(1);
      return { kind: 'unlink', path: file(1) };
    case 'A':
      count(0);
      return { kind: 'sync-all' };
    case 'E':
      count(1);
      return { kind: 'sync-failed', path: file(1) };
    default:
      throw bad(`starts with an unknown kind "${fields[0]}"`);
  }
}

/** The library writes bytes below 0x21, '%' and 0x7f as %XX. */
function decodePath(text: string): string {
  return Buffer.from(text.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
}

/** The entries with paths under `from` (as the node saw its state folder) moved under `to` (where the harness sees it). */
export function relocateEntries(entries: readonly LedgerEntry[], from: string, to: string): LedgerEntry[] {
  const move = (file: string): string => (file === from ? to : file.startsWith(`${from}/`) ? `${to}${file.slice(from.length)}` : file);
  return entries.map((entry) => {
    switch (entry.kind) {
      case 'sync-dir':
        return { ...entry, dir: move(entry.dir) };
      case 'rename':
        return { ...entry, from: move(entry.from), to: move(entry.to), ...(entry.replaced === undefined ? {} : { replaced: move(entry.replaced) }) };
      case 'sync-all':
        return entry;
      default:
        return { ...entry, path: move(entry.path) };
    }
  });
}

/** Bytes written in all, durable or not. */
export function bytesWritten(entries: readonly LedgerEntry[]): number {
  return entries.reduce((sum, entry) => sum + (entry.kind === 'write' ? entry.length : 0), 0);
}

/** What a power cut would leave: each file's durability, and the replaced files an undone rename brings back. */
export interface LedgerReplay {
  files: Map<string, FileDurability>;
  /** Path → the hard link of the file a not-yet-durable rename replaced there. */
  restores: Map<string, string>;
}

/**
 * Replays the ledger: for every file it names, what is durable. A file the ledger first meets in a
 * write (opened before the ledger began) is taken as durable up to that write.
 */
export function replayLedger(entries: readonly LedgerEntry[]): LedgerReplay {
  const files = new Map<string, FileDurability>();
  const restores = new Map<string, string>();
  const known = (file: string, durable: number): FileDurability => {
    let state = files.get(file);
    if (state === undefined) files.set(file, (state = { durable, createdUndurably: false }));
    return state;
  };
  for (const entry of entries) {
    switch (entry.kind) {
      case 'open':
        known(entry.path, entry.size);
        break;
      case 'create':
        files.set(entry.path, { durable: 0, createdUndurably: true });
        break;
      case 'write': {
        const state = known(entry.path, entry.offset);
        // After a sync() of everything, the next write is taken as an append to what was synced.
        if (state.durable === Infinity && !entry.synced) state.durable = entry.offset;
        const end = entry.offset + entry.length;
        if (entry.synced) state.durable = Math.max(state.durable, end);
        else if (end > state.durable) state.lastUndurableWrite = { offset: entry.offset, length: entry.length };
        if (state.lastUndurableWrite && state.lastUndurableWrite.offset + state.lastUndurableWrite.length <= state.durable) delete state.lastUndurableWrite;
        break;
      }
      case 'sync': {
        // What fstat said right after the sync: exactly the length now durable.
        const state = known(entry.path, entry.size);
        state.durable = entry.size;
        if (state.lastUndurableWrite && state.lastUndurableWrite.offset + state.lastUndurableWrite.length <= state.durable) delete state.lastUndurableWrite;
        break;
      }
      case 'sync-failed': {
        // A file first met here was opened before the ledger began, at a size the ledger never saw: nothing to cap.
        const state = files.get(entry.path);
        if (state !== undefined && state.durable !== Infinity) state.syncFailedAt = Math.min(state.syncFailedAt ?? Infinity, state.durable);
        break;
      }
      case 'truncate': {
        const state = known(entry.path, entry.length);
        state.durable = Math.min(state.durable, entry.length);
        if (state.syncFailedAt !== undefined) state.syncFailedAt = Math.min(state.syncFailedAt, entry.length);
        const last = state.lastUndurableWrite;
        if (last && last.offset >= entry.length) delete state.lastUndurableWrite;
        else if (last && last.offset + last.length > entry.length) state.lastUndurableWrite = { offset: last.offset, length: entry.length - last.offset };
        break;
      }
      case 'sync-dir':
        for (const file of [...restores.keys()]) if (path.dirname(file) === entry.dir) restores.delete(file);
        for (const [file, state] of files) {
          if (path.dirname(file) !== entry.dir) continue;
          state.createdUndurably = false;
          // A rename is durable once the folder it went into is synced (the usual case: one folder).
          delete state.renamedFrom;
        }
        break;
      case 'rename': {
        const state = files.get(entry.from) ?? { durable: Infinity, createdUndurably: false };
        files.delete(entry.from);
        const renamedFrom = state.createdUndurably ? undefined : (state.renamedFrom ?? entry.from);
        files.set(entry.to, { ...state, ...(renamedFrom === undefined ? {} : { renamedFrom }) });
        // The first replaced file is the one the disk still has: a later rename over it replaces only a newer one.
        if (entry.replaced !== undefined && !restores.has(entry.to)) restores.set(entry.to, entry.replaced);
        break;
      }
      case 'unlink':
        files.delete(entry.path);
        break;
      case 'sync-all':
        restores.clear();
        for (const state of files.values()) {
          state.durable = Infinity;
          state.createdUndurably = false;
          delete state.renamedFrom;
          delete state.lastUndurableWrite;
        }
        break;
    }
  }
  for (const state of files.values()) if (state.syncFailedAt !== undefined) state.durable = Math.min(state.durable, state.syncFailedAt);
  return { files, restores };
}
