import type { RaftDefects } from './raft-defects';

export interface RaftOptions {
  id: string;
  /**
   * The shortest election timeout; each one is drawn from [this, 2 × this) with `random`. Also the
   * leader lease: a node that heard from a leader more recently than this refuses (pre-)votes, and a
   * leader that heard from no majority for this long steps down (check quorum).
   */
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** A source in [0, 1): injected so that a simulation replays from its seed. */
  random: () => number;
  /** Entries per AppendEntries message (default 64). */
  maxEntriesPerAppend?: number;
  /** Entries a peer in the replicate state may have sent and not yet acknowledged (default 16 × maxEntriesPerAppend). */
  maxInflightEntries?: number;
  /** How long a newcomer may take to catch up before its add is aborted (default 10 election timeouts). */
  catchUpTimeoutMs?: number;
  /** How long an appended membership change may stay uncommitted before it is rolled back (default 10 election timeouts). */
  changeTimeoutMs?: number;
  /** Test-only faults (raft-defects.ts). */
  defects?: RaftDefects;
}

export interface ResolvedRaftOptions extends Required<Omit<RaftOptions, 'defects'>> {
  defects: RaftDefects;
}

export function resolveRaftOptions(options: RaftOptions): ResolvedRaftOptions {
  const positive = (name: string, value: number): number => {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`raft option ${name} must be a positive number, got ${value}`);
    return value;
  };
  if (options.id === '') throw new Error('raft option id must not be empty');
  const election = positive('electionTimeoutMs', options.electionTimeoutMs);
  const heartbeat = positive('heartbeatIntervalMs', options.heartbeatIntervalMs);
  if (heartbeat >= election) throw new Error(`raft option heartbeatIntervalMs (${heartbeat}) must be below electionTimeoutMs (${election})`);
  return {
    id: options.id,
    electionTimeoutMs: election,
    heartbeatIntervalMs: heartbeat,
    random: options.random,
    maxEntriesPerAppend: positive('maxEntriesPerAppend', options.maxEntriesPerAppend ?? 64),
    maxInflightEntries: positive('maxInflightEntries', options.maxInflightEntries ?? 16 * (options.maxEntriesPerAppend ?? 64)),
    catchUpTimeoutMs: positive('catchUpTimeoutMs', options.catchUpTimeoutMs ?? 10 * election),
    changeTimeoutMs: positive('changeTimeoutMs', options.changeTimeoutMs ?? 10 * election),
    defects: options.defects ?? {},
  };
}
