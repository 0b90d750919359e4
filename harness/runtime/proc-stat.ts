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
function statFields(pid: number): string[] | undefined {
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
 * Live processes in process group `pgid` that started no earlier than `since` (the group leader's
 * start time): a node's own children. The start-time floor keeps a recycled group id from naming
 * older, unrelated processes.
 */
export function groupMembers(pgid: number, since: string): ProcessIdentity[] {
  const floor = since === '' ? 0 : Number(since);
  const members: ProcessIdentity[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields || fields[0] === 'Z' || Number(fields[2]) !== pgid) continue;
    if (Number(fields[19]) < floor) continue;
    members.push({ pid: Number(entry), startTime: fields[19] ?? '' });
  }
  return members;
}

/**
 * SIGKILLs the process `identity` names and every process of its group (it is a group leader: the
 * process runtime starts each node in a group of its own), after checking each is still the same
 * process. SIGKILL also ends a stopped (SIGSTOPped) process, where SIGTERM would stay pending.
 * Returns how many processes it signalled.
 */
export function killTree(identity: ProcessIdentity): number {
  let signalled = 0;
  // Linux does not hand out a pid while it still names a process group, so a pid that now belongs
  // to a younger process means the old group is empty: nothing of ours is left to kill.
  const now = startTimeOf(identity.pid);
  if (now !== undefined && identity.startTime !== '' && now !== identity.startTime) return 0;
  const targets = [identity, ...groupMembers(identity.pid, identity.startTime).filter((m) => m.pid !== identity.pid)];
  for (const target of targets) {
    if (!isAlive(target)) continue;
    try {
      process.kill(target.pid, 'SIGKILL');
      signalled++;
    } catch {
      // gone meanwhile
    }
  }
  return signalled;
}
