import { randomBytes } from 'node:crypto';
import type { RpcCluster } from '../cluster/rpc-cluster';
import type { HistoryRecorder } from '../history/recorder';
import type { NemesisEvent } from '../history/event';
import type { NodeHandle } from '../runtime/node-handle';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Faults that act on whole nodes: crash (SIGKILL) with or without a restart, and freeze (SIGSTOP)
 * for a while. Each writes a nemesis start and end to the history, with what it hit, so a fault
 * that touched nothing shows up as such instead of as a pass.
 */
export class NodeNemesis {
  constructor(
    private readonly cluster: RpcCluster,
    private readonly history: HistoryRecorder,
  ) {}

  /** SIGKILL the node; with `restartAfterMs`, start it again after that pause (a crash-restart). */
  async kill(node: NodeHandle, { restartAfterMs }: { restartAfterMs?: number } = {}): Promise<NemesisEvent> {
    const start = this.begin(restartAfterMs === undefined ? 'kill' : 'crash-restart', node);
    await node.kill();
    this.cluster.forgetInFlight(node.name);
    if (restartAfterMs !== undefined) {
      await sleep(restartAfterMs);
      await node.restart();
    }
    this.end(start);
    return start;
  }

  /** SIGSTOP the node for `durationMs`, then SIGCONT. */
  async freeze(node: NodeHandle, durationMs: number): Promise<NemesisEvent> {
    const start = this.begin('freeze', node, { durationMs });
    await node.freeze();
    try {
      await sleep(durationMs);
    } finally {
      await node.resume();
      this.end(start);
    }
    return start;
  }

  /**
   * Cuts the node off the network for `durationMs` (a container leaves the run's network, keeping
   * its address and name), then joins it again. Every link of the node fails at once, including
   * any that does not go through the fault proxy.
   */
  async disconnect(node: NodeHandle, durationMs: number, isolation: { disconnect(): Promise<void>; reconnect(): Promise<void> }): Promise<NemesisEvent> {
    const start = this.begin('disconnect', node, { durationMs });
    await isolation.disconnect();
    try {
      await sleep(durationMs);
    } finally {
      await isolation.reconnect();
      this.end(start);
    }
    return start;
  }

  private begin(fault: string, node: NodeHandle, extra: Record<string, unknown> = {}): NemesisEvent {
    const jobsInFlight = this.jobsTouchedBy(node);
    // A running broker or worker always has traffic (heartbeats); a client only while it has calls open.
    const hit = node.running && (node.role !== 'client' || jobsInFlight.length > 0);
    return this.history.record({
      type: 'nemesis',
      phase: 'start',
      id: `${fault}-${randomBytes(3).toString('hex')}`,
      fault,
      targets: [node.name],
      effect: { ...extra, jobsInFlight, hit },
    }) as NemesisEvent;
  }

  private end(start: NemesisEvent): void {
    this.history.record({ type: 'nemesis', phase: 'end', id: start.id, fault: start.fault, targets: start.targets });
  }

  /** A worker holds the jobs it started; a broker every call open at that moment; a client its own open calls. */
  private jobsTouchedBy(node: NodeHandle): string[] {
    if (node.role === 'worker') return this.cluster.jobsInFlightOn(node.name);
    if (node.role === 'broker') return this.cluster.openCalls();
    return this.cluster.openCalls(node.name);
  }
}
