import { setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import type { Scenario } from '../harness/scenario/scenario';
import type { RpcWorkload } from '../harness/systems/request-reply/workload';
import type { OpenLoopWorkload } from '../harness/systems/request-reply/open-loop-workload';
import type { NodeHandle } from '../harness/runtime/node-handle';
import type { NemesisEvent } from '../harness/history/event';
import { isNodeFault, LEADER_TARGET, type Fault } from '../harness/nemesis/fault';
import type { MessageTriggeredFault } from '../harness/nemesis/triggered-fault';
import type { StormRunResult } from '../harness/nemesis/storm-run';
import type { RequestReplyStormOutcome } from '../harness/systems/request-reply/storm-load';
import type { PubSubWorkload } from '../harness/systems/pubsub/workload';
import type { CatchingUp } from '../harness/checker/pubsub';
import type { StandInWorkerHeard } from '../harness/probe/disconnect-probe';
import type { BusyWorkerHeard } from '../harness/probe/busy-worker-probe';
import type { Stall } from '../harness/timing/stall-watch';
import type { PlainPeersOutcome, StandInJobClient, StandInKhxWorker } from '../harness/probe/khx-broker-probe';
import type { AttackBench } from '../harness/security/attack-bench';
import type { ChaosWorker } from '../harness/systems/request-reply/chaos-worker';

/** Per-scenario state: the harness Scenario plus what the steps refer back to. */
export class KeelhaulWorld extends World {
  scenario?: Scenario;
  workload?: RpcWorkload;
  workloadBound = 0;
  /** The open-loop workload (jobs offered at a fixed rate), and how long after its start it may take to end. */
  offered?: OpenLoopWorkload;
  offeredBound = 0;
  /** The node the last fault acted on, and the jobs it held then. */
  faultTarget?: NodeHandle;
  faultJobs: string[] = [];
  /** History time (ms) at which the last fault healed. */
  healedAt = 0;
  /** The last crash storm's outcome, for the steps that check it. */
  storm?: StormRunResult<RequestReplyStormOutcome>;
  /** The last pub/sub crash storm's outcome. */
  pubsubStorm?: StormRunResult<PubSubWorkload>;
  /** The pub/sub puts in progress, for the steps that wait for them. */
  pubsubWorkload?: PubSubWorkload;
  /** The bound the pub/sub proxy was started with, for the steps that check it. */
  maxPending?: number;
  /** The eviction bound (ms) the pub/sub proxy was started with, for the steps that check it. */
  subscriberEviction?: number;
  /** How the pub/sub proxy ended when its disk failed ("code 70"), for the steps that check it. */
  proxyExitOnDiskFault?: string;
  /** When the last pub/sub drain ended, for the checks that follow it. */
  drained?: CatchingUp;
  /** The last stand-in client request (its job name), and the history time it was sent. */
  standInJob?: string;
  standInSentAt = 0;
  /** What a stand-in worker heard once it had left (DISCONNECT, or silence). */
  standInWorker?: StandInWorkerHeard;
  /** A stand-in worker that held a request for several liveness periods (rfc7:broker-heartbeats): what it heard, and the job. */
  busyStandInWorker?: { heard: BusyWorkerHeard; job: string };
  /**
   * What the last stand-in broker step did: the worker connection it spoke to, when (performance.now()),
   * the job addresses it sent, and when the harness stalled meanwhile (if the step timed the worker).
   */
  standInBrokerRun?: { connection: string; from: number; to: number; addresses: string[]; stalls?: readonly Stall[] };
  /** KHX/1 stand-in peers on the broker under test (khx-stand-in.steps.ts): the job client, the worker that holds its job, what plain peers saw. */
  standInJobClient?: StandInJobClient;
  standInKhxWorker?: StandInKhxWorker;
  plainPeers?: PlainPeersOutcome;
  /** Two stand-in clients' requests (rfc7:fair-to-clients): the first's before and after the second's one. */
  fairness?: { early: string[]; waiting: string; late: string[] };
  /** Stand-in peers to close at the end of the scenario. */
  readonly standInPeers: { close(): void }[] = [];
  /** The hostile side of a secure run, opened by the first attack step. */
  attackBench?: AttackBench;
  /** The job the last kill step asked to kill (KHC/1). */
  killedJob?: string;
  /** The worker started in a chaos mode (busy, slow), recorded as a fault. */
  chaosWorker?: ChaosWorker;
  /** History time (ms) at which the broker acknowledged the last DRAIN. */
  drainedAt?: number;
  /** The leader a regression scenario killed and restarted, and the term of the leader elected meanwhile. */
  oldLeader?: { name: string; deposedAtTerm: number };
  /** The membership changes a scenario made, as the operator saw them (cluster-lifecycle.steps.ts). */
  membershipChanges: { change: string; answer: string; settledMs: number; voters: string[] }[] = [];
  /** performance.now() when the scenario began, for its verdict's duration. */
  startedAt = 0;
  /** This attempt is a retry of a scenario whose verdict was already final (a FAIL): skipped, reports nothing. */
  skippedAsDecided = false;

  constructor(options: IWorldOptions) {
    super(options);
  }

  /** Carries out `fault`, remembers what it hit and on which node, and when it healed (if it has: a link fault without a duration stays). */
  async strike(fault: Fault, target?: NodeHandle): Promise<NemesisEvent> {
    const event = await this.harness.nemesis.invoke(fault);
    // A fault aimed at the leader struck whichever replica led: its start event names it.
    const struck = isNodeFault(fault) ? (fault.target === LEADER_TARGET ? event.targets[0] : fault.target) : undefined;
    this.rememberFault(event, target ?? (struck !== undefined ? this.harness.node(struck) : undefined));
    // A trigger has struck its fault to the end (or struck nothing) by now.
    if (isNodeFault(fault) || fault.kind === 'on-message' || fault.durationMs !== undefined) this.markHealed();
    return event;
  }

  /**
   * A fault struck at a protocol moment (trigger.steps.ts); remembers what the struck fault hit,
   * and the jobs of the held message too (dispatched or answered, and caught on the way).
   * `onArmed`: called once the fault proxy watches for the message.
   */
  async strikeOnMessage(fault: MessageTriggeredFault, onArmed?: () => void): Promise<void> {
    const { nemesis, history } = this.harness;
    const outcome = await nemesis.trigger(fault, onArmed);
    this.rememberFault(outcome.struck ?? outcome.trigger, 'target' in fault.then ? this.harness.node(fault.then.target) : undefined);
    const end = history.events().find((event) => event.type === 'nemesis' && event.phase === 'end' && event.id === outcome.trigger.id);
    const held = end?.type === 'nemesis' ? (end.effect?.trigger?.message?.jobs ?? []) : [];
    this.faultJobs = [...new Set([...this.faultJobs, ...held])];
    this.markHealed();
  }

  /** Remembers what a fault hit, so later steps can check those jobs and that node. */
  rememberFault(event: NemesisEvent, target: NodeHandle | undefined): void {
    this.faultTarget = target;
    this.faultJobs = event.effect?.jobsInFlight ?? [];
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
