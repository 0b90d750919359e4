import fs from 'node:fs';

/**
 * The switch of the disk faults (docs/disk-faults.md): a small file the ledger library (unsynced.c)
 * maps once, shared, at each process's start, so the harness turns a fault on and off while the node
 * runs and reads back how many calls the library failed. Layout, little-endian: the mode (uint32 at
 * 0), the short writes still allowed under disk-full (uint32 at 4), then uint64 counters from 8.
 */

export type DiskFaultKind = 'disk-full' | 'fsync-fails' | 'read-only';

export const DISK_FAULT_KINDS: readonly DiskFaultKind[] = ['disk-full', 'fsync-fails', 'read-only'];

/** The mode numbers unsynced.c knows (enum disk_mode). */
const MODES: Record<DiskFaultKind, number> = { 'disk-full': 1, 'fsync-fails': 2, 'read-only': 3 };

/** Counters in unsynced.c's order (enum disk_counter), each a uint64 from byte 8. */
const COUNTERS = ['attached', 'failedCalls', 'writes', 'syncs', 'opens', 'metadata', 'shortWrites'] as const;

export type DiskCounters = Record<(typeof COUNTERS)[number], number>;

/** The file's size: the header and the counters, as unsynced.c's struct disk_control (padded to 64). */
export const DISK_CONTROL_BYTES = 64;
const COUNTERS_AT = 8;

/** The 8-byte header that puts a mode in force (undefined: none) with `shortWrites` short writes allowed. */
export function encodeDiskMode(kind: DiskFaultKind | undefined, shortWrites = 0): Buffer {
  if (!Number.isInteger(shortWrites) || shortWrites < 0 || shortWrites > 0xffff_ffff) throw new RangeError(`short writes must be a whole number from 0, got ${shortWrites}`);
  const header = Buffer.alloc(COUNTERS_AT);
  header.writeUInt32LE(kind === undefined ? 0 : MODES[kind], 0);
  header.writeUInt32LE(shortWrites, 4);
  return header;
}

/** The counters in a control file's bytes. */
export function decodeDiskCounters(bytes: Buffer): DiskCounters {
  if (bytes.length < COUNTERS_AT + COUNTERS.length * 8) throw new RangeError(`a disk control file holds ${DISK_CONTROL_BYTES} bytes, got ${bytes.length}`);
  const counters = {} as DiskCounters;
  COUNTERS.forEach((name, index) => (counters[name] = Number(bytes.readBigUInt64LE(COUNTERS_AT + index * 8))));
  return counters;
}

/** What happened between two readings of the counters (`attached` is taken as it is at the end). */
export function countersSince(before: DiskCounters, after: DiskCounters): DiskCounters {
  const since = {} as DiskCounters;
  for (const name of COUNTERS) since[name] = name === 'attached' ? after[name] : after[name] - before[name];
  return since;
}

/** One node's switch file, created zeroed (no fault) before the node starts. */
export class DiskControlFile {
  constructor(readonly path: string) {
    fs.writeFileSync(path, Buffer.alloc(DISK_CONTROL_BYTES));
  }

  /** Puts `kind` in force (undefined: none). The processes that mapped the file see it at their next call. */
  set(kind: DiskFaultKind | undefined, shortWrites = 0): void {
    const fd = fs.openSync(this.path, 'r+');
    try {
      fs.writeSync(fd, encodeDiskMode(kind, shortWrites), 0, COUNTERS_AT, 0);
    } finally {
      fs.closeSync(fd);
    }
  }

  counters(): DiskCounters {
    return decodeDiskCounters(fs.readFileSync(this.path));
  }
}
