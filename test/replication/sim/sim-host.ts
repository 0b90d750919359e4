import type { RaftDefects } from '../../../reference/replication/raft-defects';
import type { RaftOptions } from '../../../reference/replication/raft-options';
import { RaftNode } from '../../../reference/replication/raft-node';
import type { Ready } from '../../../reference/replication/ready';
import type { Snapshot } from '../../../reference/replication/snapshot';
import type { RaftMessage } from '../../../reference/replication/messages';
import { SimStateMachine } from './sim-state-machine';
import { SimStorage } from './sim-storage';

export type HostTiming = Pick<RaftOptions, 'electionTimeoutMs' | 'heartbeatIntervalMs' | 'catchUpTimeoutMs' | 'changeTimeoutMs'>;

/**
 * One simulated server: a RaftNode while it runs, its disk (SimStorage) always, its state machine
 * rebuilt from disk on restart. It carries out each Ready in the order ready.ts prescribes.
 * Frozen, it takes no input; the messages that reach it wait, as in a stopped process's socket.
 */
export class SimHost {
  raft: RaftNode | null = null;
  machine = new SimStateMachine();
  frozen = false;
  held: RaftMessage[] = [];
  /** Bumped at each start so that ticks scheduled for an earlier life are ignored. */
  life = 0;
  readonly storage: SimStorage;

  constructor(
    readonly id: string,
    boot: Snapshot,
    private readonly timing: HostTiming,
    private readonly random: () => number,
    private readonly defects: RaftDefects,
  ) {
    this.storage = new SimStorage(boot);
  }

  get running(): boolean {
    return this.raft !== null;
  }

  start(nowMs: number): void {
    const persisted = this.storage.load();
    this.raft = new RaftNode({ id: this.id, ...this.timing, random: this.random, defects: this.defects }, persisted);
    this.machine = new SimStateMachine();
    this.machine.restore(persisted.snapshot.data);
    this.frozen = false;
    this.held = [];
    this.life += 1;
    this.raft.tick(nowMs);
  }

  crash(): void {
    this.raft = null;
    this.frozen = false;
    this.held = [];
  }

  /** Steps 1 and 3 of a Ready (persist; restore and apply); the caller sends the messages in between. */
  persist(ready: Ready): void {
    if (ready.hardState !== undefined) this.storage.saveHardState(ready.hardState);
    if (ready.snapshot !== undefined) this.storage.saveSnapshot(ready.snapshot);
    if (ready.log !== undefined) this.storage.writeLog(ready.log);
  }

  applyReady(ready: Ready, onApply: (index: number) => void): void {
    if (ready.snapshot !== undefined) this.machine.restore(ready.snapshot.data);
    for (const entry of ready.committed) {
      if (entry.index <= this.machine.appliedIndex) continue;
      this.machine.apply(entry);
      onApply(entry.index);
    }
  }

  /** Folds the applied prefix into a snapshot once it is `threshold` entries past the last one. */
  maybeCompact(threshold: number): void {
    const raft = this.raft;
    if (raft === null) return;
    const applied = this.machine.appliedIndex;
    if (applied - raft.snapshotIndex() < threshold) return;
    this.storage.saveSnapshot(raft.compact(applied, this.machine.snapshot(applied)));
  }
}
