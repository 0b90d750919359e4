import type { HardState } from './hard-state';
import type { LogEntry } from './log-entry';
import type { RaftMessage } from './messages';
import type { RaftNode } from './raft-node';
import { appliedBeforeDurable, sentBeforeDurable, type LogWrite, type Ready } from './ready';
import type { Snapshot } from './snapshot';

/** What a Ready asks to make durable, in this order: hard state, snapshot, log write. */
export interface PersistBatch {
  hardState?: HardState;
  snapshot?: Snapshot;
  log?: LogWrite;
}

/** The I/O a RaftNode needs, supplied by the broker (files and sockets) or a test. */
export interface RaftHost {
  /** Resolves once everything in `batch` is synced to disk; rejects if it cannot be. */
  persist(batch: PersistBatch): Promise<void>;
  send(messages: readonly RaftMessage[]): void;
  /** Restore the state machine from `snapshot` if present, then apply `committed` in order. */
  apply(snapshot: Snapshot | undefined, committed: readonly LogEntry[]): void;
  /** Everything else a Ready carries (reads confirmed, membership outcomes, leadership), after `apply`. */
  observe?(ready: Ready): void;
}

/**
 * Runs a RaftNode against an asynchronous host while keeping the Ready contract: no input reaches
 * the node between taking a Ready and its batch being durable, and no message leaves before that.
 * Inputs that arrive meanwhile wait and are fed together afterwards, so their writes share one sync
 * (group commit, as the broker's journal does). A failed sync stops the driver for good: the node's
 * promises can no longer be kept, and the host must restart it from what is on disk.
 */
interface Waiting {
  /** Feeds the input to the node; returns how to settle its promise once the Ready is carried out. */
  feed(): (() => void) | null;
  reject(error: Error): void;
}

export class RaftDriver {
  private waiting: Waiting[] = [];
  private running = false;
  private failure: Error | null = null;

  constructor(
    private readonly node: RaftNode,
    private readonly host: RaftHost,
  ) {}

  /** Feeds `input` to the node when it is safe; resolves to its result once the Ready it produced has been carried out. */
  submit<T>(input: (node: RaftNode) => T): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.stopped());
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        feed: () => {
          try {
            const result = input(this.node);
            return () => resolve(result);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
            return null;
          }
        },
        reject,
      });
      void this.pump();
    });
  }

  step(message: RaftMessage): Promise<void> {
    return this.submit((node) => node.step(message));
  }

  tick(nowMs: number): Promise<void> {
    return this.submit((node) => node.tick(nowMs));
  }

  /** Why the driver stopped, or null while it runs. */
  get failed(): Error | null {
    return this.failure;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0 && this.failure === null) {
        const batch = this.waiting;
        this.waiting = [];
        const fed = batch.map((waiting) => ({ waiting, settle: waiting.feed() }));
        try {
          await this.carryOut(this.node.takeReady());
        } catch (error) {
          this.failure = error instanceof Error ? error : new Error(String(error));
          for (const { waiting, settle } of fed) if (settle !== null) waiting.reject(this.stopped());
          break;
        }
        for (const { settle } of fed) settle?.();
      }
      if (this.failure !== null) {
        // Inputs still waiting never reach the node.
        for (const waiting of this.waiting.splice(0)) waiting.reject(this.stopped());
      }
    } finally {
      this.running = false;
    }
  }

  private async carryOut(ready: Ready): Promise<void> {
    const batch: PersistBatch = {};
    if (ready.hardState !== undefined) batch.hardState = ready.hardState;
    if (ready.snapshot !== undefined) batch.snapshot = ready.snapshot;
    if (ready.log !== undefined) batch.log = ready.log;
    const durable = batch.hardState !== undefined || batch.snapshot !== undefined || batch.log !== undefined;
    // ready.ts: a leader's appends leave, and already-durable commits apply, while this batch syncs.
    const early = durable ? ready.messages.filter(sentBeforeDurable) : ready.messages;
    const late = durable ? ready.messages.filter((message) => !sentBeforeDurable(message)) : [];
    const applyEarly = !durable || appliedBeforeDurable(ready);
    if (early.length > 0) this.host.send(early);
    if (applyEarly && ready.committed.length > 0) this.host.apply(undefined, ready.committed);
    if (durable) await this.host.persist(batch);
    if (late.length > 0) this.host.send(late);
    if (!applyEarly && (ready.snapshot !== undefined || ready.committed.length > 0)) this.host.apply(ready.snapshot, ready.committed);
    this.host.observe?.(ready);
  }

  private stopped(): Error {
    return new Error(`raft driver stopped: persisting failed (${this.failure?.message ?? 'unknown'}); restart the node from its disk`);
  }
}
