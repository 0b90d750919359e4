import fs from 'node:fs';
import path from 'node:path';
import { applyCutBack, fileSize, planCutBack, unsyncedEffect, type CutBackOptions, type UnsyncedEffect } from './cut-back';
import { DiskControlFile } from './disk-control';
import { bytesWritten, parseLedger, relocateEntries, replayLedger } from './ledger';

/**
 * How a node that does not share the harness's file system (a container) sees it: the host folder
 * `hostFolder` (the state folder's parent, holding the state folder, the ledger and the backups, so
 * that all are on one mount and a hard link between them works) is mounted at `folder`, and the
 * library at `library`.
 */
export interface SeenFromNode {
  hostFolder: string;
  folder: string;
  library: string;
}

/** A node's files as a power cut would leave them: what the `lose-unsynced-writes` fault acts through. */
export interface NodePowerLoss {
  /** The node's state folder, as the harness sees it. */
  readonly stateDir: string;
  /** Whether every process of the node's current incarnation has the ledger library loaded. */
  reaches(): Promise<boolean>;
  /**
   * After the node is dead: destroys what the ledger says was never made durable and says what;
   * the ledger then starts afresh (what is left is on disk, as after a real power cut).
   */
  cutBack(options: CutBackOptions): UnsyncedEffect;
  /** The switch of the node's disk faults (docs/disk-faults.md), flipped while it runs; absent where there is none. */
  readonly disk?: DiskControlFile;
}

/**
 * The ledger of one node, beside its state folder (`<state folder>.unsynced-ledger`, outside it so
 * the node never sees it), the folder where the library keeps hard links of files a rename replaced
 * (`<state folder>.unsynced-backups`), and the environment that makes the node's processes write
 * them. The ledger is appended to by every incarnation until a power cut consumes it: a plain
 * SIGKILL loses nothing, so what was not durable before it is still not durable after.
 */
export class LedgerFile implements NodePowerLoss {
  readonly ledger: string;
  readonly backups: string;
  readonly disk: DiskControlFile;

  constructor(
    readonly stateDir: string,
    readonly library: string,
    /** The host pids of the node's current processes (its incarnation and their children). */
    private readonly processes: () => number[] | Promise<number[]>,
    /** Absent: the node sees the same paths as the harness (a local process). */
    private readonly seen?: SeenFromNode,
  ) {
    // The library resolves the folder once, at each process's start: it must exist by then.
    fs.mkdirSync(stateDir, { recursive: true });
    const real = fs.realpathSync(stateDir);
    this.ledger = `${real}.unsynced-ledger`;
    this.backups = `${real}.unsynced-backups`;
    fs.writeFileSync(this.ledger, '');
    // Beside the ledger, so a container sees it through the same mount.
    this.disk = new DiskControlFile(`${real}.disk-faults`);
  }

  /** Where the node sees a host path under the state folder's parent. */
  private asSeen(hostPath: string): string {
    if (!this.seen) return hostPath;
    return path.posix.join(this.seen.folder, ...path.relative(fs.realpathSync(this.seen.hostFolder), hostPath).split(path.sep));
  }

  /** What the node's processes need in their environment; `inherited` is the LD_PRELOAD they would have had. */
  env(inherited: string | undefined): Record<string, string> {
    const library = this.seen?.library ?? this.library;
    return {
      LD_PRELOAD: inherited ? `${library}:${inherited}` : library,
      KEELHAUL_UNSYNCED_DIR: this.asSeen(fs.realpathSync(this.stateDir)),
      KEELHAUL_UNSYNCED_LEDGER: this.asSeen(this.ledger),
      KEELHAUL_UNSYNCED_BACKUPS: this.asSeen(this.backups),
      KEELHAUL_DISK_CONTROL: this.asSeen(this.disk.path),
      // libuv may do file I/O through io_uring, which no preloaded library sees (Node 20 has it off by default).
      UV_USE_IO_URING: '0',
    };
  }

  async reaches(): Promise<boolean> {
    const pids = await this.processes();
    // A process's memory map names files as its own mount namespace sees them.
    return pids.length > 0 && pids.every((pid) => mapsLibrary(pid, this.seen?.library ?? this.library));
  }

  cutBack(options: CutBackOptions): UnsyncedEffect {
    const written = parseLedger(fs.readFileSync(this.ledger, 'utf8'));
    const entries = this.seen ? relocateEntries(written, this.seen.folder, fs.realpathSync(this.seen.hostFolder)) : written;
    const steps = planCutBack(replayLedger(entries), fileSize, options);
    applyCutBack(steps);
    fs.writeFileSync(this.ledger, '');
    // Every rename is settled now: the files they replaced are either back or gone for good.
    fs.rmSync(this.backups, { recursive: true, force: true });
    return unsyncedEffect(steps, fs.realpathSync(this.stateDir), bytesWritten(entries));
  }
}

function mapsLibrary(pid: number, library: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').includes(library);
  } catch {
    return false;
  }
}
