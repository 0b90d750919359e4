import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SCENARIO_TIMING, requestReplyCheckBounds, revocationBound, scaleTiming, type Timing } from '../timing/timing';
import type { PrincipalRights } from '../history/event';
import { RunSecurity } from '../security/run-security';
import { HarnessMonitor } from '../history/harness-health';
import { scaled, timeScale } from '../util/time-scale';
import { parseRuntime, runConfig } from '../run/run-config';
import type { ControlProfile, Judgement, Profile, PubSubProfile, ReplicatedProfile, RequestReplyProfile, RetryPolicyProfile, SecureProfile } from '../checker';
import { hasOperationsFor, judgeControlHistory, judgeHistory, judgePubSubHistory, judgeRequestReplyHistory, judgeReplicatedHistory, judgeRetryPolicyHistory, judgeSecureHistory, type AnyCheckResult, type JudgedHistory } from '../checker/judge-history';
import type { ControlCheckResult } from '../checker/control';
import type { RetryPolicyCheckResult } from '../checker/retry-policy';
import type { ReplicatedCheckResult } from '../checker/check-replicated';
import type { CheckResult } from '../checker/check-history';
import type { SecureCheckResult } from '../checker/secure';
import type { PubSubCheckOptions, PubSubCheckResult } from '../checker/pubsub';
import { HistoryRecorder } from '../history/recorder';
import type { Implementation } from '../implementation/implementation';
import { referenceImplementation } from '../implementation/reference';
import { Nemesis } from '../nemesis/nemesis';
import { runCrashStorm, type StormOptions, type StormRunResult } from '../nemesis/storm-run';
import type { FaultSchedule } from '../nemesis/fault-schedule';
import { writeScheduleFile } from '../nemesis/schedule-file';
import { ProxiedNetwork } from '../network/proxied-network';
import { ProcessRuntime } from '../runtime/process-runtime';
import type { Runtime } from '../runtime/runtime';
import { nodeNamed, type System, type SystemContext, type SystemDefinition } from '../systems/system';
import type { NodeHandle } from '../runtime/node-handle';
import type { StormLoad } from '../systems/storm-load';
import { requestReplySystem, type RequestReplySystem } from '../systems/request-reply/request-reply-system';
import { pubSubSystem, type PubSubSystem } from '../systems/pubsub/pubsub-system';
import type { RpcWorkload, RpcWorkloadOptions } from '../systems/request-reply/workload';

export interface ScenarioOptions {
  /** Shown in reports; also names the scenario's report folder. */
  name: string;
  /** Folder that holds one sub-folder per scenario (default `reports/<run id>`). */
  reportDir?: string;
  timing?: Partial<Timing>;
  implementation?: Implementation;
  /** Route every link through its own fault-proxy proxy (default true). */
  proxied?: boolean;
  /** Where nodes run: `process` (default) or `docker`; default from HARNESS_RUNTIME. */
  runtime?: RuntimeKind;
  /** Start nodes with clocks that clock-skew faults can set (the process runtime, through libfaketime). */
  fakeClocks?: boolean;
  /** Start nodes with state folders under the power-loss ledger, so lose-unsynced-writes faults can cut their power (the process runtime). */
  powerLoss?: boolean;
}

export type RuntimeKind = 'process' | 'docker';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['process', 'docker'];

/** HARNESS_RUNTIME, checked: a typo must not silently run the process runtime. */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeKind {
  return parseRuntime(env.HARNESS_RUNTIME);
}

function createRuntime(kind: RuntimeKind, logDir: string, { fakeClocks, powerLoss }: { fakeClocks: boolean; powerLoss: boolean }): Runtime {
  if (kind === 'process') return new ProcessRuntime({ logDir, fakeClocks, powerLoss });
  // Loaded only when asked for: testcontainers and dockerode are heavy, and the process runtime needs neither.
  const { DockerRuntime } = require('../runtime/docker/docker-runtime') as typeof import('../runtime/docker/docker-runtime');
  return new DockerRuntime({ logDir, powerLoss });
}

/** How often the harness samples its own event-loop lag into the history. */
const HEALTH_WINDOW_MS = 500;

/** The run folder of the run config (harness/run/run-config.ts): `reports/<run id>` unless a front end or KEELHAUL_REPORT_DIR chose one. */
export function defaultReportDir(): string {
  return runConfig().reportDir;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'scenario';
}

/**
 * One scenario's whole world: where nodes run, the systems under test (each built the first time a
 * step asks for it), the faults, the workloads and the history they all write. Cucumber's World holds
 * one; a plain script can use it directly.
 */
export class Scenario {
  readonly dir: string;
  readonly timing: Timing;
  readonly history: HistoryRecorder;
  readonly runtime: Runtime;
  /** Every fault, node or link, goes through `nemesis.invoke(fault)`. */
  readonly nemesis: Nemesis;
  /** Present when links are proxied: link faults act through it. */
  readonly network?: ProxiedNetwork;
  /** The last check a step made, so a report can show what it found. */
  lastCheck?: { profile: Profile; result: AnyCheckResult; judgement: Judgement };
  private readonly built = new Map<SystemDefinition<System, Implementation>, System>();
  private keys?: RunSecurity;
  private readonly context: SystemContext<Implementation>;
  private readonly monitor: HarnessMonitor;
  private tornDown = false;

  /** Starts (or, with TOXIPROXY_URL, connects to) the fault proxy unless `proxied` is false. */
  static async create(options: ScenarioOptions): Promise<Scenario> {
    const dir = Scenario.claimDir(options);
    const runtime = createRuntime(options.runtime ?? runConfig().runtime, path.join(dir, 'logs'), { fakeClocks: options.fakeClocks === true, powerLoss: options.powerLoss === true });
    try {
      const network = options.proxied === false ? undefined : await ProxiedNetwork.create(runtime, path.join(dir, 'logs', 'fault-proxy.log'));
      return new Scenario(options, dir, runtime, network);
    } catch (error) {
      await runtime.shutdown().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A folder no other scenario of the run uses: same-named scenarios (outlines, reruns) get `-2`,
   * `-3`... A shared folder would mix histories and, worse, hand one scenario's broker journal to the next.
   */
  private static claimDir(options: ScenarioOptions): string {
    const base = path.join(options.reportDir ?? defaultReportDir(), slug(options.name));
    mkdirSync(path.dirname(base), { recursive: true });
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}-${n}`;
      try {
        mkdirSync(candidate);
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  private constructor(options: ScenarioOptions, dir: string, runtime: Runtime, network?: ProxiedNetwork) {
    this.dir = dir;
    // The time scale stretches every interval, the manifest's own timing included, so bounds keep their ratios.
    this.timing = scaleTiming({ ...SCENARIO_TIMING, ...options.timing }, timeScale());
    this.history = new HistoryRecorder({ file: path.join(this.dir, 'history.jsonl') });
    this.monitor = new HarnessMonitor(this.history, scaled(HEALTH_WINDOW_MS));
    this.runtime = runtime;
    this.network = network;
    const implementation = options.implementation ?? referenceImplementation;
    const scenario = this;
    this.context = {
      runtime,
      implementation,
      timing: this.timing,
      history: this.history,
      stateDir: path.join(dir, 'state'),
      network,
      // Read when a system starts a node, so a step may make the run secure before any node exists.
      get security() {
        return scenario.keys;
      },
    };
    this.nemesis = new Nemesis(runtime, () => this.systems, this.history, network);
  }

  /** The system of that kind, built on first use: a scenario about one system starts nothing of another. */
  use<S extends System>(definition: SystemDefinition<S, Implementation>): S {
    let system = this.built.get(definition);
    if (!system) {
      if (this.tornDown) throw new Error(`the scenario is over: cannot build the ${definition.name} system now`);
      system = definition.create(this.context);
      this.built.set(definition, system);
    }
    return system as S;
  }

  /**
   * Makes the run secure: every node started from now on gets a key pair and its server's key or the
   * policy, and `table`'s principals get their rights (added to what an earlier call granted). The
   * policy is written and recorded. Call it before the nodes it should cover are started.
   */
  secure(table: Record<string, PrincipalRights>): RunSecurity {
    if (this.keys === undefined) {
      const hostDir = path.join(this.dir, 'keys');
      this.keys = new RunSecurity({ hostDir, nodeDir: this.runtime.shareFolder(hostDir), history: this.history });
    }
    this.keys.grant(table);
    return this.keys;
  }

  /** The run's keys and policy, once `secure` was called. */
  get security(): RunSecurity | undefined {
    return this.keys;
  }

  /**
   * Takes every right of `principal` away mid-run: the policy is rewritten without it, the
   * revocation recorded with its bound (revocationBound), and every running hub told at once (SIGHUP).
   */
  async revoke(principal: string): Promise<void> {
    if (this.keys === undefined) throw new Error(`cannot revoke ${principal}: the run is not secure (no policy was given)`);
    this.keys.revoke(principal, revocationBound(this.timing));
    const hubs = this.systems.map((system) => system.hub).filter((hub): hub is NodeHandle => hub?.running === true);
    for (const hub of hubs) await hub.reload();
    // SIGHUP's default action ends a process: a server that does not re-read its policy on it is gone.
    await new Promise((resolve) => setTimeout(resolve, this.timing.heartbeatInterval));
    const gone = hubs.filter((hub) => !hub.running);
    if (gone.length > 0) throw new Error(`${gone.map((hub) => hub.name).join(', ')} exited on SIGHUP (${gone.map((hub) => hub.lastExit ?? '?').join(', ')}): a secure server must re-read its policy on SIGHUP (docs/manifest.md), so the revocation could not be made`);
  }

  /** The systems built so far. */
  get systems(): readonly System[] {
    return [...this.built.values()];
  }

  /** The node named so, in whichever system built so far has it. */
  node(name: string): NodeHandle {
    return nodeNamed(this.systems.flatMap((system) => system.nodes), name);
  }

  /** The request-reply system (broker, workers, clients). */
  get cluster(): RequestReplySystem {
    return this.use(requestReplySystem);
  }

  /** The pub/sub system (proxy, publishers, subscribers). */
  get pubsub(): PubSubSystem {
    return this.use(pubSubSystem);
  }

  /**
   * Any system's crash storm, through this scenario's nemesis and timing (see runCrashStorm). Its
   * schedule is kept in the scenario's folder (fault-schedule.json), which `keelhaul shrink --from` starts from.
   */
  crashStorm<Outcome>(system: System, options: StormOptions, load: StormLoad<Outcome>, onSchedule: (schedule: FaultSchedule) => void): Promise<StormRunResult<Outcome>> {
    return runCrashStorm(system, this.nemesis, this.timing, options, load, (schedule) => {
      writeScheduleFile(this.dir, schedule, timeScale());
      onSchedule(schedule);
    });
  }

  /** Starts a workload on all clients started so far. */
  startWorkload(options: RpcWorkloadOptions): RpcWorkload {
    return this.cluster.startWorkload(options);
  }

  /** A bound for a whole workload: every job could in the worst case use up a whole call bound. */
  workloadBound(options: Pick<RpcWorkloadOptions, 'jobsPerClient' | 'concurrency'>): number {
    return this.cluster.workloadBound(options);
  }

  /** Keeps the clients calling until `until()` holds or `boundMs` passed (see RequestReplySystem.submitUntil). */
  submitUntil(until: () => boolean, options: { service: string; boundMs: number }): Promise<boolean> {
    return this.cluster.submitUntil(until, options);
  }

  check(profile: RequestReplyProfile, format: { allCounts?: boolean } = {}): JudgedHistory<CheckResult> {
    const judged = judgeRequestReplyHistory(this.history.events(), profile, requestReplyCheckBounds(this.timing), format);
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Judges the pub/sub events of the history (puts, subscriptions, deliveries) against `profile`. */
  checkPubSub(profile: PubSubProfile = 'pubsub-exactly-once', options: PubSubCheckOptions = {}): JudgedHistory<PubSubCheckResult> {
    const judged = judgePubSubHistory(this.history.events(), profile, options);
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Judges who received what (the policy, revocations, attacks) against `profile`. */
  checkSecure(profile: SecureProfile = 'secure'): JudgedHistory<SecureCheckResult> {
    const judged = judgeSecureHistory(this.history.events(), profile);
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Judges the kills (their answers, and what the jobs and their clients did) against `profile`. */
  checkControl(profile: ControlProfile = 'control'): JudgedHistory<ControlCheckResult> {
    const judged = judgeControlHistory(this.history.events(), profile);
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Judges the calls of the declared services (their attempts, sends, outcomes and executions) against `profile`. */
  checkRetryPolicy(profile: RetryPolicyProfile = 'retry-policy'): JudgedHistory<RetryPolicyCheckResult> {
    const judged = judgeRetryPolicyHistory(this.history.events(), profile);
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Judges a cluster's history (the exactly-once rules, terms on answers and dispatches, failover after faults on the leader) against `profile`. */
  checkReplicated(profile: ReplicatedProfile = 'replicated-exactly-once', options: { failoverBoundMs?: number } = {}): JudgedHistory<ReplicatedCheckResult> {
    const judged = judgeReplicatedHistory(this.history.events(), profile, { ...requestReplyCheckBounds(this.timing), ...options });
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** The whole history judged against any profile, by its system's checks; undefined when it has none of that system's operations. */
  checkWhole(profile: Profile): JudgedHistory<AnyCheckResult> | undefined {
    const events = this.history.events();
    if (!hasOperationsFor(events, profile)) return undefined;
    const judged = judgeHistory(events, profile, requestReplyCheckBounds(this.timing));
    this.lastCheck = { profile, result: judged.result, judgement: judged.judgement };
    return judged;
  }

  /** Stops every node and seals the history. Safe to call twice; never throws for a node that is already gone. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const system of this.systems) system.stopLoad();
    try {
      await this.nemesis.healAll();
      await this.runtime.shutdown();
      await this.network?.close();
    } finally {
      this.monitor.stop();
      for (const system of this.systems) system.seal();
      this.history.close();
    }
  }
}
