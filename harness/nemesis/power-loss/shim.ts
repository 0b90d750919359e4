import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The power-loss library (unsynced.c beside this file's source) compiled for this machine on first
 * use, with the C compiler on PATH (`cc -shared -fPIC`), into a cache folder keyed by the source's
 * hash and the machine: Debian's gcc and libc6-dev are all it needs, and no library is downloaded.
 */

export const POWER_LOSS_ENABLE = 'apt-get install -y --no-install-recommends gcc libc6-dev to enable';

/** The C source, in the package (compiled, this file is dist/harness/nemesis/power-loss/shim.js). */
export const SHIM_SOURCE = path.resolve(__dirname, '../../../../harness/nemesis/power-loss/unsynced.c');

const COMPILE_TIMEOUT_MS = 60_000;

export type ShimBuild = { library: string } | { problem: string };

/** Builds of this process, by compiler and cache folder. */
const builds = new Map<string, ShimBuild>();

/**
 * The compiled library's path, or why there is none (no compiler: how to get one). Built once per
 * process; a build another process left in the cache is reused. KEELHAUL_CACHE names the cache
 * folder (default: the system's temporary folder), CC the compiler (default `cc`).
 */
export function unsyncedShim(env: NodeJS.ProcessEnv = process.env): ShimBuild {
  const key = `${env.CC ?? ''}\u0000${env.KEELHAUL_CACHE ?? ''}`;
  let built = builds.get(key);
  if (built === undefined) builds.set(key, (built = build(env)));
  return built;
}

function build(env: NodeJS.ProcessEnv): ShimBuild {
  let source: Buffer;
  try {
    source = fs.readFileSync(SHIM_SOURCE);
  } catch (error) {
    return { problem: `power loss needs the ledger library's source ${SHIM_SOURCE}, which cannot be read: ${(error as Error).message}` };
  }
  const key = createHash('sha256').update(source).update(`${os.platform()}-${os.arch()}`).digest('hex').slice(0, 16);
  const dir = path.join(env.KEELHAUL_CACHE || os.tmpdir(), `keelhaul-unsynced-${key}`);
  const library = path.join(dir, 'unsynced.so');
  if (fs.existsSync(library)) return { library };
  const compiler = env.CC || 'cc';
  fs.mkdirSync(dir, { recursive: true });
  // Built under a name of its own and renamed: a parallel shard never preloads a half-written file.
  const partial = path.join(dir, `unsynced.${process.pid}.so`);
  const result = spawnSync(compiler, ['-shared', '-fPIC', '-O2', '-o', partial, SHIM_SOURCE, '-ldl', '-lpthread'], { encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { problem: missing ? `power loss needs a C compiler to build its ledger library, and "${compiler}" is not installed (${POWER_LOSS_ENABLE})` : `power loss: ${compiler} failed to run: ${result.error.message}` };
  }
  if (result.status !== 0) {
    fs.rmSync(partial, { force: true });
    return { problem: `power loss: ${compiler} could not build ${SHIM_SOURCE} (${POWER_LOSS_ENABLE}):\n${result.stderr.trim()}` };
  }
  fs.renameSync(partial, library);
  return { library };
}
