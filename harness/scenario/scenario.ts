import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { RpcCluster } from '../cluster/rpc-cluster';
import { SCENARIO_TIMING, clientCallBound, recoveryBound, type Timing } from '../cluster/timing';
import { checkHistory, formatCheckResult, judge, type CheckResult, type Judgement, type Profile } from '../checker';
import { HistoryRecorder } from '../history/recorder';
import type { Implementation } from '../implementation/implementation';
import { referenceImplementation } from '../implementation/reference';
import { NodeNemesis } from '../nemesis/node-nemesis';
import { LinkNemesis } from '../nemesis/link-nemesis';
import { ProxiedNetwork } from '../network/proxied-network';
import { ProcessRuntime } from '../runtime/process-runtime';
import type { Runtime } from '../runtime/runtime';
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
}

const RUN_ID = process.env.KEELHAUL_RUN_ID ?? new Date().toISOString().replace(/[:.]/g, '-');

/** `reports/<run id>`, or KEELHAUL_REPORT_DIR when a front end (keelhaul verify) chose the folder. */
export function defaultReportDir(): string {
  return path.resolve(process.env.KEELHAUL_REPORT_DIR ?? path.join('reports', RUN_ID));
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
  readonly nemesis: NodeNemesis;
  /** Present when links are proxied: link faults act through it. */
  readonly network?: ProxiedNetwork;
  readonly links?: LinkNemesis;
  /** The last check a step made, so a report can show what it found. */
  lastCheck?: { profile: Profile; result: CheckResult; judgement: Judgement };
  private readonly workloads: RpcWorkload[] = [];
  private tornDown = false;

  /** Starts (or, with TOXIPROXY_URL, connects to) the fault proxy unless `proxied` is false. */
  static async create(options: ScenarioOptions): Promise<Scenario> {
    const dir = Scenario.claimDir(options);
    const network = options.proxied === false ? undefined : await ProxiedNetwork.create(path.join(dir, 'logs', 'fault-proxy.log'));
    return new Scenario(options, dir, network);
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

  private constructor(options: ScenarioOptions, dir: string, network?: ProxiedNetwork) {
    this.dir = dir;
    this.timing = { ...SCENARIO_TIMING, ...options.timing };
    this.history = new HistoryRecorder({ file: path.join(this.dir, 'history.jsonl') });
    this.runtime = new ProcessRuntime({ logDir: path.join(this.dir, 'logs') });
    this.network = network;
    this.cluster = new RpcCluster(this.runtime, options.implementation ?? referenceImplementation, this.timing, this.history, path.join(dir, 'state'), network);
    this.nemesis = new NodeNemesis(this.cluster, this.history);
    if (network) this.links = new LinkNemesis(network, this.cluster, this.history);
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
    return Math.min(60_000, 5_000 + rounds * (this.timing.workMs + 50) + 2 * clientCallBound(this.timing));
  }

  check(profile: Profile, format: { allCounts?: boolean } = {}): { result: CheckResult; judgement: Judgement; summary: string } {
    const result = checkHistory(this.history.events(), {
      callBound: clientCallBound(this.timing),
      recoveryBound: recoveryBound(this.timing),
    });
    const judgement = judge(result, profile);
    this.lastCheck = { profile, result, judgement };
    return { result, judgement, summary: formatCheckResult(result, profile, format) };
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
      this.cluster.seal();
      this.history.close();
    }
  }
}
