import type { JournalStats } from '../journal/journal';
import type { RecordLog } from '../journal/job-store';

/** What the replicated log needs of the cluster node that owns the Raft core. */
export interface RecordReplicator {
  /** Proposes `payload`; resolves once it is committed (or, with the ack-before-commit defect, durable here). Never settles if the proposal is lost with this node's leadership. */
  replicate(payload: Buffer): Promise<void>;
  /** A JobStore compaction: the node compacts its Raft log when it safely can. */
  compactSoon(): void;
}

/**
 * The JobStore's record log in cluster mode: an append is a Raft proposal, resolved once a majority
 * has it durably, so the broker's existing rule "answer only after the write resolved" becomes
 * "answer only after commit" with no change to the broker. A proposal lost with leadership never
 * settles: its acknowledgement is dropped (the broker resets its job table when deposed).
 */
export class ReplicatedRecordLog implements RecordLog {
  readonly path: string;
  private readonly counters: JournalStats = { appends: 0, flushes: 0, bytes: 0 };

  constructor(private readonly replicator: RecordReplicator, dataDir: string) {
    this.path = `${dataDir} (replicated)`;
  }

  append(payload: Buffer): Promise<void> {
    this.counters.appends += 1;
    this.counters.bytes += payload.length;
    return this.replicator.replicate(payload);
  }

  rewrite(): Promise<void> {
    this.replicator.compactSoon();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  stats(): JournalStats {
    return { ...this.counters };
  }
}
