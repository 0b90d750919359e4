import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * A node's wall clock set off and sped up through Debian's libfaketime (package `faketime`): the
 * library is preloaded into the node's processes (LD_PRELOAD) and reads its setting from a file the
 * harness rewrites, so the clock can jump in the middle of a run. Only the wall clock moves
 * (`FAKETIME_DONT_FAKE_MONOTONIC`): a node that times its timeouts on a monotonic clock is not
 * fooled, one that uses wall-clock time for leases or expiry is. libfaketime reaches only
 * dynamically linked programs that take the time through libc (not a static Go binary): whether it
 * reached a node is read from the node's own memory map (`reaches`).
 */

/** Where Debian puts the library, per architecture; KEELHAUL_LIBFAKETIME names another. */
const LIBFAKETIME_CANDIDATES = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'];

export const LIBFAKETIME_ENABLE = 'apt-get install -y --no-install-recommends faketime to enable';

/** The libfaketime to preload, or undefined when it is not installed. */
export function findLibfaketime(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.KEELHAUL_LIBFAKETIME ? [env.KEELHAUL_LIBFAKETIME] : LIBFAKETIME_CANDIDATES;
  return candidates.find((candidate) => fs.existsSync(candidate));
}

/** A node's wall clock, as a fault sets it. */
export interface NodeClock {
  /**
   * From now on the node's wall clock reads `offsetMs` off real time and runs `rate` times as fast
   * (1: real speed), continuing from the offset without a further jump.
   */
  set(offsetMs: number, rate: number): void;
  /** Back to real time (a step back, for a clock that was ahead). */
  reset(): void;
  /** Whether every process of the node's current incarnation has libfaketime loaded. */
  reaches(): boolean;
}

/**
 * The libfaketime setting `+1.500 x2`: `offsetS` seconds off real time, `rate` times as fast. The
 * rate is always written: libfaketime keeps the last rate it read when a setting names none.
 */
export function faketimeSpec(offsetS: number, rate: number): string {
  return `${offsetS < 0 ? '-' : '+'}${Math.abs(offsetS).toFixed(3)} x${rate}`;
}

/**
 * The clock file of one node and the environment that makes its processes read it. The file is
 * read at every wall-clock call (`FAKETIME_NO_CACHE`): a few microseconds each, and the monotonic
 * clock is not slowed at all.
 */
export class FakeClockFile implements NodeClock {
  readonly file: string;
  /** performance.now() at the current incarnation's start: libfaketime's rate counts from it. */
  private incarnationStartedAt = performance.now();

  constructor(
    dir: string,
    node: string,
    private readonly library: string,
    /** The pids of the node's current processes (its incarnation and their children). */
    private readonly processes: () => number[],
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${node}.faketime`);
    fs.writeFileSync(this.file, faketimeSpec(0, 1));
  }

  /** What the node's processes need in their environment; `inherited` is the LD_PRELOAD they would have had. */
  env(inherited: string | undefined): Record<string, string> {
    return {
      LD_PRELOAD: inherited ? `${this.library}:${inherited}` : this.library,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** Called as a new incarnation of the node starts. */
  started(): void {
    this.incarnationStartedAt = performance.now();
  }

  set(offsetMs: number, rate: number): void {
    if (!Number.isFinite(offsetMs)) throw new Error(`clock offset must be a number of milliseconds, got ${offsetMs}`);
    if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`clock rate must be a positive number, got ${rate}`);
    // libfaketime applies a rate from the process's start: take back what it would add for the time already run.
    const runS = (performance.now() - this.incarnationStartedAt) / 1000;
    fs.writeFileSync(this.file, faketimeSpec(offsetMs / 1000 - runS * (rate - 1), rate));
  }

  reset(): void {
    fs.writeFileSync(this.file, faketimeSpec(0, 1));
  }

  reaches(): boolean {
    const pids = this.processes();
    return pids.length > 0 && pids.every((pid) => mapsLibrary(pid, this.library));
  }
}

function mapsLibrary(pid: number, library: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').includes(path.basename(library));
  } catch {
    return false;
  }
}
