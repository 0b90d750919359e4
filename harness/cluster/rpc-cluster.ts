import path from 'node:path';
import type { HistoryRecorder } from '../history/recorder';
import type { Implementation } from '../implementation/implementation';
import type { NodeHandle } from '../runtime/node-handle';
import type { Runtime } from '../runtime/runtime';
import type { ProxiedNetwork } from '../network/proxied-network';
import { startNumbered } from './numbered-nodes';
import { livenessPeriod, type Timing } from './timing';
import { waitFor } from '../util/wait-for';
import { askMmi } from '../probe/mdp-probe';
import { MMI_SERVICE } from '../../reference/mdp/mmi';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../util/time-scale';

/**
 * A request-reply system under test: one broker, workers and client drivers, started through a
 * runtime from an implementation's recipes. It turns worker reports into exec events in the
 * history and knows which jobs each worker holds, so faults can say what they hit.
 */
type ExecutionKind = 'exec-start' | 'exec-end';
type ExecutionListener = (kind: ExecutionKind, worker: string, job: string) => void;

export class RpcCluster {
  broker?: NodeHandle;
  readonly workers: NodeHandle[] = [];
  readonly clients: NodeHandle[] = [];
  /** How the harness reaches the broker, and how other nodes do (the same on one host, not across containers). */
  private brokerBind?: string;
  private brokerPeer?: string;
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly executedBy = new Map<string, number>();
  /** Called on every exec-start and exec-end as it is recorded: how a fault can strike at that moment. */
  private readonly executionListeners = new Set<ExecutionListener>();
  /** Set at teardown: reports that straggle in from dying nodes are no longer part of the history. */
  private sealed = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly implementation: Implementation,
    readonly timing: Timing,
    private readonly history: HistoryRecorder,
    /** Per-node state directories (a durable broker's journal) live under it. */
    private readonly stateDir: string,
    /** Without a network, nodes connect to each other directly (no link faults possible). */
    private readonly network?: ProxiedNetwork,
  ) {}

  get nodes(): NodeHandle[] {
    return [...(this.broker ? [this.broker] : []), ...this.workers, ...this.clients];
  }

  node(name: string): NodeHandle {
    const found = this.nodes.find((node) => node.name === name);
    if (!found) throw new Error(`no node named "${name}" (nodes: ${this.nodes.map((n) => n.name).join(', ') || 'none'})`);
    return found;
  }

  /** The broker's own address: for harness probes, which are instruments, not nodes under test. */
  get brokerEndpoint(): string {
    if (!this.brokerBind) throw new Error('start the broker before the nodes that connect to it');
    return this.brokerBind;
  }

  /** The address a node uses to reach the broker: its own link's proxy when the network is proxied. */
  async brokerAddressFor(nodeName: string): Promise<string> {
    if (!this.brokerPeer) throw new Error('start the broker before the nodes that connect to it');
    if (!this.network) return this.brokerPeer;
    return (await this.network.link(nodeName, this.broker?.name ?? 'broker', this.brokerPeer)).endpoint;
  }

  async startBroker(name = 'broker'): Promise<NodeHandle> {
    const port = await this.runtime.allocatePort(name);
    this.brokerBind = await this.runtime.harnessEndpoint(name, port);
    this.brokerPeer = await this.runtime.peerEndpoint(name, port);
    const stateDir = this.runtime.stateDir(name, path.join(this.stateDir, name));
    this.broker = await this.runtime.start(this.implementation.broker({ name, bind: this.runtime.bindEndpoint(name, port), timing: this.timing, stateDir }));
    return this.broker;
  }

  /** Starts workers and waits until the broker knows their service, so later steps see them registered. */
  async startWorkers(count: number, service = 'echo', workMs = this.timing.workMs): Promise<NodeHandle[]> {
    const started = await startNumbered('worker', this.workers.length, count, (name) => this.startWorker(name, service, workMs));
    await this.waitForService(service);
    return started;
  }

  /**
   * A worker reports ready once it has sent READY, which may not have reached the broker yet. Asks
   * 8/MMI until the service is known (bounded); a broker without MMI (501) is not waited for.
   */
  async waitForService(service: string, timeoutMs = 2 * livenessPeriod(this.timing) + scaled(2_000)): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      const answer = await askMmi(this.brokerEndpoint, MMI_SERVICE, service, Math.max(50, Math.min(500, remaining)));
      if (answer === '200' || answer === '501') return;
      if (Date.now() >= deadline) throw new Error(`the broker did not know service "${service}" within ${timeoutMs} ms of its workers starting (8/MMI answered ${answer ?? 'nothing'})`);
      await sleep(this.timing.heartbeatInterval / 5);
    }
  }

  async startWorker(name: string, service = 'echo', workMs = this.timing.workMs): Promise<NodeHandle> {
    const worker = await this.runtime.start(
      this.implementation.worker({ name, broker: await this.brokerAddressFor(name), service, workMs, timing: this.timing }),
    );
    this.trackExecutions(worker);
    this.workers.push(worker);
    return worker;
  }

  async startClients(count: number): Promise<NodeHandle[]> {
    const started = await startNumbered('client', this.clients.length, count, async (name) => {
      const client = await this.runtime.start(this.implementation.client({ name, broker: await this.brokerAddressFor(name), timing: this.timing }));
      this.recordOutcomes(client);
      return client;
    });
    this.clients.push(...started);
    return started;
  }

  /** Stops recording node reports: called once the scenario's history is final. */
  seal(): void {
    this.sealed = true;
  }

  /** Jobs a worker has started and not finished. */
  jobsInFlightOn(worker: string): string[] {
    return [...(this.inFlight.get(worker) ?? [])];
  }

  /** Calls invoked and not yet returned, of one client or of all. */
  openCalls(client?: string): string[] {
    const open = new Set<string>();
    for (const event of this.history.events()) {
      if (event.type === 'invoke' && (client === undefined || event.process === client)) open.add(event.job);
      else if (event.type === 'ok' || event.type === 'fail' || event.type === 'info') open.delete(event.job);
    }
    return [...open];
  }

  /** How many jobs a worker has finished so far. */
  executionsBy(worker: string): number {
    return this.executedBy.get(worker) ?? 0;
  }

  /** Waits until some worker (of those given, or any) holds a job; resolves with that worker. */
  async waitForWorkerHoldingJob(timeoutMs: number, among: NodeHandle[] = this.workers): Promise<NodeHandle> {
    let holder: NodeHandle | undefined;
    await waitFor(
      () => {
        holder = among.find((worker) => worker.running && !worker.frozen && this.jobsInFlightOn(worker.name).length > 0);
        return holder !== undefined;
      },
      { timeoutMs, what: 'a worker to hold a job' },
    );
    return holder!;
  }

  /**
   * Resolves on the next exec-end (of `job`, if given), as soon as the worker reports it: the moment
   * its result is on its way to the broker. Rejects after `timeoutMs`.
   */
  nextExecEnd(timeoutMs: number, job?: string): Promise<{ worker: string; job: string }> {
    return this.nextExecution('exec-end', timeoutMs, (candidate) => job === undefined || candidate === job, job === undefined ? 'no job finished' : `job ${job} did not finish`);
  }

  /** Resolves as soon as a worker reports starting a job that `matches`: the request is past the broker. */
  nextExecStart(timeoutMs: number, matches: (job: string) => boolean, what = 'no matching job started'): Promise<{ worker: string; job: string }> {
    return this.nextExecution('exec-start', timeoutMs, matches, what);
  }

  private nextExecution(kind: ExecutionKind, timeoutMs: number, matches: (job: string) => boolean, what: string): Promise<{ worker: string; job: string }> {
    return new Promise((resolve, reject) => {
      const listener: ExecutionListener = (reported, worker, job) => {
        if (reported !== kind || !matches(job)) return;
        this.executionListeners.delete(listener);
        clearTimeout(timer);
        resolve({ worker, job });
      };
      const timer = setTimeout(() => {
        this.executionListeners.delete(listener);
        reject(new Error(`${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.executionListeners.add(listener);
    });
  }

  private trackExecutions(worker: NodeHandle): void {
    worker.onReport((report) => {
      if (this.sealed || (report.type !== 'exec-start' && report.type !== 'exec-end')) return;
      this.history.record({ type: report.type, worker: report.worker, job: report.job });
      const jobs = this.inFlight.get(report.worker) ?? new Set<string>();
      this.inFlight.set(report.worker, jobs);
      if (report.type === 'exec-start') jobs.add(report.job);
      else {
        jobs.delete(report.job);
        this.executedBy.set(report.worker, this.executionsBy(report.worker) + 1);
      }
      for (const listener of [...this.executionListeners]) listener(report.type, report.worker, report.job);
    });
  }

  /** Every outcome a client reports goes into the history, also ones nobody asked for (the checkers judge them). */
  private recordOutcomes(client: NodeHandle): void {
    client.onReport((report) => {
      if (this.sealed) return;
      if (report.type === 'ok' || report.type === 'fail' || report.type === 'info') this.history.record({ ...report, process: client.name });
    });
  }

  /** A killed worker's unfinished jobs are no longer in flight on it. */
  forgetInFlight(worker: string): void {
    this.inFlight.delete(worker);
  }
}
