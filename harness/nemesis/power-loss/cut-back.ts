import fs from 'node:fs';
import path from 'node:path';
import type { LedgerReplay } from './ledger';

/**
 * What a power cut destroys, planned from the replayed ledger (pure) and then done to the files of
 * a node that is already dead. Planning and doing are apart so that the rules are tested on data.
 */

export type CutBackStep =
  /** Cut the file back to `keep` bytes: the `dropped` bytes past it never reached the disk. */
  | { action: 'truncate'; path: string; keep: number; dropped: number }
  /** Its creation never became durable: the file goes, with its `dropped` bytes. */
  | { action: 'remove'; path: string; dropped: number }
  /** A rename that never became durable: the file goes back to its old name. */
  | { action: 'rename-back'; path: string; to: string }
  /** ... and the file it replaced, kept as a hard link, comes back to its name. */
  | { action: 'restore'; path: string; from: string };

export interface CutBackOptions {
  /** Keep a random part of the last write that was not durable, as a disk that lost power mid-write. */
  torn: boolean;
  /** [0, 1): which part a torn write keeps. */
  random: () => number;
}

/**
 * The steps a power cut takes, for files whose current size `sizeOf` says (undefined: gone, skipped).
 * A torn cut keeps every write before the last undurable one and a random part of that one (at
 * least a byte, never all of it), as a disk that wrote them in order until the power went.
 */
export function planCutBack({ files, restores }: LedgerReplay, sizeOf: (file: string) => number | undefined, { torn, random }: CutBackOptions): CutBackStep[] {
  const steps: CutBackStep[] = [];
  for (const [file, state] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const size = sizeOf(file);
    if (size === undefined) continue;
    if (state.createdUndurably) {
      steps.push({ action: 'remove', path: file, dropped: size });
      continue;
    }
    let keep = Math.min(size, state.durable);
    const last = state.lastUndurableWrite;
    if (torn && last !== undefined) {
      const start = Math.max(state.durable, last.offset);
      const end = Math.min(size, last.offset + last.length);
      if (end - start >= 2) keep = start + 1 + Math.floor(random() * (end - start - 1));
      else if (end > start) keep = start;
    }
    if (size > keep) steps.push({ action: 'truncate', path: file, keep, dropped: size - keep });
    if (state.renamedFrom !== undefined) steps.push({ action: 'rename-back', path: file, to: state.renamedFrom });
  }
  // Last: once the renamed files have left their new names, what they replaced takes them back.
  for (const [file, from] of [...restores].sort(([a], [b]) => a.localeCompare(b))) steps.push({ action: 'restore', path: file, from });
  return steps;
}

/** What a power cut destroyed, for the nemesis event: bytes per file (paths relative to the state folder). */
export interface UnsyncedEffect {
  files: Record<string, number>;
  bytes: number;
  /** Bytes the node wrote under its state folder since the last cut, durable or not: what the cut put to the test. */
  written: number;
  /** Files whose creation was not durable, removed whole (their bytes are counted in `files`). */
  removed?: string[];
  /** Renames undone: `new -> old`. */
  renamesUndone?: string[];
  /** Files a rename that was not durable had replaced, back under their names. */
  restored?: string[];
}

export function unsyncedEffect(steps: readonly CutBackStep[], stateDir: string, written: number): UnsyncedEffect {
  const rel = (file: string): string => path.relative(stateDir, file) || '.';
  const effect: UnsyncedEffect = { files: {}, bytes: 0, written };
  for (const step of steps) {
    if (step.action === 'rename-back') {
      (effect.renamesUndone ??= []).push(`${rel(step.path)} -> ${rel(step.to)}`);
      continue;
    }
    if (step.action === 'restore') {
      (effect.restored ??= []).push(rel(step.path));
      continue;
    }
    effect.files[rel(step.path)] = (effect.files[rel(step.path)] ?? 0) + step.dropped;
    effect.bytes += step.dropped;
    if (step.action === 'remove') (effect.removed ??= []).push(rel(step.path));
  }
  return effect;
}

/**
 * Whether the cut put anything to the test: it destroyed something, or the node had written since
 * the last cut and all of it proved durable (a node that syncs loses nothing, and that is the pass).
 * A node that wrote nothing under its state folder (or whose writes the library never saw) was not tested.
 */
export function testedAnything(effect: UnsyncedEffect): boolean {
  return effect.written > 0 || effect.bytes > 0 || (effect.removed?.length ?? 0) > 0 || (effect.renamesUndone?.length ?? 0) > 0 || (effect.restored?.length ?? 0) > 0;
}

/**
 * Does the steps to the files. Only on a node that is not running: a live process would keep
 * writing through its open descriptors. A rename back onto a name that exists again is skipped
 * (the file the node made since then is newer than the lost rename), and so is a restore onto a
 * name still taken.
 */
export function applyCutBack(steps: readonly CutBackStep[]): void {
  for (const step of steps) {
    if (step.action === 'truncate') fs.truncateSync(step.path, step.keep);
    else if (step.action === 'remove') fs.rmSync(step.path, { force: true });
    else if (step.action === 'rename-back') {
      if (fs.existsSync(step.path) && !fs.existsSync(step.to)) fs.renameSync(step.path, step.to);
    } else if (fs.existsSync(step.from) && !fs.existsSync(step.path)) fs.renameSync(step.from, step.path);
  }
}

/** Current sizes from the file system: undefined for a file that is gone or not a regular file. */
export function fileSize(file: string): number | undefined {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
