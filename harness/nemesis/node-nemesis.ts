import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../history/recorder';
import type { FaultEffect, FaultMeasurement, NemesisEvent } from '../history/event';
import type { NodeHandle } from '../runtime/node-handle';
import type { NodeClock } from '../runtime/fake-clock';
import type { NodePowerLoss } from './power-loss/node-power-loss';
import { testedAnything } from './power-loss/cut-back';
import { seededRandom } from '../util/random';
import type { ClockSkewFault, DiskFault, LoseUnsyncedWritesFault } from './fault';
import { countersSince, type DiskControlFile } from './power-loss/disk-control';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { whatItHits, type SystemsInPlay } from './what-it-hits';
import { faultAnnotation } from './fault-annotation';
import { withTimeout } from '../util/wait-for';
import { harnessDefectSeeded } from '../util/seeded-harness-defect';
import { CrashWatch, holdFrozen } from './node-measurement';

/**
 * Faults that act on whole nodes: crash (SIGKILL) with or without a restart, and freeze (SIGSTOP)
 * for a while. Each writes a nemesis start and end to the history, with what it hit (as the system
 * owning the node says), so a fault that touched nothing shows up as such instead of as a pass.
 */
export class NodeNemesis {
  constructor(
    private readonly systems: SystemsInPlay,
    private readonly history: HistoryRecorder,
  ) {}

  /** SIGKILL the node; with `restartAfterMs`, start it again after that pause (a crash-restart). */
  async kill(node: NodeHandle, { restartAfterMs }: { restartAfterMs?: number } = {}): Promise<NemesisEvent> {
    const start = this.begin(restartAfterMs === undefined ? 'kill' : 'crash-restart', node);
    const watch = await CrashWatch.before(node);
    await node.kill();
    await watch.killed();
    for (const system of this.systems()) if (system.nodes.includes(node)) system.forgetInFlight(node.name);
    if (restartAfterMs !== undefined) {
      await sleep(harnessDefectSeeded('crash-restarts-at-once') ? 0 : restartAfterMs);
      await node.restart();
      await watch.restarted(restartAfterMs);
    }
    this.end(start, { measured: watch.measurement() });
    return start;
  }

  /**
   * A power cut: SIGKILL, then what the node wrote under its state folder and never made durable is
   * destroyed, then the node starts again after the pause. The start event says what the node held
   * (as a crash's); the end event what the cut destroyed (`effect.unsynced`), and `hit` false when
   * the node had written nothing under its state folder since the last cut (nothing to lose, so
   * nothing tested) or the ledger library did not reach every process of the node.
   */
  async losePower(node: NodeHandle, powerLoss: NodePowerLoss, { pauseMs, torn = false, seed }: LoseUnsyncedWritesFault): Promise<NemesisEvent> {
    // A node that already stopped by itself (a broker after a failed fsync) has no process to look
    // at: the library reached its last incarnation if that wrote the ledger.
    const alive = node.running ? await powerLoss.reaches() : undefined;
    // Judged by what the cut destroyed (the end event) alone when the node holds nothing now, being down.
    const start = this.begin('lose-unsynced-writes', node, {}, true, alive !== undefined);
    const watch = await CrashWatch.before(node);
    await node.kill();
    await watch.killed();
    for (const system of this.systems()) if (system.nodes.includes(node)) system.forgetInFlight(node.name);
    const cut = powerLoss.cutBack({ torn, random: seededRandom(seed) });
    const reached = alive ?? cut.written > 0;
    const unsynced = { ...cut, reached };
    await sleep(pauseMs);
    await node.restart();
    await watch.restarted(pauseMs);
    this.end(start, { unsynced, hit: reached && testedAnything(unsynced), measured: watch.measurement() });
    return start;
  }

  /**
   * A graceful stop: SIGTERM, or the node's stdin closed; killed if it has not exited after `graceMs`.
   * The fault ends when the node is gone; what it still held is then no longer in flight on it. The
   * end event says how long the node took and whether it exited by itself (`effect.stopped`): a node
   * killed when its grace ran out ignores a graceful stop, which the steps name.
   * With `restartAfterMs`, started again that long after it exited (the fault ends once it is up).
   */
  async stop(node: NodeHandle, how: 'signal' | 'stdin', graceMs: number, restartAfterMs?: number): Promise<NemesisEvent> {
    const start = this.begin(how === 'signal' ? 'stop' : 'close-stdin', node);
    const stopped = this.watchStop(node, graceMs);
    if (how === 'signal') await node.stop(graceMs);
    else {
      node.closeInput();
      await withTimeout(node.exited(), graceMs, `${node.name} to exit after its stdin closed`).catch(() => node.kill());
    }
    const measured = { ...(await stopped), exit: node.lastExit };
    for (const system of this.systems()) if (system.nodes.includes(node)) system.forgetInFlight(node.name);
    if (restartAfterMs !== undefined) {
      await sleep(restartAfterMs);
      await node.restart();
    }
    this.end(start, { stopped: measured });
    return start;
  }

  /** Times a node's exit from now: whether it came before `graceMs` ran out (set up before the runtime's own kill timer, so it fires first). */
  private async watchStop(node: NodeHandle, graceMs: number): Promise<{ graceMs: number; exitMs: number; byItself: boolean }> {
    const askedAt = performance.now();
    let graceOver = false;
    const grace = setTimeout(() => (graceOver = true), graceMs);
    await node.exited();
    clearTimeout(grace);
    return { graceMs, exitMs: Math.round(performance.now() - askedAt), byItself: !graceOver };
  }

  /** SIGSTOP the node for `durationMs`, then SIGCONT. */
  freeze(node: NodeHandle, durationMs: number): Promise<NemesisEvent> {
    return this.hold('freeze', node, durationMs, { apply: () => node.freeze(), undo: () => node.resume(), keep: () => holdFrozen(node, durationMs) });
  }

  /**
   * Cuts the node off the network for `durationMs` (a container leaves the run's network, keeping
   * its address and name), then joins it again. Every link of the node fails at once, including
   * any that does not go through the fault proxy.
   */
  disconnect(node: NodeHandle, durationMs: number, isolation: { disconnect(): Promise<void>; reconnect(): Promise<void> }): Promise<NemesisEvent> {
    return this.hold('disconnect', node, durationMs, { apply: () => isolation.disconnect(), undo: () => isolation.reconnect() });
  }

  /**
   * Sets the node's wall clock off (and running fast) for the fault's duration, then right again. It
   * hits only if libfaketime is loaded in every process of the node: a statically linked program
   * keeps the real time, and the fault is then ineffective.
   */
  skewClock(node: NodeHandle, clock: NodeClock, { offsetMs, rate, durationMs }: ClockSkewFault): Promise<NemesisEvent> {
    const reached = clock.reaches();
    return this.hold('clock-skew', node, durationMs, { apply: async () => clock.set(offsetMs, rate), undo: async () => clock.reset() }, { clock: { offsetMs, rate, reached } }, reached);
  }

  /**
   * The node's disk fails (`disk-full`, `fsync-fails`, `read-only`) for `durationMs` while it runs,
   * through the switch the ledger library maps. Judged on its end event by the calls it failed
   * (`effect.disk`), not by what the node held when it began: a disk fault that failed no call
   * tested nothing. Always switched off again.
   */
  async failDisk(node: NodeHandle, disk: DiskControlFile, reaches: () => Promise<boolean>, { kind, durationMs, shortWrites = 0 }: DiskFault): Promise<NemesisEvent> {
    const reached = await reaches();
    const start = this.begin(kind, node, { durationMs }, true, false);
    const before = disk.counters();
    disk.set(kind, shortWrites);
    try {
      await sleep(durationMs);
    } finally {
      disk.set(undefined);
      const { failedCalls, writes, syncs, opens, metadata, shortWrites: short } = countersSince(before, disk.counters());
      this.end(start, { disk: { mode: kind, failedCalls, writes, syncs, opens, metadata, shortWrites: short, reached }, hit: reached && failedCalls + short > 0 });
    }
    return start;
  }

  /** A fault that lasts: applied, kept for `durationMs`, always undone (a frozen node is never left frozen). */
  private async hold(
    fault: string,
    node: NodeHandle,
    durationMs: number,
    /** `keep`: holds the fault for its duration while measuring it (default: sleeps). */
    { apply, undo, keep }: { apply(): Promise<void>; undo(): Promise<void>; keep?(): Promise<FaultMeasurement> },
    extra: FaultEffect = {},
    /** False when the fault cannot reach the node at all, whatever it holds. */
    reaches = true,
  ): Promise<NemesisEvent> {
    const start = this.begin(fault, node, { durationMs, ...extra }, reaches);
    await apply();
    let measured: FaultMeasurement | undefined;
    try {
      if (keep) measured = await keep();
      else await sleep(durationMs);
    } finally {
      await undo();
      this.end(start, measured && { measured });
    }
    return start;
  }

  /** `judgedAtStart` false: the fault says on its end event whether it hit, so the start says what the node held and no more. */
  private begin(fault: string, node: NodeHandle, extra: FaultEffect = {}, reaches = true, judgedAtStart = true): NemesisEvent {
    // A node no system claims (none should exist) is hit while it runs: there is nothing else to ask.
    const answer = whatItHits(this.systems(), [node.name], 'node') ?? { jobsInFlight: [], hit: node.running };
    const { hit, ...held } = answer;
    const hits = !judgedAtStart ? held : reaches ? answer : { ...answer, hit: false };
    return this.history.record({
      type: 'nemesis',
      phase: 'start',
      id: `${fault}-${randomBytes(3).toString('hex')}`,
      fault,
      targets: [node.name],
      effect: { ...faultAnnotation(), ...extra, ...hits },
    }) as NemesisEvent;
  }

  private end(start: NemesisEvent, effect?: FaultEffect): void {
    this.history.record({ type: 'nemesis', phase: 'end', id: start.id, fault: start.fault, targets: start.targets, ...(effect && { effect }) });
  }
}
