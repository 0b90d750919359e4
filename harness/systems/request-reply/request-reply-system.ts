import { CLUSTER_KEY_NAME, securityParam, type NodeSecurity, type SecurityPosition } from '../node-security';
import path from 'node:path';
import type { NodeHandle } from '../../runtime/node-handle';
import { REQUEST_REPLY_PROFILES } from '../../checker/profile';
import { startNumbered } from '../numbered-nodes';
import type { KhrMode, RequestReplyStarters } from './roles';
import { StarSystem } from '../star-system';
import type { FaultScope, ReplicaSet, System, SystemDefinition, SystemHit } from '../system';
import { BrokerReplicas } from './broker-replicas';
import { clientCallBound, livenessPeriod } from '../../timing/timing';
import { waitFor } from '../../util/wait-for';
import { askService } from '../../probe/mdp-probe';
import { RawPeer } from '../../probe/raw-peer';
import { StandInBroker, type StandInBrokerScript } from '../../probe/stand-in-broker';
import { Inconclusive } from '../../verdict/inconclusive';
import { encodeClientRequest } from '../../../reference/mdp/codec';
import { MMI_SERVICE } from '../../../reference/mdp/mmi';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../../util/time-scale';
import { performance } from 'node:perf_hooks';
import { RpcWorkload, type RpcWorkloadOptions } from './workload';
import { OpenLoopWorkload, type OpenLoopWorkloadOptions } from './open-loop-workload';
import { MajordomoClient } from '../../../reference/client';
import type { KillAnswerEvent, KillInfoEvent, OverloadDeclaration } from '../../history/event';
import type { ClassReport, KillCommand, OrphanReport } from '../../../reference/drivers/protocol';
import type { WorkerMode } from '../../../reference/control/worker-mode';
import { checkClientReport, checkOrphanReport, checkWorkerReport, clientEvent, isClientReport, isOrphanReport, isWorkerReport, orphanEvent, classEvent, checkClassReport, isClassReport, replicaStampOf } from './driver-reports';
import { declaredServicePolicies } from './declared-policies';

type ExecutionKind = 'exec-start' | 'exec-end' | 'exec-killed';
type ExecutionListener = (kind: ExecutionKind, worker: string, job: string) => void;
/** What came back for a kill: the answer as recorded, or the problem with a malformed one. */
type KillAnswerListener = (process: string, job: string, answer: { event: KillAnswerEvent | KillInfoEvent } | { problem: string }) => void;

/**
 * A request-reply system under test: one broker, workers and client drivers, started through a
 * runtime from an implementation's recipes. It turns worker reports into exec events in the
 * history and knows which jobs each worker holds, so faults can say what they hit.
 */
export class RequestReplySystem extends StarSystem<RequestReplyStarters> implements System {
  readonly name = 'request-reply';
  broker?: NodeHandle;
  readonly workers: NodeHandle[] = [];
  readonly clients: NodeHandle[] = [];
  /** How the harness reaches the broker, and how other nodes do (the same on one host, not across containers). */
  private brokerBind?: string;
  private brokerPeer?: string;
  /** KHR/1 asked of (or refused to) the workers and clients started from now on; absent: as their endpoints say. */
  private peerKhr?: KhrMode;
  private readonly inFlight = new Map<string, Set<string>>();
  /** Each worker's instance id from its ready report: KHC/1 names a worker to drain or stop by it. */
  private readonly instances = new Map<string, string>();
  private readonly executedBy = new Map<string, number>();
  /** Called on every exec-start and exec-end as it is recorded: how a fault can strike at that moment. */
  private readonly executionListeners = new Set<ExecutionListener>();
  private readonly killAnswerListeners = new Set<KillAnswerListener>();
  /** Driver reports of a known type with a malformed field: never recorded, kept here to be shown. */
  private readonly malformed: string[] = [];
  private policiesRecorded = false;
  /** The capacity and recovery declared per service (declareOverload), recorded with its service-policy. */
  private readonly overloads = new Map<string, OverloadDeclaration>();
  /** Each started worker's service and time per job: the capacity an overload is declared against. */
  private readonly workerLoads = new Map<string, { service: string; workMs: number }>();
  private readonly workloads: (RpcWorkload | OpenLoopWorkload)[] = [];
  /** Stand-in clients of the harness (sendStandInRequest): open until teardown, so a reply has somewhere to go. */
  private readonly standIns: RawPeer[] = [];
  /** The harness's own scripted broker, when the scenario tests a worker or client against it instead of a broker under test. */
  standInBroker?: StandInBroker;

  /** A replicated broker (KHR/1), when the scenario started a cluster instead of one broker. */
  replicas?: BrokerReplicas;

  protected shape() {
    // A cluster's first replica stands as the hub for what asks for one; every replica is a node.
    const [first, ...rest] = this.replicas?.nodes ?? [];
    return { hub: this.broker ?? first, peers: this.workers, others: [...rest, ...this.clients] };
  }

  /** The replicas as the nemesis sees them (faults on the leader, partitions shaped over the cluster). */
  get replicaSet(): ReplicaSet | undefined {
    const replicas = this.replicas;
    if (replicas === undefined) return undefined;
    return {
      names: replicas.names,
      others: [...this.workers, ...this.clients].map((node) => node.name),
      leader: (timeoutMs) => replicas.leader(timeoutMs),
    };
  }

  /** One more replica of the cluster, started with `--join` (BrokerReplicas.startJoining): its member for `cluster add`. */
  async startJoiningReplica(): Promise<{ node: NodeHandle; member: string }> {
    if (this.replicas === undefined) throw new Error('start a broker cluster before adding a replica to it');
    const joining = await this.replicas.startJoining();
    this.watchReplica(joining.node);
    return joining;
  }

  /**
   * Starts a replicated broker of `count` replicas (`broker-1` … `broker-N`) instead of one broker:
   * workers and clients started after it get every replica's endpoint through their own links.
   */
  async startBrokerCluster(count: number): Promise<NodeHandle[]> {
    if (this.broker !== undefined) throw new Error('a single broker is already started: a scenario has one broker or one cluster');
    this.replicas ??= new BrokerReplicas(this.context);
    const nodes = await this.replicas.start(count);
    for (const node of nodes) this.watchReplica(node);
    return nodes;
  }

  private watchReplica(node: NodeHandle): void {
    node.onReport((raw) => {
      if (!this.sealed && isOrphanReport(raw)) this.recordOrphan(raw, { broker: node.name });
    });
  }

  /**
   * A running broker or worker always carries traffic (heartbeats flow both ways all the time); a
   * client only while it has calls open. A worker holds the jobs it started, the broker every call
   * open, a client its own open calls. On links, the broker's end carries only what its peer sends.
   */
  faultEffect(nodes: readonly string[], scope: FaultScope): SystemHit {
    const named = new Set(nodes);
    const jobsInFlight: string[] = [];
    let hit = false;
    if (scope === 'node' && this.broker && named.has(this.broker.name)) {
      hit ||= this.broker.running;
      jobsInFlight.push(...this.openCalls());
    }
    // Replicas heartbeat and replicate among themselves all the time: a running one always carries traffic, on its links too.
    for (const replica of this.replicas?.nodes ?? []) {
      if (!named.has(replica.name)) continue;
      hit ||= replica.running;
      if (scope === 'node') jobsInFlight.push(...this.openCalls());
    }
    for (const worker of this.workers) {
      if (!named.has(worker.name)) continue;
      // A worker that is down carries nothing over its links; killing or freezing it still acts on the node.
      if (worker.running) hit = true;
      if (scope === 'node' || worker.running) jobsInFlight.push(...this.jobsInFlightOn(worker.name));
    }
    for (const client of this.clients) {
      if (!named.has(client.name)) continue;
      const open = this.openCalls(client.name);
      if (open.length > 0 && (scope === 'links' || client.running)) hit = true;
      jobsInFlight.push(...open);
    }
    return { hit, jobsInFlight };
  }

  /** The broker's own address: for harness probes, which are instruments, not nodes under test. */
  get brokerEndpoint(): string {
    const first = this.replicas?.harnessEndpoints[0];
    if (first !== undefined) return first;
    if (!this.brokerBind) throw new Error('start the broker before the nodes that connect to it');
    return this.brokerBind;
  }

  /** The address a node uses to reach the broker: its own link's proxy when the network is proxied; for a cluster, every replica's, comma-separated. */
  async brokerAddressFor(nodeName: string): Promise<string> {
    if (this.replicas !== undefined) return this.replicas.addressesFor(nodeName);
    if (!this.brokerPeer) throw new Error('start the broker before the nodes that connect to it');
    // A stand-in broker records each connection's routing id: nothing may stand between it and the peer.
    if (!this.context.network || this.standInBroker) return this.brokerPeer;
    return (await this.context.network.link(nodeName, this.broker?.name ?? 'broker', this.brokerPeer)).endpoint;
  }

  /** For a cluster: how a worker or client reaches each replica by node id (BrokerReplicas.routesFor); nothing for one broker. */
  private async brokerRoutesFor(nodeName: string): Promise<{ brokerRoutes?: string }> {
    return this.replicas === undefined ? {} : { brokerRoutes: await this.replicas.routesFor(nodeName) };
  }

  /**
   * Workers and clients started from now on speak KHR/1 whatever their endpoints (`on`: KHR/1 peers of
   * a single broker) or only KHX/1 (`off`: peers of a cluster that do not speak KHR/1): KHR/1, "Degrading".
   */
  speakKhr(mode: KhrMode): void {
    this.peerKhr = mode;
  }

  private khrParam(): { khr?: KhrMode } {
    return this.peerKhr === undefined ? {} : { khr: this.peerKhr };
  }

  /** A node's keys in a secure run (none otherwise): the broker is every peer's server. */
  private securityFor(name: string, position: SecurityPosition): { security?: NodeSecurity } {
    return securityParam(this.context.security, name, position, position === 'server' ? name : this.serverKeyName);
  }

  /** Whose public key peers know as their server's: the broker's, or a cluster's shared one (every replica holds it). */
  private get serverKeyName(): string {
    return this.replicas !== undefined ? CLUSTER_KEY_NAME : (this.broker?.name ?? 'broker');
  }

  async startBroker(name = 'broker'): Promise<NodeHandle> {
    const port = await this.context.runtime.allocatePort(name);
    this.brokerBind = await this.context.runtime.harnessEndpoint(name, port);
    this.brokerPeer = await this.context.runtime.peerEndpoint(name, port);
    const stateDir = this.context.runtime.stateDir(name, path.join(this.context.stateDir, name));
    this.broker = await this.context.runtime.start(this.context.implementation.broker({ name, bind: this.context.runtime.bindEndpoint(name, port), timing: this.timing, stateDir, ...this.securityFor(name, 'server') }));
    // A broker may report the REPLYs it dropped as orphans (the reference does): counted, never judged.
    this.broker.onReport((raw) => {
      if (!this.sealed && isOrphanReport(raw)) this.recordOrphan(raw, { broker: name });
    });
    return this.broker;
  }

  /**
   * The harness's stand-in broker in the broker's place (harness/probe/stand-in-broker.ts): workers and
   * clients started after it connect to it, directly (no fault proxy), so the worker and client roles of
   * an implementation are tested without a broker under test.
   */
  async startStandInBroker(script: StandInBrokerScript, name = 'stand-in-broker'): Promise<StandInBroker> {
    const port = await this.context.runtime.allocatePort(name);
    this.brokerBind = await this.context.runtime.harnessEndpoint(name, port);
    this.brokerPeer = await this.context.runtime.peerEndpoint(name, port);
    // Not the implementation's fault: the harness cannot put its stand-in where containers reach it, so nothing is judged.
    if (this.brokerBind !== this.brokerPeer) throw new Inconclusive(`a stand-in broker needs its peers on this host (the process runtime): they would reach it at ${this.brokerPeer}, the harness at ${this.brokerBind}`);
    this.standInBroker = await StandInBroker.bind(this.brokerBind, script);
    return this.standInBroker;
  }

  /** Starts workers and waits until the broker knows their service, so later steps see them registered. */
  async startWorkers(count: number, service = 'echo', workMs = this.timing.workMs, mode?: WorkerMode): Promise<NodeHandle[]> {
    const started = await startNumbered('worker', this.workers.length, count, (name) => this.startWorker(name, service, workMs, mode));
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
      const wait = Math.max(50, Math.min(500, remaining));
      // In a secure run the harness asks as its own principal; a broker that takes no keys is asked without.
      const security = this.context.security?.harnessPeer(this.serverKeyName);
      // A cluster's followers answer 8/MMI with 503: the leader's 200 is the one that says the service is known.
      const endpoints = this.replicas?.harnessEndpoints ?? [this.brokerEndpoint];
      const answers = await Promise.all(endpoints.map(async (endpoint) => (await askService(endpoint, MMI_SERVICE, service, wait, security)) ?? (security !== undefined ? await askService(endpoint, MMI_SERVICE, service, wait) : undefined)));
      const answer = answers.find((each) => each === '200' || each === '501') ?? answers.find((each) => each !== undefined);
      if (answer === '200' || answer === '501') return;
      if (Date.now() >= deadline) throw new Error(`the broker did not know service "${service}" within ${timeoutMs} ms of its workers starting (8/MMI answered ${answer ?? 'nothing'})`);
      await sleep(this.timing.heartbeatInterval / 5);
    }
  }

  async startWorker(name: string, service = 'echo', workMs = this.timing.workMs, mode?: WorkerMode): Promise<NodeHandle> {
    const worker = await this.context.runtime.start(
      this.context.implementation.worker({ name, broker: await this.brokerAddressFor(name), ...(await this.brokerRoutesFor(name)), ...this.khrParam(), service, workMs, mode, timing: this.timing, ...this.securityFor(name, 'peer') }),
    );
    this.trackExecutions(worker);
    this.workers.push(worker);
    this.workerLoads.set(name, { service, workMs });
    return worker;
  }

  async startClients(count: number): Promise<NodeHandle[]> {
    this.recordDeclaredPolicies();
    const started = await startNumbered('client', this.clients.length, count, async (name) => {
      const client = await this.context.runtime.start(this.context.implementation.client({ name, broker: await this.brokerAddressFor(name), ...(await this.brokerRoutesFor(name)), ...this.khrParam(), timing: this.timing, ...this.securityFor(name, 'peer') }));
      this.recordOutcomes(client);
      return client;
    });
    this.clients.push(...started);
    return started;
  }

  /** Once, before the first client: the declared classes of service and retry policy, which the retry-policy checks judge by. */
  private recordDeclaredPolicies(): void {
    if (this.policiesRecorded) return;
    this.policiesRecorded = true;
    for (const event of declaredServicePolicies(this.timing, this.overloads)) this.context.history.record(event);
  }

  /**
   * Declares that `service`'s goodput must come back to `fraction` of what its workers started so far can
   * do (one job per workMs each) within `recoverWithinMs` of the last fault's end (goodput-not-recovered).
   * It goes into the service's `service-policy`, recorded before the first client: so declare it after
   * the workers and before the clients.
   */
  declareOverload(service: string, { fraction, recoverWithinMs, windowMs }: Omit<OverloadDeclaration, 'capacityPerSecond'>): OverloadDeclaration {
    if (this.policiesRecorded) throw new Error(`overload for "${service}" declared after the first client started: the service policies are already recorded; declare it before the clients`);
    const loads = [...this.workerLoads.values()].filter((load) => load.service === service);
    if (loads.length === 0) throw new Error(`overload for "${service}" declared, but no worker serving it was started: its capacity would be 0`);
    if (loads.some((load) => load.workMs <= 0)) throw new Error(`overload for "${service}" declared with workers whose jobs take no time: their capacity is not a number`);
    const declaration = { capacityPerSecond: loads.reduce((sum, load) => sum + 1_000 / load.workMs, 0), recoverWithinMs, fraction, ...(windowMs !== undefined ? { windowMs } : {}) };
    this.overloads.set(service, declaration);
    return declaration;
  }

  /** Jobs submitted so far (invoke events), by any workload. */
  invoked(): number {
    return this.context.history.events().filter((event) => event.type === 'invoke').length;
  }

  /** Starts a workload on all clients started so far. */
  startWorkload(options: RpcWorkloadOptions): RpcWorkload {
    const workload = new RpcWorkload(this.clients, this.context.history, options).start();
    this.workloads.push(workload);
    return workload;
  }

  /** Starts an open-loop workload on all clients started so far: jobs offered at a fixed rate whatever the system does. */
  startOpenLoop(options: OpenLoopWorkloadOptions): OpenLoopWorkload {
    const workload = new OpenLoopWorkload(this.clients, this.context.history, options).start();
    this.workloads.push(workload);
    return workload;
  }

  /** Stops every workload and stops listening to its clients, and closes the stand-in clients: teardown, before the nodes go. */
  stopLoad(): void {
    for (const workload of this.workloads) {
      workload.stop();
      workload.detach();
    }
    for (const peer of this.standIns.splice(0)) peer.close();
    this.standInBroker?.close();
  }

  /**
   * One plain 7/MDP request to `service` from a stand-in client of the harness (not a node under
   * test, and it asks no 8/MMI first, so the request reaches the broker whether or not anyone serves
   * the service). Resolves with the job name its body carries, which the worker driver reports.
   */
  async sendStandInRequest(service: string): Promise<string> {
    const job = `stand-in-${this.standIns.length + 1}`;
    const peer = new RawPeer(this.brokerEndpoint);
    this.standIns.push(peer);
    await peer.send(encodeClientRequest(service, [Buffer.from(job)]));
    return job;
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

  /** Jobs a worker has started and not finished. */
  jobsInFlightOn(worker: string): string[] {
    return [...(this.inFlight.get(worker) ?? [])];
  }

  /** Calls invoked and not yet returned, of one client or of all. */
  openCalls(client?: string): string[] {
    const open = new Set<string>();
    for (const event of this.context.history.events()) {
      if (event.type === 'invoke' && (client === undefined || event.process === client)) open.add(event.job);
      // A best-effort call is over once sent or dropped: nothing answers it.
      else if (event.type === 'ok' || event.type === 'fail' || event.type === 'info' || event.type === 'sent' || event.type === 'dropped') open.delete(event.job);
    }
    return [...open];
  }

  /**
   * KHC/1 operator requests, sent by the harness itself straight to the broker (an instrument, like the
   * probes): `worker` finishes its job and takes no more (DRAIN), or also leaves (STOP). Resolves once
   * the broker said `ok`; rejects if it does not know the worker or gives no definite answer in time.
   */
  drainWorker(worker: string): Promise<void> {
    return this.controlWorker('DRAIN', worker);
  }

  stopWorker(worker: string): Promise<void> {
    return this.controlWorker('STOP', worker);
  }

  private async controlWorker(verb: 'DRAIN' | 'STOP', worker: string): Promise<void> {
    const instance = this.instances.get(worker);
    if (instance === undefined) throw new Error(`${worker} reported no instance id when it was ready: it cannot be named to the broker (docs/drivers.md, "Control")`);
    const { clientTimeout, clientAttempts, backoffInitial, backoffMax } = this.timing;
    const operator = new MajordomoClient({ broker: this.brokerEndpoint, timeout: clientTimeout, attempts: clientAttempts, backoffInitial, backoffMax, checkService: false, serviceCheckTtl: 0 });
    try {
      const outcome = verb === 'DRAIN' ? await operator.drainWorker(instance) : await operator.stopWorker(instance);
      if (outcome !== 'ok') throw new Error(`the broker answered ${verb} ${worker} (instance ${instance}) with "${outcome}"`);
    } finally {
      operator.close();
    }
  }

  /** The client that submitted `job` (the owner of its id: the one a secure broker lets kill it). */
  submitterOf(job: string): string {
    const invoke = this.context.history.events().find((event) => event.type === 'invoke' && event.job === job);
    if (invoke?.type !== 'invoke') throw new Error(`${job} was never submitted`);
    return invoke.process;
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
    worker.onReport((raw) => {
      if (raw.type === 'ready' && typeof raw.instance === 'string') this.instances.set(worker.name, raw.instance);
      if (!this.sealed && isOrphanReport(raw)) return this.recordOrphan(raw, { worker: worker.name });
      if (this.sealed || !isWorkerReport(raw)) return;
      const checked = checkWorkerReport(raw);
      if ('problem' in checked) return this.reportMalformed(worker.name, checked.problem);
      const { report } = checked;
      this.context.history.record({ type: report.type, worker: report.worker, job: report.job, ...(report.type === 'exec-start' ? replicaStampOf(report) : {}) });
      const jobs = this.inFlight.get(report.worker) ?? new Set<string>();
      this.inFlight.set(report.worker, jobs);
      if (report.type === 'exec-start') jobs.add(report.job);
      else {
        jobs.delete(report.job);
        // A killed handler committed nothing: it is no execution.
        if (report.type === 'exec-end') this.executedBy.set(report.worker, this.executionsBy(report.worker) + 1);
      }
      for (const listener of [...this.executionListeners]) listener(report.type, report.worker, report.job);
    });
  }

  /** Every outcome a client reports goes into the history, also ones nobody asked for (the checkers judge them). */
  private recordOutcomes(client: NodeHandle): void {
    client.onReport((raw) => {
      if (!this.sealed && isOrphanReport(raw)) return this.recordOrphan(raw, { process: client.name });
      if (!this.sealed && isClassReport(raw)) return this.recordClassReport(raw, client.name);
      if (this.sealed || !isClientReport(raw)) return;
      const checked = checkClientReport(raw);
      if ('problem' in checked) {
        this.reportMalformed(client.name, checked.problem);
        if (raw.type === 'kill-answer' || raw.type === 'kill-info') for (const listener of [...this.killAnswerListeners]) listener(client.name, String(raw.job), { problem: checked.problem });
        return;
      }
      const event = this.context.history.record(clientEvent(checked.report, client.name));
      if (event.type !== 'kill-answer' && event.type !== 'kill-info') return;
      for (const listener of [...this.killAnswerListeners]) listener(client.name, event.job, { event });
    });
  }

  /** An orphan a node dropped goes into the history as its own event: counted, never an answer. */
  private recordOrphan(raw: OrphanReport, node: { process: string } | { worker: string } | { broker: string }): void {
    const checked = checkOrphanReport(raw);
    if ('problem' in checked) return this.reportMalformed('process' in node ? node.process : 'worker' in node ? node.worker : node.broker, checked.problem);
    this.context.history.record(orphanEvent(checked.report, node));
  }

  /** A call's attempt, failed attempt, or best-effort send goes into the history for the retry-policy checks. */
  private recordClassReport(raw: ClassReport, process: string): void {
    const checked = checkClassReport(raw);
    if ('problem' in checked) return this.reportMalformed(process, checked.problem);
    this.context.history.record(classEvent(checked.report, process));
  }

  private reportMalformed(node: string, problem: string): void {
    this.malformed.push(`${node}: ${problem}`);
    process.stderr.write(`keelhaul: ${node} sent a malformed report, not recorded: ${problem}\n`);
  }

  /** The malformed driver reports so far (`node: problem`), none of them recorded: a scenario can show them or fail on them. */
  malformedReports(): readonly string[] {
    return this.malformed;
  }

  /**
   * Asks client `clientName` to kill `job` (KHC/1): records `kill` as it writes
   * `{"type":"kill","job":...}` to the driver's stdin, and resolves with the answer the driver reports
   * for that job (`kill-answer`, or `kill-info` when it got no definite answer), as recorded. Rejects
   * when no answer comes within `timeoutMs` (the history keeps the kill unanswered: the checker's
   * `kill-unanswered`) or the answer is malformed.
   */
  kill(clientName: string, job: string, timeoutMs: number = clientCallBound(this.timing)): Promise<KillAnswerEvent | KillInfoEvent> {
    const client = this.clients.find((node) => node.name === clientName);
    if (client === undefined) return Promise.reject(new Error(`no client named "${clientName}" (clients: ${this.clients.map((node) => node.name).join(', ') || 'none'})`));
    return new Promise((resolve, reject) => {
      const listener: KillAnswerListener = (from, answered, answer) => {
        if (from !== clientName || answered !== job) return;
        settle();
        if ('event' in answer) resolve(answer.event);
        else reject(new Error(`${clientName} answered the kill of ${job} with a malformed report: ${answer.problem}`));
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`${clientName} reported no answer to the kill of ${job} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.killAnswerListeners.delete(listener);
      };
      this.killAnswerListeners.add(listener);
      this.context.history.record({ type: 'kill', process: clientName, job });
      const command: KillCommand = { type: 'kill', job };
      client.send(command);
    });
  }

  /** A killed worker's unfinished jobs are no longer in flight on it. */
  forgetInFlight(worker: string): void {
    this.inFlight.delete(worker);
  }
}

export const requestReplySystem: SystemDefinition<RequestReplySystem, RequestReplyStarters> = {
  name: 'request-reply',
  profiles: REQUEST_REPLY_PROFILES,
  create: (context) => new RequestReplySystem(context),
};
