import { setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import type { Scenario } from '../harness/scenario/scenario';
import type { RpcWorkload } from '../harness/workload/rpc-workload';
import type { NodeHandle } from '../harness/runtime/node-handle';
import type { NemesisEvent } from '../harness/history/event';
import type { StormRunResult } from '../harness/scenario/storm-run';
import type { PubSubStormResult } from '../harness/scenario/pubsub-storm-run';
import type { PubSubWorkload } from '../harness/workload/pubsub-workload';
import type { CatchingUp } from '../harness/checker/pubsub';

/** Per-scenario state: the harness Scenario plus what the steps refer back to. */
export class KeelhaulWorld extends World {
  scenario?: Scenario;
  workload?: RpcWorkload;
  workloadBound = 0;
  /** The node the last fault acted on, and the jobs it held then. */
  faultTarget?: NodeHandle;
  faultJobs: string[] = [];
  /** History time (ms) at which the last fault healed. */
  healedAt = 0;
  /** The last crash storm's outcome, for the steps that check it. */
  storm?: StormRunResult;
  /** The last pub/sub crash storm's outcome. */
  pubsubStorm?: PubSubStormResult;
  /** The pub/sub puts in progress, for the steps that wait for them. */
  pubsubWorkload?: PubSubWorkload;
  /** The bound the pub/sub proxy was started with, for the steps that check it. */
  maxPending?: number;
  /** When the last pub/sub drain ended, for the checks that follow it. */
  drained?: CatchingUp;
  /** performance.now() when the scenario began, for its verdict's duration. */
  startedAt = 0;
  /** This attempt is a retry of a scenario whose verdict was already final (a FAIL): skipped, reports nothing. */
  skippedAsDecided = false;

  constructor(options: IWorldOptions) {
    super(options);
  }

  /** Remembers what a fault hit, so later steps can check those jobs and that node. */
  rememberFault(event: NemesisEvent, target: NodeHandle | undefined): void {
    this.faultTarget = target;
    this.faultJobs = (event.effect?.jobsInFlight as string[] | undefined) ?? [];
  }

  /** Notes that the last fault has healed now. */
  markHealed(): void {
    this.healedAt = this.harness.history.now();
  }

  get harness(): Scenario {
    if (!this.scenario) throw new Error('no scenario: the Before hook did not run');
    return this.scenario;
  }
}

setWorldConstructor(KeelhaulWorld);
