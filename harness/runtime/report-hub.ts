import type { DriverReport } from '../../reference/drivers/protocol';
import type { ReportListener } from './node-handle';

/** How many reports a node keeps while nobody listens yet; past it the oldest go (a node that floods before anyone listens). */
const MAX_HELD = 10_000;

/**
 * Where one node's reports go. A node can report the moment it is ready (a worker that registers
 * for a service with a request already queued starts the job at once), before whoever started it
 * has attached its listener: such reports are held and handed to the first listener, not lost.
 * The harness's own readiness watch is not a listener: it sees every report but holds none back.
 */
export class ReportHub {
  private readonly listeners = new Set<ReportListener>();
  private readonly watchers = new Set<ReportListener>();
  private held: DriverReport[] = [];

  /** A listener of the node's reports; the first one also gets the reports held until then. */
  listen(listener: ReportListener): () => void {
    this.listeners.add(listener);
    const held = this.held;
    this.held = [];
    for (const report of held) listener(report);
    return () => this.listeners.delete(listener);
  }

  /** Sees reports as they come (the readiness check), without taking the held ones or stopping more from being held. */
  watch(listener: ReportListener): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  publish(report: DriverReport): void {
    for (const watcher of [...this.watchers]) watcher(report);
    if (this.listeners.size === 0) {
      this.held.push(report);
      if (this.held.length > MAX_HELD) this.held.shift();
      return;
    }
    for (const listener of [...this.listeners]) listener(report);
  }
}
