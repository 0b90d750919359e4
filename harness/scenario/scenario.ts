import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { RpcCluster } from '../cluster/rpc-cluster';
import { PubSubCluster } from '../cluster/pubsub-cluster';
import { SCENARIO_TIMING, clientCallBound, recoveryBound, scaleTiming, type Timing } from '../cluster/timing';
import { HarnessMonitor } from '../history/harness-health';
import { scaled, timeScale } from '../util/time-scale';
import { parseRuntime, runConfig } from '../run-config';
import { checkHistory, formatCheckResult, judge, judgePubSub, type CheckResult, type Judgement, type Profile, type PubSubProfile, type RequestReplyProfile } from '../checker';
import { checkPubSub, formatPubSubResult, type PubSubCheckOptions, type PubSubCheckResult } from '../checker/pubsub';
import { HistoryRecorder } from '../history/recorder';
import type { Implementation } from '../implementation/implementation';
import { referenceImplementation } from '../implementation/reference';
import { NodeNemesis } from '../nemesis/node-nemesis';
import { LinkNemesis } from '../nemesis/link-nemesis';
import { ProxiedNetwork } from '../network/proxied-network';
import { ProcessRuntime } from '../runtime/process-runtime';
import type { Runtime } from '../runtime/runtime';
import type { NodeHandle } from '../runtime/node-handle';
import type { NemesisEvent } from '../history/event';
import { RpcWorkload, type RpcWorkloadOptions } from '../workload/rpc-workload';

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
}

export type RuntimeKind = 'process' | 'docker';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['process', 'docker'];

/** HARNESS_RUNTIME, checked: a typo must not silently run the process runtime. */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeKind {
  return parseRuntime(env.HARNESS_RUNTIME);
}

function createRuntime(kind: RuntimeKind, logDir: string): Runtime {
  if (kind === 'process') return new ProcessRuntime({ logDir });
  // Loaded only when asked for: testcontainers and dockerode are heavy, and the process runtime needs neither.
  const { DockerRuntime } = require('../runtime/docker/docker-runtime') as typeof import('../runtime/docker/docker-runtime');
  return new DockerRuntime({ logDir });
}

/** How often the harness samples its own event-loop lag into the history. */
const HEALTH_WINDOW_MS = 500;

/** The run folder of the run config (harness/run-config.ts): `reports/<run id>` unless a front end or KEELHAUL_REPORT_DIR chose one. */
export function defaultReportDir(): string {
  return runConfig().reportDir;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'scenario';
}

/**
 * One scenario's whole world: where nodes run, the system under test, the faults, the workloads
 * and the history they all write. Cucumber's World holds one; a plain script can use it directly.
 */
export class Scenario {
  readonly dir: string;
  readonly timing: Timing;
  readonly history: HistoryRecorder;
  readonly runtime: Runtime;
  readonly cluster: RpcCluster;
  /** The pub/sub system, for the scenarios that use one. */
  readonly pubsub: PubSubCluster;
  readonly nemesis: NodeNemesis;
  /** Present when links are proxied: link faults act through it. */
  readonly network?: ProxiedNetwork;
  readonly links?: LinkNemesis;
  /** The last check a step made, so a report can show what it found. */
  lastCheck?: { profile: Profile; result: CheckResult | PubSubCheckResult; judgement: Judgement };
  private readonly workloads: RpcWorkload[] = [];
  private readonly monitor: HarnessMonitor;
  private tornDown = false;

  /** Starts (or, with TOXIPROXY_URL, connects to) the fault proxy unless `proxied` is false. */
  static async create(options: ScenarioOptions): Promise<Scenario> {
    const dir = Scenario.claimDir(options);
    const runtime = createRuntime(options.runtime ?? runConfig().runtime, path.join(dir, 'logs'));
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
    this.cluster = new RpcCluster(this.runtime, implementation, this.timing, this.history, path.join(dir, 'state'), network);
    this.pubsub = new PubSubCluster(this.runtime, implementation, this.timing, this.history, path.join(dir, 'state'), network);
    this.nemesis = new NodeNemesis(this.cluster, this.history);
    if (network) this.links = new LinkNemesis(network, this.cluster, this.history);
  }

  /**
   * Cuts a node off from every other node for `durationMs`, then heals: the runtime's own network
   * disconnect where it has one (containers), otherwise a partition of every link of the node
   * through the fault proxy. Either way the history names the fault and what it hit.
   */
  async isolate(node: NodeHandle, durationMs: number): Promise<NemesisEvent> {
    const isolation = this.runtime.isolation?.(node);
    if (isolation) return this.nemesis.disconnect(node, durationMs, isolation);
    if (!this.links || !this.network) throw new Error(`the ${this.runtime.kind} runtime cannot disconnect ${node.name}, and this scenario has no fault proxy to partition its links`);
    const fault = await this.links.partition(this.network.linksOf(node.name));
    await fault.healAfter(durationMs);
    return fault.event;
  }

  /** Starts a workload on all clients started so far. */
  startWorkload(options: RpcWorkloadOptions): RpcWorkload {
    const workload = new RpcWorkload(this.cluster.clients, this.history, options).start();
    this.workloads.push(workload);
    return workload;
  }

  /** A bound for a whole workload: every job could in the worst case use up a whole call bound. */
  workloadBound(options: Pick<RpcWorkloadOptions, 'jobsPerClient' | 'concurrency'>): number {
    const rounds = Math.ceil(options.jobsPerClient / options.concurrency);
    return Math.min(scaled(60_000), scaled(5_000) + rounds * (this.timing.workMs + scaled(50)) + 2 * clientCallBound(this.timing));
  }

  /**
   * Keeps the clients calling `service`, one job each per round, until `until()` holds or `boundMs`
   * has passed: a check about what happens after a fault then never races the end of the workload.
   * Resolves whether it held; the extra calls are in the history like any others.
   */
  async submitUntil(until: () => boolean, { service, boundMs }: { service: string; boundMs: number }): Promise<boolean> {
    const deadline = performance.now() + boundMs;
    while (!until() && performance.now() < deadline) {
      await this.startWorkload({ jobsPerClient: 1, concurrency: 1, service }).wait(Math.max(1, deadline - performance.now()));
    }
    return until();
  }

  check(profile: RequestReplyProfile, format: { allCounts?: boolean } = {}): { result: CheckResult; judgement: Judgement; summary: string } {
    const result = checkHistory(this.history.events(), {
      callBound: clientCallBound(this.timing),
      recoveryBound: recoveryBound(this.timing),
    });
    const judgement = judge(result, profile);
    this.lastCheck = { profile, result, judgement };
    return { result, judgement, summary: formatCheckResult(result, profile, format) };
  }

  /** Judges the pub/sub events of the history (puts, subscriptions, deliveries) against `profile`. */
  checkPubSub(profile: PubSubProfile = 'pubsub-exactly-once', options: PubSubCheckOptions = {}): { result: PubSubCheckResult; judgement: Judgement; summary: string } {
    const result = checkPubSub(this.history.events(), options);
    const judgement = judgePubSub(result, profile);
    this.lastCheck = { profile, result, judgement };
    return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatPubSubResult(result)}` };
  }

  /** Stops every node and seals the history. Safe to call twice; never throws for a node that is already gone. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const workload of this.workloads) {
      workload.stop();
      workload.detach();
    }
    try {
      await this.links?.healAll();
      await this.runtime.shutdown();
      await this.network?.close();
    } finally {
      this.monitor.stop();
      this.cluster.seal();
      this.pubsub.seal();
      this.history.close();
    }
  }
}
