import fs from 'node:fs';
import path from 'node:path';
import { applyCutBack, fileSize, planCutBack, unsyncedEffect, type CutBackOptions, type UnsyncedEffect } from './cut-back';
import { bytesWritten, parseLedger, relocateEntries, replayLedger } from './ledger';

/**
 * Where a node that does not share the harness's file system (a container) sees its state folder,
 * the library and the ledger, all three mounted from the host paths the harness uses.
 */
export interface SeenFromNode {
  stateDir: string;
  library: string;
  ledger: string;
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
}

/**
 * The ledger of one node, beside its state folder (`<state folder>.unsynced-ledger`, outside it so
 * the node never sees it), and the environment that makes the node's processes write it. The
 * ledger is appended to by every incarnation until a power cut consumes it: a plain SIGKILL loses
 * nothing, so what was not durable before it is still not durable after.
 */
export class LedgerFile implements NodePowerLoss {
  readonly ledger: string;

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
    this.ledger = `${path.resolve(stateDir)}.unsynced-ledger`;
    fs.writeFileSync(this.ledger, '');
  }

  /** What the node's processes need in their environment; `inherited` is the LD_PRELOAD they would have had. */
  env(inherited: string | undefined): Record<string, string> {
    const library = this.seen?.library ?? this.library;
    return {
      LD_PRELOAD: inherited ? `${library}:${inherited}` : library,
      KEELHAUL_UNSYNCED_DIR: this.seen?.stateDir ?? fs.realpathSync(this.stateDir),
      KEELHAUL_UNSYNCED_LEDGER: this.seen?.ledger ?? this.ledger,
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
    const entries = this.seen ? relocateEntries(written, this.seen.stateDir, fs.realpathSync(this.stateDir)) : written;
    const steps = planCutBack(replayLedger(entries), fileSize, options);
    applyCutBack(steps);
    fs.writeFileSync(this.ledger, '');
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
