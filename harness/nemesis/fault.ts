import { describeMessages, type MessageToxic } from './message-fault';
import { describeTrigger, type MessageTriggeredFault } from './triggered-fault';
import type { ClusterShapeName } from './cluster-shape';

/**
 * Faults as data: what to do, to what, for how long. Steps, crash storms, replays and reports all
 * speak this one vocabulary; `Nemesis.invoke(fault)` carries any of them out and records a nemesis
 * start/end pair whose `effect` says what the fault touched.
 */

/** Which way a fault acts on a link: from the connecting node to the listening one, back, or both. */
export type Direction = 'both' | 'forward' | 'backward';

/** SIGKILL, no restart. */
export interface KillFault {
  kind: 'kill';
  target: string;
}

/** SIGKILL, then the same node started again after `pauseMs` (same name, state folder and durable id). */
export interface CrashRestartFault {
  kind: 'crash-restart';
  target: string;
  pauseMs: number;
}

/** SIGSTOP (docker pause) for `durationMs`, then SIGCONT. */
export interface FreezeFault {
  kind: 'freeze';
  target: string;
  durationMs: number;
}

/**
 * The node cut off from every other node for `durationMs`: the runtime's own network disconnect
 * where it has one (containers), otherwise a partition of every link of the node through the fault proxy.
 */
export interface IsolateFault {
  kind: 'isolate';
  target: string;
  durationMs: number;
}

/**
 * A graceful stop, no restart: SIGTERM (`signal`) or the node's stdin closed (`stdin`), as an
 * operator or a supervisor ends a node. The node may finish its work and say goodbye; one that has
 * not exited after `graceMs` is killed.
 */
export interface StopFault {
  kind: 'stop';
  target: string;
  how: 'signal' | 'stdin';
  graceMs: number;
  /** Started again this long after it exited, as a supervisor restarts a node it stopped (a rolling upgrade). */
  restartAfterMs?: number;
}

/**
 * The node's wall clock (not its monotonic clock) reads `offsetMs` off real time and runs `rate`
 * times as fast for `durationMs`, then is set right again (a step back for a clock that was ahead).
 * For implementations that use wall-clock time for leases or expiry. The process runtime does it
 * through libfaketime, in scenarios that start their nodes with it (docs/clock-skew.md).
 */
export interface ClockSkewFault {
  kind: 'clock-skew';
  target: string;
  offsetMs: number;
  rate: number;
  durationMs: number;
}

/**
 * A power cut: SIGKILL, then every write to the node's state folder that was not made durable (by
 * fsync/fdatasync of the file, O_SYNC/O_DSYNC, and for new files and renames an fsync of their
 * folder) is destroyed, and the node started again after `pauseMs`. `torn`: the last write that was
 * not durable keeps a random part (drawn from `seed` when given). Both runtimes do it through an
 * LD_PRELOAD ledger library, in scenarios that start their nodes with it (docs/power-loss.md).
 */
export interface LoseUnsyncedWritesFault {
  kind: 'lose-unsynced-writes';
  target: string;
  pauseMs: number;
  torn?: boolean;
  seed?: number;
}

/**
 * The node's disk fails for `durationMs`, while the node runs: `disk-full` (writes ENOSPC, after
 * `shortWrites` short writes; new files too), `fsync-fails` (fsync/fdatasync EIO, and O_DSYNC writes
 * EIO after they land unsynced), `read-only` (every change EROFS). Only files under the node's state
 * folder; through the power-loss ledger library, in scenarios that start their nodes with it
 * (docs/disk-faults.md). The end event counts the calls failed (`effect.disk`).
 */
export interface DiskFault {
  kind: 'disk-full' | 'fsync-fails' | 'read-only';
  target: string;
  durationMs: number;
  shortWrites?: number;
}

export type NodeFault = KillFault | CrashRestartFault | FreezeFault | IsolateFault | StopFault | ClockSkewFault | LoseUnsyncedWritesFault | DiskFault;

/** The links a link fault acts on, named the way the scenario speaks of them. */
export type LinkSelector =
  /** Every link of these nodes. */
  | { of: readonly string[] }
  /** One link by its proxy name, e.g. `worker-2->broker`. */
  | { link: string }
  /** Every link between these nodes and the rest: two halves. */
  | { across: readonly string[] }
  /** Every link there is. */
  | { all: true }
  /** Every link between two nodes that share no group (nodes in one group reach each other; a node in no group is untouched): a cluster's partition shapes. */
  | { groups: readonly (readonly string[])[] };

/** A Toxiproxy toxic and its attributes, as the fault proxy takes it. */
export type Toxic =
  /** Silently drops everything (a timeout toxic with no timeout): packets vanish as in a real partition. */
  | { kind: 'partition' }
  | { kind: 'latency'; latencyMs: number; jitterMs: number }
  | { kind: 'bandwidth'; rateKBps: number }
  /** The next data on each connection is dropped and the connection reset (TCP RST) after `timeoutMs`. */
  | { kind: 'reset'; timeoutMs: number }
  | { kind: 'slice'; averageSize: number; sizeVariation: number; delayMicros: number }
  /** Each connection closes after `bytes`. */
  | { kind: 'limit-data'; bytes: number }
  /** keelhaul's connection toxics: connections refused, hung, delayed or cut one way (below). */
  | ConnectionToxic
  /** keelhaul's message toxics: individual messages, matched by protocol fields (message-fault.ts). */
  | MessageToxic;

/**
 * Faults on connections rather than bytes (keelhaul extensions of the fault proxy; a real
 * Toxiproxy lacks them). Each is measured: the proxy counts the connections it refused, hung,
 * delayed or cut, and a fault that counted none is `ineffective-fault`.
 */
export type ConnectionToxic =
  /** New connections are reset as soon as they are accepted; open ones keep working. The direction does not matter. */
  | { kind: 'refuse-connections' }
  /** New connections are accepted and then never served (nothing read, no upstream) until the heal closes them. */
  | { kind: 'hang-connections' }
  /** New connections wait `delayMs` before their upstream is dialled. */
  | { kind: 'slow-accept'; delayMs: number }
  /**
   * The connections open when the fault begins lose the faulted direction: silently (`fin` false),
   * or with a FIN one way; new connections are untouched. The heal closes the silenced ones.
   */
  | { kind: 'half-open'; fin: boolean };

export const CONNECTION_TOXIC_KINDS: readonly ConnectionToxic['kind'][] = ['refuse-connections', 'hang-connections', 'slow-accept', 'half-open'];

/**
 * A toxic on links. With `durationMs` the fault heals itself after that long; without, it stays in
 * force until healed (`Nemesis.healAll`, or the handle `Nemesis.begin` returns).
 */
export type LinkFault = Toxic & { links: LinkSelector; direction?: Direction; durationMs?: number };

/**
 * A partition shaped over a broker cluster (cluster-shape.ts), drawn when it strikes: the nemesis asks
 * the replicas who leads (the shapes around the leader need it), computes the groups, partitions the
 * links between nodes that share none, and records the leader, its term and the groups.
 */
export interface ClusterPartitionFault {
  kind: 'cluster-partition';
  shape: ClusterShapeName;
  /** random-halves: the seed that draws the halves (the run's seed when a storm schedules it). */
  seed?: number;
  /** clients-reach-only-deposed: the replica that led before (the one a step froze or cut off). */
  deposed?: string;
  durationMs?: number;
}

/**
 * The target of a node fault that means "whichever replica leads when the fault strikes": resolved
 * by asking every replica `mmi.khr` (bounded), recorded as `effect.leader` and `effect.term`.
 */
export const LEADER_TARGET = 'leader';

/** `MessageTriggeredFault`: a node or link fault that strikes when the fault proxy sees a given message (triggered-fault.ts). */
export type Fault = NodeFault | LinkFault | MessageTriggeredFault | ClusterPartitionFault;
export type FaultKind = Fault['kind'];

export const NODE_FAULT_KINDS: readonly NodeFault['kind'][] = ['kill', 'crash-restart', 'freeze', 'isolate', 'stop', 'clock-skew', 'lose-unsynced-writes', 'disk-full', 'fsync-fails', 'read-only'];

export function isNodeFault(fault: Fault): fault is NodeFault {
  return (NODE_FAULT_KINDS as readonly string[]).includes(fault.kind);
}

/** One line a person reads: the report, the console, a storm's schedule. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
      return `kill ${fault.target}`;
    case 'crash-restart':
      return `crash ${fault.target}, restart after ${fault.pauseMs} ms`;
    case 'freeze':
      return `freeze ${fault.target} for ${fault.durationMs} ms`;
    case 'lose-unsynced-writes':
      return `cut the power of ${fault.target}${fault.torn ? ' (last write torn)' : ''}, restart after ${fault.pauseMs} ms`;
    case 'isolate':
      return `cut ${fault.target} off for ${fault.durationMs} ms`;
    case 'disk-full':
      return `fill the disk of ${fault.target} for ${fault.durationMs} ms${fault.shortWrites ? ` (${fault.shortWrites} short write(s) first)` : ''}`;
    case 'fsync-fails':
      return `fail the fsyncs of ${fault.target} (EIO) for ${fault.durationMs} ms`;
    case 'read-only':
      return `remount the disk of ${fault.target} read-only for ${fault.durationMs} ms`;
    case 'clock-skew':
      return `skew the clock of ${fault.target} by ${fault.offsetMs >= 0 ? '+' : ''}${fault.offsetMs} ms${fault.rate === 1 ? '' : `, running ×${fault.rate}`}, for ${fault.durationMs} ms`;
    case 'on-message':
      return describeTrigger(fault, describeFault, describeMessages(fault.match));
    case 'cluster-partition':
      return `partition the cluster ${fault.shape}${fault.seed === undefined ? '' : ` (seed ${fault.seed})`}${fault.deposed === undefined ? '' : ` (deposed: ${fault.deposed})`}${fault.durationMs === undefined ? '' : ` for ${fault.durationMs} ms`}`;
    case 'stop':
      return `stop ${fault.target} gracefully (${fault.how === 'signal' ? 'SIGTERM' : 'stdin closed'}), killed after ${fault.graceMs} ms${fault.restartAfterMs === undefined ? '' : `, started again ${fault.restartAfterMs} ms after it exited`}`;
    default: {
      const where =
        'of' in fault.links
          ? `links of ${fault.links.of.join(', ')}`
          : 'link' in fault.links
            ? `link ${fault.links.link}`
            : 'across' in fault.links
              ? `links across [${fault.links.across.join(', ')}]`
              : 'groups' in fault.links
                ? `links between ${fault.links.groups.map((group) => `[${group.join(', ')}]`).join(' | ')}`
                : 'every link';
      const how = fault.direction && fault.direction !== 'both' ? ` (${fault.direction})` : '';
      if ('match' in fault) return `${fault.kind} (${describeMessages(fault.match)}) on ${where}${how}${fault.durationMs === undefined ? '' : ` for ${fault.durationMs} ms`}`;
      return `${fault.kind} on ${where}${how}${fault.durationMs === undefined ? '' : ` for ${fault.durationMs} ms`}`;
    }
  }
}
