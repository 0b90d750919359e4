import type { NodeHandle } from '../runtime/node-handle';
import type { NemesisEvent } from '../history/event';
import type { Nemesis } from './nemesis';
import { scheduledOn, type FaultSchedule, type ScheduledFault } from './fault-schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { LEADER_TARGET } from './fault';

export interface CrashStormResult {
  /** The nemesis start event of every fault, in the order the faults ended. */
  faults: NemesisEvent[];
  /** Faults that could not act (their node was not running, or the fault itself failed), with why. */
  skipped: { fault: ScheduledFault; reason: string }[];
}

/** The faults a storm skipped, one line each with why: for an INCONCLUSIVE verdict's reason. */
export function describeSkipped(skipped: CrashStormResult['skipped']): string[] {
  return skipped.map(({ fault, reason }) => `${fault.kind} ${scheduledOn(fault)} at ${fault.at} ms: ${reason}`);
}

/**
 * What a storm waits for before a fault: the node it names to exist (`node`), and before a fault that
 * needs a cluster's leader, one to be known (`beforeFault`, bounded; a fault that still finds none is
 * skipped by the nemesis, with why). `laneOf` says which faults must not overlap: by default those
 * on one node; a cluster's faults share one lane, since its replicas fail together.
 */
export interface StormTargets {
  node(name: string): NodeHandle;
  laneOf?(fault: ScheduledFault): string;
  beforeFault?(fault: ScheduledFault): Promise<void>;
}

/**
 * Plays a fault schedule against a system's nodes through the nemesis, each fault at its offset
 * from now. Faults run concurrently (a freeze of one worker while the broker is down); the
 * schedule keeps faults on one node apart. Returns once every fault has ended; `stop()` cuts the
 * schedule short (faults already started still finish, so every frozen node is resumed).
 */
export class CrashStorm {
  private stopped = false;
  private wake?: () => void;

  constructor(
    /** The nodes a schedule names (throwing for a name the system does not have), and the storm's lanes. */
    private readonly targets: StormTargets,
    private readonly nemesis: Pick<Nemesis, 'invoke'>,
    private readonly schedule: FaultSchedule,
  ) {}

  async run(): Promise<CrashStormResult> {
    const started = Date.now();
    const result: CrashStormResult = { faults: [], skipped: [] };
    const running: Promise<void>[] = [];
    // A fault on a node waits for the previous one on that node to be over (a restarted node to be
    // ready again): on a loaded machine a restart can outlast the gap the schedule left, and a crash
    // of a node still starting would hit nothing. The order of faults per node is the schedule's.
    const lastOnNode = new Map<string, Promise<void>>();
    for (const fault of this.schedule.faults) {
      await this.sleepUntil(started + fault.at);
      if (this.stopped) break;
      const lane = this.targets.laneOf?.(fault) ?? scheduledOn(fault);
      const previous = lastOnNode.get(lane) ?? Promise.resolve();
      const applied = previous.then(() => (this.stopped ? undefined : this.apply(fault, result)));
      lastOnNode.set(lane, applied);
      running.push(applied);
    }
    await Promise.all(running);
    return result;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async sleepUntil(time: number): Promise<void> {
    const delay = time - Date.now();
    if (delay <= 0 || this.stopped) return;
    await Promise.race([sleep(delay), new Promise<void>((resolve) => (this.wake = resolve))]);
  }

  private async apply(fault: ScheduledFault, result: CrashStormResult): Promise<void> {
    // A fault on the leader or a cluster partition names no node: the nemesis finds what it acts on.
    if (fault.kind !== 'cluster-partition' && fault.target !== LEADER_TARGET) {
      const node = this.targets.node(fault.target);
      if (!node.running) {
        result.skipped.push({ fault, reason: `${fault.target} was not running` });
        return;
      }
    }
    try {
      await this.targets.beforeFault?.(fault);
      const { at: _at, ...data } = fault;
      result.faults.push(await this.nemesis.invoke(data));
    } catch (error) {
      result.skipped.push({ fault, reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
