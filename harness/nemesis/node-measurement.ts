import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultMeasurement } from '../history/event';
import type { NodeHandle, ProcessView } from '../runtime/node-handle';

/**
 * The shape of node faults as the runtime sees the node's processes (NodeHandle.view): whether a
 * freeze really stopped them, whether a crash really killed them, and how long the node was down
 * before its restart. Seeded defects here (a freeze that never stopped the worker, a crash that
 * restarted at once) once passed every crash scenario; `fault-misshapen` judges what is recorded.
 */

/** When a freeze's process states are sampled, as fractions of its duration: past the signal's delivery, before the thaw. */
const FREEZE_SAMPLES = [0.5, 0.75];

/** How often, and how far apart, a killed incarnation is looked for before it counts as alive (≈ 1 s in all). */
const KILL_CHECKS = 20;
const KILL_CHECK_MS = 50;

const CANNOT_SEE = 'the runtime cannot see the node\'s processes: the fault\'s shape is not judged';

/**
 * Keeps a freeze for `durationMs`, sampling the node's process states at half and three quarters of
 * it: each sample that finds a process of the node not stopped counts as `running`.
 */
export async function holdFrozen(node: NodeHandle, durationMs: number): Promise<FaultMeasurement> {
  const began = performance.now();
  const states: string[] = [];
  let running = 0;
  let unseen: string | undefined = node.view ? undefined : CANNOT_SEE;
  for (const fraction of FREEZE_SAMPLES) {
    await sleep(Math.max(0, began + durationMs * fraction - performance.now()));
    if (unseen !== undefined) continue;
    const view = await node.view?.().catch((error: unknown) => error as Error);
    if (view === undefined || view instanceof Error) {
      unseen = view === undefined ? `${node.name} was not running while frozen` : `its processes could not be seen: ${view.message}`;
      continue;
    }
    states.push(view.states.join(''));
    if (!view.stopped) running += 1;
  }
  await sleep(Math.max(0, began + durationMs - performance.now()));
  return unseen !== undefined ? { unmeasured: unseen } : { frozen: { samples: states.length, running, states } };
}

/**
 * A crash watched: the incarnation seen before the kill, whether any of its processes outlived the
 * kill, and, with a restart, the downtime from the kill done (the old incarnation gone) to the new
 * incarnation's start.
 */
export class CrashWatch {
  private killedAt = 0;
  private oldAlive: boolean | undefined;
  private downtime: FaultMeasurement['downtime'];
  private unseen: string | undefined;

  private constructor(
    private readonly node: NodeHandle,
    private readonly before: ProcessView | undefined,
  ) {
    if (!node.view) this.unseen = CANNOT_SEE;
    else if (!before) this.unseen = `${node.name} was not running when it was killed`;
  }

  static async before(node: NodeHandle): Promise<CrashWatch> {
    return new CrashWatch(node, await node.view?.().catch(() => undefined));
  }

  /** Call once the kill has returned: the old incarnation should be gone. */
  async killed(): Promise<void> {
    this.killedAt = performance.now();
    if (!this.before) return;
    // A SIGKILLed child is gone once it is scheduled: asked a few times, briefly, before it counts as alive.
    for (let asked = 0; asked < KILL_CHECKS; asked++) {
      this.oldAlive = await this.before.alive().catch(() => undefined);
      if (this.oldAlive !== true) return;
      await sleep(KILL_CHECK_MS);
    }
  }

  /** Call once the restart has returned: the new incarnation's start against the pause asked. */
  async restarted(askedMs: number): Promise<void> {
    if (this.unseen !== undefined) return;
    const after = await this.node.view?.().catch(() => undefined);
    if (!after || after.incarnation === this.before?.incarnation) {
      this.unseen = `${this.node.name} showed no new incarnation after its restart`;
      return;
    }
    this.downtime = { askedMs, measuredMs: Math.round((after.startedAt - this.killedAt) * 10) / 10 };
  }

  measurement(): FaultMeasurement {
    if (this.unseen !== undefined) return { unmeasured: this.unseen };
    return { ...(this.oldAlive !== undefined && { oldAlive: this.oldAlive }), ...(this.downtime && { downtime: this.downtime }) };
  }
}
