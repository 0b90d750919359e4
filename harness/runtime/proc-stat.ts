/**
 * Process identity from /proc (Linux). A pid alone is not an identity: once a process is gone its
 * pid can be handed to an unrelated one, and whoever kills "pid 1234" later kills that one. A pid
 * plus its start time (field 22 of /proc/<pid>/stat, clock ticks since boot) names one process for
 * good, so everything that kills a process it did not just spawn checks both.
 */
import fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22; '' where /proc is not available. */
  startTime: string;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): [state, ppid, pgrp, ...]. */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time of `pid`, or undefined if there is no such process. */
export function startTimeOf(pid: number): string | undefined {
  // Field 22 overall; the slice starts at field 3 (state).
  return statFields(pid)?.[19];
}

/** `pid` now, with its start time (read at once: a just-spawned child is at worst an unreaped zombie, still in /proc). */
export function identify(pid: number): ProcessIdentity {
  return { pid, startTime: startTimeOf(pid) ?? '' };
}

/** True while the process `identity` names exists and runs something (not a zombie). */
export function isAlive(identity: ProcessIdentity): boolean {
  const fields = statFields(identity.pid);
  if (!fields) return false;
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return identity.startTime === '' || fields[19] === identity.startTime;
}

/**
 * Live descendants of `identity` (children, their children, ...) that started no earlier than it:
 * a node's own children. The start-time floor keeps a recycled pid from naming older, unrelated
 * processes. Only while the ancestor lives: an orphan is adopted by init and its line is lost —
 * which is why the sentinel keeps a snapshot of each node's descendants.
 */
export function descendants(identity: ProcessIdentity): ProcessIdentity[] {
  // A pid that now names a younger process is not ours: neither are its children.
  const now = startTimeOf(identity.pid);
  if (now === undefined || (identity.startTime !== '' && now !== identity.startTime)) return [];
  const floor = identity.startTime === '' ? 0 : Number(identity.startTime);
  const byParent = new Map<number, ProcessIdentity[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields || fields[0] === 'Z' || Number(fields[19]) < floor) continue;
    const ppid = Number(fields[1]);
    const list = byParent.get(ppid) ?? [];
    list.push({ pid: Number(entry), startTime: fields[19] ?? '' });
    byParent.set(ppid, list);
  }
  const found: ProcessIdentity[] = [];
  const queue = [identity.pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** `signal` to each of `targets` still alive (checked by start time); returns how many were signalled. */
export function signalEach(targets: ProcessIdentity[], signal: NodeJS.Signals): number {
  let signalled = 0;
  for (const target of targets) {
    if (!isAlive(target)) continue;
    try {
      process.kill(target.pid, signal);
      signalled++;
    } catch {
      // gone meanwhile
    }
  }
  return signalled;
}

/**
 * SIGKILLs the process `identity` names and its descendants (collected before anything is killed:
 * a dead parent's children are adopted by init and can no longer be found), plus `known` ones (a
 * snapshot taken earlier, for children already orphaned), after checking each is still the same
 * process. SIGKILL also ends a stopped (SIGSTOPped) process, where SIGTERM would stay pending.
 * Returns how many processes it signalled.
 */
export function killTree(identity: ProcessIdentity, known: ProcessIdentity[] = []): number {
  const seen = new Set<number>();
  const targets = [...descendants(identity), identity, ...known].filter((t) => !seen.has(t.pid) && seen.add(t.pid));
  return signalEach(targets, 'SIGKILL');
}
