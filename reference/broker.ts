import {
  commandName,
  decodeAtBroker,
  encodeClientReply,
  encodeDisconnect,
  encodeHeartbeat,
  encodeJobReply,
  encodeRecorded,
  encodeRequest,
  encodeTimedRequest,
  jobIdProblem,
  KHT_EXTENSION,
  KHR_EXTENSION,
  KHX_EXTENSION,
  KhxStatus,
  khrReplyOf,
  encodeTerm,
  MdpDecodeError,
  printable,
  WorkerCommand,
  type Frame,
} from './mdp/codec';
import { answerMmi, isMmiService } from './mdp/mmi';
import {
  encodeControl,
  encodeControlWelcome,
  encodeInspectAnswer,
  encodeKillAnswer,
  encodeWorkerControlAnswer,
  KHC_EXTENSION,
  type ControlAck,
  type ControlRequest,
  type KillAck,
  type Inventory,
  type KillOutcome,
} from './mdp/control-codec';
import { PendingKill } from './broker/pending-kill';
import { reconcileInventory, type HeldVerdict } from './broker/inventory-reconcile';
import { inspectBroker, inspectJob, type JobInspection } from './broker/inspect';
import { RequestAddresses } from './mdp/request-address';
import { RecordedBatches } from './mdp/recorded-batches';
import { JobStore, type JobStoreStats } from './journal/job-store';
import { isWriteRefused } from './journal/journal';
import { silentLogger, type Logger } from './util/log';
import { RouterServer } from './net/router-server';
import { decodeOrDrop } from './net/decode';
import { crashForDefect, type BrokerDefect } from './defects';
import { scopedJobKey, splitJobKey, workerAddress } from './journal/job-key';
import type { ClusterNode } from './cluster/cluster-node';
import { answerAsNonLeader, answerOperator, CLUSTER_MMI_SERVICE, khrMmiAnswer, KHR_MMI_SERVICE } from './cluster/cluster-gate';
import { startServerSecurity, type ServerSecurity, type ServerSecurityOptions } from './security/server-security';
import type { Policy, Principal } from './security/policy';
import type { Job, Service, WorkerRecord, WorkerRemoval } from './broker/model';
import { monotonicNow } from './util/monotonic-clock';
import { NO_PROCESSING_TIMEOUTS, processingTimeoutFor, type ProcessingTimeouts } from './broker/processing-timeout';
import { serviceClassOf, type ServiceClasses } from './classes/service-classes';
import { DEFAULT_TIMED_MARGIN, timedDeadline, tooLateToDispatch } from './broker/timed-jobs';

/** How many DRAIN/STOP orders the broker remembers by instance id, for workers that reconnect. */
const MAX_STANDING_ORDERS = 1000;

function orderKey(principal: Principal | undefined, instance: string | undefined): string {
  return `${principal?.key ?? ''}\n${instance ?? ''}`;
}

/** A REPLY the broker dropped because nothing waited for it any more (docs/drivers.md, "Orphans"). */
export interface BrokerOrphan {
  job: string;
  /** `late-result`: its job was answered (or is being recorded) already; `torn-down`: no request in hand has its address (failed, killed, expired, or from before a restart). */
  what: 'late-result' | 'torn-down';
  detail: string;
}

export interface BrokerOptions {
  /**
   * Called for each REPLY dropped as an orphan, after it is counted and logged: the CLI reports it on
   * stdout, so a harness records it in the history. Never an answer to anyone.
   */
  onOrphan?: (orphan: BrokerOrphan) => void;
  /** Where to bind, e.g. `tcp://127.0.0.1:5555`. */
  endpoint: string;
  /** Milliseconds between heartbeats the broker sends to each worker. */
  heartbeatInterval: number;
  /** Heartbeat periods of silence after which a worker is taken for dead. */
  heartbeatLiveness: number;
  /** Milliseconds a request may wait for a worker before the broker drops it. */
  requestExpiry: number;
  /**
   * KHX/1 job journal file. With it, accepted jobs and their results survive a crash; without it,
   * the broker still speaks KHX/1 (dedup by job id) but forgets everything when it stops.
   */
  journal?: string;
  /** Completed KHX/1 jobs are remembered (to answer retries) this long after completion, in ms. */
  retentionMs?: number;
  /** ... and at most this many of them. */
  retentionCount?: number;
  /**
   * How long a job held by a KHX/1 worker that fell silent (or by any worker before a broker
   * restart) waits before it goes to another worker, in ms: time for the first worker to come back
   * and hand in a result it may already have. Default: two liveness periods.
   */
  resultGrace?: number;
  /**
   * How long one worker may hold one job before the broker takes it back (docs/protocol.md, KHX/1
   * broker rule 9), per service or for all: a KHC/1 worker is told to kill it first. Default: off.
   */
  processingTimeouts?: ProcessingTimeouts;
  /**
   * Declared classes of service (docs/protocol.md, KHX/1 rule 10): a `best-effort` service's plain
   * requests are at most once and their replies dropped; a `give-up` service's timed jobs get a deadline
   * no later than F after they arrive. Default: every service `retry`.
   */
  serviceClasses?: ServiceClasses;
  /**
   * KHT/1: a timed job is never dispatched within this many ms of its deadline (the clocks of this
   * host's nodes are assumed to agree within it). Default DEFAULT_TIMED_MARGIN.
   */
  timedMargin?: number;
  /** fdatasync the journal before acknowledging (default true; off only for measurements). */
  fsync?: boolean;
  logger?: Logger;
  /** Seeded defects (defects.ts): only for proving the suite catches them. */
  defects?: readonly BrokerDefect[];
  /** Bounds on what peers may make the broker hold (docs/limits.md); each missing one takes its default. */
  limits?: Partial<BrokerLimits>;
  /**
   * Secure mode (docs/security.md): the broker's key pair and policy file. Peers must connect with
   * CURVE and a key the policy lists, and put the KHA/1 envelope on every message; who may register
   * and call which service is the policy's. Undefined: unauthenticated mode.
   */
  security?: Omit<ServerSecurityOptions, 'log'>;
  /**
   * Cluster mode (KHR/1, docs/protocol.md "Replicated broker"): the Raft node whose job store this
   * broker serves from. Only while it leads (and has caught up) does the broker serve jobs; otherwise
   * it redirects. Undefined: the single broker, unchanged.
   */
  cluster?: ClusterNode;
}

import { DEFAULT_BROKER_LIMITS, DEFAULT_BROKER_OPTIONS, type BrokerLimits } from './node-defaults';

export { DEFAULT_BROKER_LIMITS, DEFAULT_BROKER_OPTIONS, type BrokerLimits };

export interface BrokerStats {
  workers: number;
  queued: number;
  dispatched: number;
  replies: number;
  requeued: number;
  expiredRequests: number;
  malformed: number;
  /** Requests and READYs refused by a bound: a full service table, a peer over its quota (docs/limits.md). */
  refused: number;
  /** KHX/1 jobs given up past the job deadline. */
  givenUp: number;
  /** REPLYs from a worker the job was not dispatched to: dropped, and that worker disconnected (docs/security.md). */
  forgedReplies: number;
  /** Secure mode: READYs and requests the policy does not allow (DISCONNECT, 403, or dropped). */
  forbidden: number;
  /** Secure mode: messages without a valid KHA/1 envelope, dropped. */
  unauthenticated: number;
  /** Secure mode: messages from a key the policy no longer lists (revoked), dropped. */
  unauthorized: number;
  /** Services known now. */
  services: number;
  /** KHX/1 retries answered from the job table instead of running the job again. */
  deduplicated: number;
  /** Jobs recovered from the journal at start, pending then. */
  recovered: number;
  /** KHC/1: jobs killed on request (answered `killed`, their clients 409). */
  killed: number;
  /** Jobs a worker held past their service's processing timeout (each time it struck: a worker disabled, the job taken back or being killed). */
  processingTimeouts: number;
  /**
   * Orphans (docs/protocol.md, REPLY binding): REPLYs from the worker a request was given to that
   * arrived when nothing waited for them any more (the request answered, failed, killed, expired or torn
   * down, or another result being recorded), dropped and logged; never forwarded to a client.
   */
  orphans: number;
  /** best-effort: worker REPLYs dropped instead of forwarded (nobody waits for them). */
  bestEffortReplies: number;
  /** best-effort: requests lost with the worker that held them, never re-queued (at most once). */
  bestEffortLost: number;
  /** KHT/1: timed jobs never dispatched by their deadline (answered 410), or given up by their worker as late. */
  timedExpired: number;
  /** KHT/1: timed jobs whose holder was lost or overran its processing timeout (answered 504, never dispatched again). */
  timedGivenUp: number;
  store: JobStoreStats;
}

/**
 * A 7/MDP broker with 8/MMI and the KHX/1 exactly-once extension (docs/protocol.md). One ROUTER
 * socket serves clients and workers; heartbeats run both ways; a worker that falls silent for
 * `heartbeatLiveness` periods is removed and the job it held goes back to the head of its
 * service's queue. KHX/1 jobs are journaled before they are dispatched and their results before
 * they are answered, so a restart resumes them and a retry is answered from the record.
 */
export class Broker {
  private readonly server: RouterServer;
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly services = new Map<string, Service>();
  /** Only with the seeded defect mmi-keeps-services: every service name ever heard, which the table's own cleanup would forget. */
  private readonly heardOf = new Set<string>();
  /** Every job queued or held, by key (a plain request's address, a KHX/1 job's owner and id). */
  private readonly jobs = new Map<string, Job>();
  /** The same jobs by the address workers see (hex); a KHX/1 id may be in use by several owners at once. */
  private readonly jobsByAddress = new Map<string, Set<Job>>();
  /** KHX/1 jobs whose acceptance is being journaled, by store key: retries wait for it. */
  private readonly accepting = new Map<string, Job>();
  private readonly log: Logger;
  private graceTimer?: NodeJS.Timeout;
  /** When the heartbeat tick last ran: a tick far later than one interval after it means this process stalled. */
  private lastTickAt = monotonicNow();
  private readonly resultGrace: number;
  private readonly processingTimeouts: ProcessingTimeouts;
  private readonly limits: BrokerLimits;
  /** Requests in the broker's hands per client socket (hex identity): the quota's count. */
  private readonly inHandByPeer = new Map<string, number>();
  private readonly requestAddresses = new RequestAddresses();
  private readonly plainRecorded = new RecordedBatches((frames) => this.send(frames));
  private readonly counters = {
    dispatched: 0,
    replies: 0,
    requeued: 0,
    expiredRequests: 0,
    malformed: 0,
    refused: 0,
    givenUp: 0,
    forgedReplies: 0,
    forbidden: 0,
    deduplicated: 0,
    recovered: 0,
    killed: 0,
    processingTimeouts: 0,
    orphans: 0,
    bestEffortReplies: 0,
    bestEffortLost: 0,
    timedExpired: 0,
    timedGivenUp: 0,
  };
  /** KHC/1: jobs in hand with a kill asked and not yet answered (each has `kill`). */
  private readonly killsPending = new Set<Job>();
  /**
   * DRAIN/STOP orders by (key, instance id): a drained worker that reconnects is still drained, from its
   * READY on, before any job could reach it. Bounded: past MAX_STANDING_ORDERS the oldest are forgotten.
   */
  private readonly standingOrders = new Map<string, 'DRAIN' | 'STOP'>();

  /** KHR/1: client sockets (hex identity) that sent KHRC01: their job replies carry the term. */
  private readonly khrClients = new Set<string>();

  private constructor(
    private readonly options: BrokerOptions & Required<Pick<BrokerOptions, 'retentionMs' | 'retentionCount'>>,
    private readonly ownStore: JobStore,
    private readonly security: ServerSecurity | undefined,
  ) {
    this.log = options.logger ?? silentLogger();
    this.resultGrace = options.resultGrace ?? 2 * options.heartbeatInterval * options.heartbeatLiveness;
    this.processingTimeouts = options.processingTimeouts ?? NO_PROCESSING_TIMEOUTS;
    this.limits = { ...DEFAULT_BROKER_LIMITS, ...options.limits };
    this.server = new RouterServer({
      endpoint: options.endpoint,
      maxMessageSize: this.limits.maxMessageSize,
      tickInterval: options.heartbeatInterval,
      role: 'broker',
      log: this.log,
      security,
      onMessage: (identity, frames, principal) => this.onMessage(identity, frames, principal),
      onRevokedSender: (identity) => this.onRevokedSender(identity),
      onTick: () => this.onHeartbeatTick(),
      onUnroutable: (frames) => this.onUnroutable(frames),
    });
    security?.onReload((policy) => this.revoke(policy));
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const full = { ...DEFAULT_BROKER_OPTIONS, ...options };
    const ignoreSyncErrors = full.defects?.includes('ignore-sync-errors') === true;
    const storeOptions = { retentionMs: full.retentionMs, retentionCount: full.retentionCount, logger: full.logger, fsync: full.fsync, ...(ignoreSyncErrors && { ignoreSyncErrors }) };
    const store = full.cluster !== undefined ? full.cluster.store : full.journal === undefined ? JobStore.inMemory(storeOptions) : await JobStore.open(full.journal, storeOptions);
    const security = await startServerSecurity(full.security, full.logger ?? silentLogger(), () => store.close());
    const broker = new Broker(full, store, security);
    // A cluster broker recovers when it starts to lead (onServing), never before.
    if (full.cluster === undefined) broker.recover();
    else broker.followCluster(full.cluster);
    try {
      await broker.server.listen();
    } catch (error) {
      await store.close();
      throw error;
    }
    broker.log.info({ endpoint: options.endpoint, journal: full.journal ?? null, recovered: broker.counters.recovered, secure: security !== undefined }, 'broker listening');
    return broker;
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  /** The job table: this broker's own, or in cluster mode the Raft node's current one (replaced when deposed). */
  private get store(): JobStore {
    return this.options.cluster?.store ?? this.ownStore;
  }

  /** Cluster mode: may this broker serve jobs now (it leads and caught up)? Always true for a single broker. */
  private get serving(): boolean {
    return this.options.cluster?.isServing ?? true;
  }

  private followCluster(cluster: ClusterNode): void {
    cluster.subscribe({
      onServing: () => {
        if (!this.server.serving) return;
        const grace = this.resultGrace + this.clusterFailoverAllowance(cluster);
        this.log.info({ term: cluster.leadership.term, graceMs: grace }, 'cluster: leading; pending jobs wait out the result grace');
        this.recover(grace);
      },
      onDeposed: () => this.dropEverythingInHand(cluster),
      onFailed: (error) => this.onJournalFailure(error),
      onLeadership: (leadership) => {
        // A KHR/1 worker still connected hears the new term at once (it fences by it).
        for (const worker of this.workers.values()) if (worker.khr === true) this.send([worker.identity, ...encodeTerm(cluster.servingTerm, leadership.leader ?? '')]);
      },
    });
  }

  /**
   * A new leader's pending jobs wait longer than a restarted broker's: a worker holding one first has
   * to notice its old broker is gone (one liveness period) and may meet every other broker on its way
   * to this one (a follower turns it away at once; a frozen one costs another liveness period).
   */
  private clusterFailoverAllowance(cluster: ClusterNode): number {
    const liveness = this.options.heartbeatInterval * this.options.heartbeatLiveness;
    return cluster.status().members.filter((member) => member.voter).length * liveness + cluster.electionTimeoutMs;
  }

  /**
   * Deposed: stop dispatching at once. Every job in hand is forgotten (acknowledgements in flight are
   * dropped: the new leader answers retries from what was committed), and every worker is told to
   * DISCONNECT so it moves to another broker.
   */
  private dropEverythingInHand(cluster: ClusterNode): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    for (const job of this.jobs.values()) clearTimeout(job.deadlineTimer);
    for (const job of this.killsPending) job.kill?.stopGrace();
    for (const worker of this.workers.values()) {
      // A KHR/1 worker hears the higher term first: it then refuses this broker if it ever comes back to it.
      if (worker.khr === true) this.send([worker.identity, ...encodeTerm(cluster.leadership.term, cluster.leadership.leader ?? '')]);
      this.send([worker.identity, ...encodeDisconnect()]);
    }
    this.workers.clear();
    this.services.clear();
    this.jobs.clear();
    this.jobsByAddress.clear();
    this.accepting.clear();
    this.killsPending.clear();
    this.inHandByPeer.clear();
    this.khrClients.clear();
    this.counters.recovered = 0;
  }

  /** Resolves with the error if the broker stops serving on its own (its journal failed). */
  whenFailed(): Promise<Error> {
    return this.server.whenFailed();
  }

  stats(): BrokerStats {
    let queued = 0;
    for (const service of this.services.values()) queued += service.queue.length;
    const refusedEnvelopes = this.security?.counts ?? { unauthenticated: 0, unauthorized: 0 };
    return { workers: this.workers.size, queued, services: this.services.size, ...this.counters, ...refusedEnvelopes, store: this.store.stats() };
  }

  async close(): Promise<void> {
    if (this.server.closed) return;
    clearTimeout(this.graceTimer);
    for (const job of this.jobs.values()) clearTimeout(job.deadlineTimer);
    for (const job of this.killsPending) job.kill?.stopGrace();
    this.plainRecorded.close();
    await this.server.close([...this.workers.values()].map((worker) => [worker.identity, ...encodeDisconnect()]));
    await this.store.close().catch((error: unknown) => this.log.error({ err: error }, 'closing the journal failed'));
    await this.options.cluster?.close();
  }

  /**
   * Pending jobs from the journal go back in their queues. Any of them may be in a worker's hands
   * (running, or done with the result not yet handed in), so they wait out the result grace first.
   */
  private recover(grace = this.resultGrace): void {
    const now = monotonicNow();
    for (const pending of this.store.pending()) {
      const { owner, id } = splitJobKey(pending.job);
      const idFrame = Buffer.from(id, 'latin1');
      const address = workerAddress(owner, idFrame);
      const job: Job = {
        key: khxJobKey(owner, idFrame),
        address,
        id,
        record: pending.job,
        service: pending.service,
        body: pending.body,
        queuedAt: now,
        notBefore: now + grace,
        mayHaveRun: true,
        completing: false,
        recovered: true,
        attempts: 0,
      };
      this.track(job);
      this.counters.recovered++;
      if (pending.killPending === true) {
        // Never dispatched again: a worker of its service may still hand in a kept result within the
        // grace (then it finished); after it, the job is killed.
        const kill = this.pendKill(job, new PendingKill(idFrame));
        kill.durable = true;
        kill.startGrace(grace, () => this.killJob(job));
        continue;
      }
      this.serviceNamed(job.service).queue.push(job);
    }
    if (this.counters.recovered > 0) {
      this.log.info({ jobs: this.counters.recovered, graceMs: grace }, 'recovered pending jobs from the journal');
      this.armGraceTimer();
    }
  }

  private onMessage(identity: Frame, frames: Frame[], principal?: Principal): void {
    const message = decodeOrDrop(frames, (all) => decodeAtBroker(all, this.limits), MdpDecodeError, (error) => {
      this.counters.malformed++;
      this.log.warn({ peer: printable(identity), reason: error.reason }, 'dropped malformed message');
      if (this.options.defects?.includes('crash-on-malformed')) crashForDefect('crash-on-malformed', error.reason);
    });
    if (message === undefined) return;
    const cluster = this.options.cluster;
    if (cluster !== undefined) {
      if (!cluster.isServing) return answerAsNonLeader(identity, message, cluster, (reply) => this.send(reply), this.log, this.options.defects?.includes('follower-keeps-plain-workers'));
      if (message.kind === 'client-request' && message.service === KHR_MMI_SERVICE) return this.send([identity, ...encodeClientReply(message.service, khrMmiAnswer(cluster))]);
      if (message.kind === 'client-request' && message.service === CLUSTER_MMI_SERVICE) {
        // Who may add or remove a replica is the policy's call right on the operator's service (docs/replication.md).
        const mayChange = principal === undefined || this.security === undefined || this.security.allows(principal, 'call', CLUSTER_MMI_SERVICE);
        return void answerOperator(identity, message.body, cluster, (reply) => this.send(reply), this.log, mayChange);
      }
      if (message.kind === 'job-request') {
        if (message.khr === true) this.khrClients.add(identity.toString('hex'));
        // A retried id is answered from the table only once a read index confirms this broker still leads.
        if (this.knowsJob(message.job, principal)) return this.onceLeadershipConfirmed(cluster, () => this.onJobRequest(identity, message.service, message.job, message.body, principal));
      }
      // KHC/1 answers (a kill's outcome, a job's state) come from the table too.
      if (message.kind === 'control-request') return this.onceLeadershipConfirmed(cluster, () => this.onControlRequest(identity, message, principal));
    }
    switch (message.kind) {
      case 'client-request':
        return this.onClientRequest(identity, message.service, message.body, principal);
      case 'job-request':
        return this.onJobRequest(identity, message.service, message.job, message.body, principal);
      case 'timed-job-request':
        return this.onTimedJobRequest(identity, message.service, message.job, message.deadline, message.body, principal);
      case 'late':
        return this.onLate(identity, message.client, principal);
      case 'ready':
        return this.onReady(identity, message.service, message.extensions, principal);
      case 'reply':
        return this.onReply(identity, message.client, message.body, principal);
      case 'heartbeat':
        return this.onWorkerHeartbeat(identity, principal, message.inventory);
      case 'disconnect':
        return this.onWorkerDisconnect(identity, principal);
      case 'control-request':
        return this.onControlRequest(identity, message, principal);
      case 'control-ack':
        return this.onControlAck(identity, message, principal);
    }
  }

  /** Runs `handle` once a read index confirms this broker still leads and serves; drops it otherwise (the peer retries elsewhere). */
  private onceLeadershipConfirmed(cluster: ClusterNode, handle: () => void): void {
    void cluster.confirmLeadership().then((leads) => {
      if (leads && cluster.isServing && this.server.serving) handle();
    });
  }

  /** Whether a job id is in hand or in the table (a retry, to be answered from it). */
  private knowsJob(jobFrame: Frame, principal?: Principal): boolean {
    const owner = principal?.key ?? '';
    const record = scopedJobKey(owner, jobFrame.toString('latin1'));
    return this.jobs.has(khxJobKey(owner, jobFrame)) || this.accepting.has(record) || this.store.lookup(record) !== undefined;
  }

  private onClientRequest(client: Frame, service: string, body: Frame[], principal?: Principal): void {
    // 8/MMI answers any principal the policy lists: it says whether a service has workers, nothing more.
    if (isMmiService(service)) {
      const served = (name: string) => (this.options.defects?.includes('mmi-keeps-services') ? this.heardOf.has(name) : (this.services.get(name)?.workerCount ?? 0) > 0);
      const answer = answerMmi(service, body, served);
      this.send([client, ...encodeClientReply(service, [Buffer.from(answer)])]);
      return;
    }
    // 7/MDP has no error reply: a plain client refused by the policy or a bound sees a timeout.
    if (!this.mayCall(client, principal, service)) return;
    const refusal = this.admissionProblem(client, service);
    if (refusal !== undefined) {
      this.refuse(client, service, refusal.reason);
      return;
    }
    // Unguessable (0x00 + 16 random bytes, never a valid job id): a worker that is not holding the
    // request cannot name it, and a late REPLY can never match a request of a later broker life.
    const address = this.requestAddresses.next();
    const now = monotonicNow();
    const bestEffort = serviceClassOf(this.options.serviceClasses, service).kind === 'best-effort' ? { bestEffort: true } : {};
    this.enqueue(
      this.owned({ key: address.toString('hex'), address, service, body, waiter: client, waiterPrincipal: principal, queuedAt: now, notBefore: now, mayHaveRun: false, completing: false, attempts: 0, ...bestEffort }, client),
    );
  }

  /**
   * KHT/1 (docs/protocol.md, "Timed jobs"): a give-up job with an absolute deadline. Held in memory
   * only, never journaled: a restart forgets it, which is its abandonment (nothing can re-dispatch it).
   * Answered 410 as soon as it can no longer be dispatched before its deadline; never dispatched twice.
   */
  private onTimedJobRequest(client: Frame, service: string, jobFrame: Frame, requested: number, body: Frame[], principal?: Principal): void {
    if (!this.admitsJobId(client, service, jobFrame, principal, 'refused a timed job request')) return;
    const owner = principal?.key ?? '';
    const known = this.jobs.get(khxJobKey(owner, jobFrame));
    if (known !== undefined) {
      known.waiter = client;
      known.waiterPrincipal = principal;
      this.counters.deduplicated++;
      this.send([client, ...encodeJobReply(known.service, jobFrame, KhxStatus.Accepted)]);
      return;
    }
    const deadline = timedDeadline(requested, serviceClassOf(this.options.serviceClasses, service), Date.now());
    if (tooLateToDispatch(deadline, this.timedMargin, Date.now())) {
      // Arrived too late (a slow link, or this broker was frozen with it unread): it never runs.
      this.counters.timedExpired++;
      this.log.info({ job: printable(jobFrame), service, lateMs: Date.now() - deadline }, 'timed job arrived past its deadline: answered 410, never queued');
      this.send([client, ...encodeJobReply(service, jobFrame, KhxStatus.Expired, [Buffer.from('the deadline passed before the job could be dispatched')])]);
      return;
    }
    if (this.refusedJob(client, service, jobFrame)) return;
    const now = monotonicNow();
    const id = jobFrame.toString('latin1');
    const job: Job = this.owned(
      { key: khxJobKey(owner, jobFrame), address: workerAddress(owner, jobFrame), id, service, body, waiter: client, waiterPrincipal: principal, queuedAt: now, notBefore: now, mayHaveRun: false, completing: false, attempts: 0, deadline },
      client,
    );
    // When it can no longer go to a worker in time: a job still queued then is answered 410 at once.
    job.deadlineTimer = setTimeout(() => this.onTimedDeadline(job), Math.max(0, deadline - this.timedMargin - Date.now()));
    this.enqueue(job);
  }

  private get timedMargin(): number {
    return this.options.timedMargin ?? DEFAULT_TIMED_MARGIN;
  }

  /** A timed job still queued at its deadline (less the margin) never ran: 410. One dispatched stays with its holder. */
  private onTimedDeadline(job: Job): void {
    if (!this.jobs.has(job.key) || job.completing || job.holder !== undefined) return;
    this.endTimedJob(job, KhxStatus.Expired, 'never dispatched by its deadline');
  }

  /**
   * A timed job leaves the broker's hands for good, answered `410` (it did not run) or `504` (it may
   * have run): never re-queued, never dispatched again.
   */
  private endTimedJob(job: Job, status: KhxStatus.Expired | KhxStatus.GivenUp, why: string): void {
    if (!this.jobs.has(job.key) || job.completing) return;
    this.untrack(job);
    this.release(job);
    this.dequeue(job);
    if (status === KhxStatus.Expired) this.counters.timedExpired++;
    else this.counters.timedGivenUp++;
    this.log.info({ job: printable(jobIdFrame(job)), service: job.service, status, why }, 'timed job ended: it will not be dispatched again');
    this.answer(job, encodeJobReply(job.service, jobIdFrame(job), status, [Buffer.from(why)]));
  }

  /** KHT/1 LATE: the worker got a timed job after its deadline and did not start it: it never ran, and the worker is free. */
  private onLate(identity: Frame, address: Frame, principal?: Principal): void {
    const worker = this.knownWorker(identity, principal, 'LATE');
    if (!worker) return;
    worker.expiresAt = this.nextExpiry();
    const job = worker.current?.address.equals(address) ? worker.current : worker.stuckOn?.address.equals(address) ? worker.stuckOn : undefined;
    if (job === undefined) {
      this.log.info({ worker: worker.id, job: printable(address) }, 'LATE for a job this worker does not hold: ignored');
      return;
    }
    worker.current = undefined;
    worker.stuckOn = undefined;
    this.endTimedJob(job, KhxStatus.Expired, 'the worker got it after its deadline and did not start it');
    this.makeIdle(worker, this.serviceNamed(worker.service));
  }

  /** Secure mode: whether `principal` may call `service`; a refusal is counted and logged. Always true without security. */
  private mayCall(client: Frame, principal: Principal | undefined, service: string): boolean {
    if (principal === undefined || this.security === undefined || this.security.allows(principal, 'call', service)) return true;
    this.counters.forbidden++;
    this.log.warn({ peer: printable(client), principal: principal.name, service: printable(Buffer.from(service)) }, 'refused a request the policy does not allow');
    return false;
  }

  /** A job id and service a job request may use, and a caller the policy lets call it; else answered 400 or 403 here. */
  private admitsJobId(client: Frame, service: string, jobFrame: Frame, principal: Principal | undefined, what: string): boolean {
    const problem = isMmiService(service) ? 'mmi.* services take plain 7/MDP requests' : jobIdProblem(jobFrame);
    if (problem !== undefined) {
      this.log.warn({ client: printable(client), job: printable(jobFrame), reason: problem }, what);
      this.send([client, ...encodeJobReply(service, jobFrame, KhxStatus.BadRequest, [Buffer.from(problem)])]);
      return false;
    }
    if (!this.mayCall(client, principal, service)) {
      this.send([client, ...encodeJobReply(service, jobFrame, KhxStatus.Forbidden, [Buffer.from('the policy does not allow this key to call this service')])]);
      return false;
    }
    return true;
  }

  /** A new job past a bound (docs/limits.md): refused, and its client told so with the status that says which. */
  private refusedJob(client: Frame, service: string, jobFrame: Frame): boolean {
    const refusal = this.admissionProblem(client, service);
    if (refusal === undefined) return false;
    this.refuse(client, service, refusal.reason);
    this.send([client, ...encodeJobReply(service, jobFrame, refusal.status, [Buffer.from(refusal.reason)])]);
    return true;
  }

  private onJobRequest(client: Frame, service: string, jobFrame: Frame, body: Frame[], principal?: Principal): void {
    if (!this.admitsJobId(client, service, jobFrame, principal, 'refused a job request')) return;
    const id = jobFrame.toString('latin1');
    // The job is the owner's: another principal using the same id reaches a job of its own.
    const owner = principal?.key ?? '';
    const record = scopedJobKey(owner, id);
    const known = this.jobs.get(khxJobKey(owner, jobFrame)) ?? this.accepting.get(record);
    if (known !== undefined) {
      // A retry of a job in hand: it will answer this socket. 202 only once the acceptance is durable.
      known.waiter = client;
      known.waiterPrincipal = principal;
      this.counters.deduplicated++;
      if (!this.accepting.has(record)) this.send([client, ...encodeJobReply(known.service, jobFrame, KhxStatus.Accepted)]);
      return;
    }
    if (this.refusedJob(client, service, jobFrame)) return;
    const now = monotonicNow();
    const job: Job = this.owned(
      { key: khxJobKey(owner, jobFrame), address: workerAddress(owner, jobFrame), id, record, service, body, waiter: client, waiterPrincipal: principal, queuedAt: now, notBefore: now, mayHaveRun: false, completing: false, attempts: 0 },
      client,
    );
    this.accepting.set(record, job);
    // Journaled before any worker sees it: a job dispatched and then forgotten by a crash would run
    // again on the client's retry. For an id the store knows, accept() writes nothing and reports the
    // job's state once that state is durable, so a retry is never answered from a record a crash could undo.
    this.store.accept(record, service, body).then(
      (outcome) => {
        this.accepting.delete(record);
        if (!this.server.serving) return;
        if (outcome === 'new') return this.enqueue(job);
        this.release(job);
        this.counters.deduplicated++;
        const recorded = this.store.lookup(record);
        if (job.waiter === undefined || !this.mayHear(job)) return;
        if (recorded?.state === 'completed') this.send([job.waiter, ...encodeJobReply(service, jobFrame, KhxStatus.Done, recorded.reply)]);
        else if (recorded?.state === 'abandoned' || recorded === undefined) this.send([job.waiter, ...encodeJobReply(service, jobFrame, KhxStatus.Expired)]);
        else if (recorded.state === 'given-up') this.send([job.waiter, ...encodeJobReply(service, jobFrame, KhxStatus.GivenUp)]);
        else if (recorded.state === 'killed') this.send([job.waiter, ...killedReply(service, jobFrame)]);
        else this.send([job.waiter, ...encodeJobReply(service, jobFrame, KhxStatus.Accepted)]);
      },
      (error: unknown) => {
        if (!isWriteRefused(error)) return this.onJournalFailure(error);
        // Refused by the disk (full, read-only): not accepted, so it will not run. Said at once, with
        // a status the client takes as definite; what is already durable goes on being served.
        this.accepting.delete(record);
        this.release(job);
        this.counters.refused++;
        this.log.warn({ job: id, err: error }, 'journal cannot write: new job refused (503)');
        if (job.waiter !== undefined && this.mayHear(job) && this.server.serving) {
          this.send([job.waiter, ...encodeJobReply(service, jobFrame, KhxStatus.Unavailable, [Buffer.from(`journal cannot write (${error.code}): not accepted, will not run`)])]);
        }
      },
    );
  }

  private enqueue(job: Job): void {
    this.track(job);
    const service = this.serviceNamed(job.service);
    service.queue.push(job);
    this.dispatch(service);
  }

  private onReady(identity: Frame, serviceName: string, extensions: string[], principal?: Principal): void {
    const id = identity.toString('hex');
    if (this.workers.has(id)) {
      this.log.warn({ worker: id, service: serviceName }, 'duplicate READY: disconnecting worker');
      this.removeWorker(this.workers.get(id)!, { sendDisconnect: true, fellSilent: false });
      return;
    }
    if (isMmiService(serviceName)) {
      this.log.warn({ worker: id, service: serviceName }, 'worker tried to register a reserved mmi.* service: disconnecting');
      this.send([identity, ...encodeDisconnect()]);
      return;
    }
    if (principal !== undefined && this.security !== undefined && !this.security.allows(principal, 'register', serviceName)) {
      this.counters.forbidden++;
      this.log.warn({ worker: id, principal: principal.name, service: printable(Buffer.from(serviceName)) }, 'READY for a service the policy does not let this key register: disconnecting');
      this.send([identity, ...encodeDisconnect()]);
      return;
    }
    if (!this.hasRoomFor(serviceName)) {
      this.refuse(identity, serviceName, `the service table is full (${this.limits.maxServices} services)`);
      this.send([identity, ...encodeDisconnect()]);
      return;
    }
    const khx = extensions[0] === KHX_EXTENSION;
    const instance = khx && extensions[1] ? extensions[1] : undefined;
    // KHC/1 builds on KHX/1: a worker without an instance id could not be told apart across reconnections.
    const khc = instance !== undefined && extensions[2] === KHC_EXTENSION;
    // KHT/1 (timed jobs) too: its token comes after the instance id, and after KHC/1 when both are spoken.
    const kht = instance !== undefined && extensions.slice(2).includes(KHT_EXTENSION);
    const khr = this.options.cluster !== undefined && instance !== undefined && extensions.slice(2).includes(KHR_EXTENSION);
    const worker: WorkerRecord = { id, identity, service: serviceName, expiresAt: this.nextExpiry(), khx, instance, principal, khc, kht, ...(khr ? { khr } : {}) };
    const standing = khc ? this.standingOrders.get(orderKey(principal, instance)) : undefined;
    if (standing !== undefined) worker.order = { verb: standing, acked: false };
    this.workers.set(id, worker);
    const service = this.serviceNamed(serviceName);
    service.workerCount++;
    this.log.info({ worker: id, service: serviceName, khx, khc, kht }, 'worker registered');
    // The welcome: an empty RECORDED tells a KHX/1 worker to hand in the results it still holds.
    if (khx) this.send([identity, ...encodeRecorded([])]);
    // KHR/1: right after the welcome, the term this worker fences by.
    if (khr && this.options.cluster !== undefined) this.send([identity, ...encodeTerm(this.options.cluster.servingTerm, this.options.cluster.leadership.leader ?? '')]);
    // The control welcome: from now on this worker may send inventories and CONTROL-ACKs.
    if (khc) this.send([identity, ...encodeControlWelcome()]);
    if (worker.order !== undefined) this.send([identity, ...encodeControl({ kind: 'control', instruction: worker.order.verb })]);
    this.makeIdle(worker, service);
  }

  private onReply(identity: Frame, address: Frame, body: Frame[], principal?: Principal): void {
    const worker = this.knownWorker(identity, principal, 'REPLY');
    if (!worker) return;
    worker.expiresAt = this.nextExpiry();
    const job = this.replyTarget(worker, address);
    if (job === 'forged') return this.onForgedReply(worker, address);
    // The job it holds, or the one a processing timeout took from it, is done with: it may work again.
    if (worker.current?.address.equals(address) || worker.stuckOn?.address.equals(address)) {
      if (worker.stuckOn !== undefined) this.log.info({ worker: worker.id, job: printable(address) }, 'a worker disabled by a processing timeout reported its job done: enabled again');
      worker.current = undefined;
      worker.stuckOn = undefined;
      this.makeIdle(worker, this.serviceNamed(worker.service));
    }
    // Not in hand also when another worker's result for it was recorded first (a processing timeout re-ran it).
    if (job === undefined || job.completing || !this.jobs.has(job.key)) {
      // An orphan: already answered (first result wins), failed, killed, expired, or from before a restart: nothing to forward.
      this.counters.orphans++;
      const why = job === undefined ? 'no request in hand has its address' : job.completing ? 'another result for it is being recorded' : 'it was answered already';
      this.log.info({ worker: worker.id, job: printable(address), why }, 'orphan: REPLY for a job no longer in hand, dropped');
      this.options.onOrphan?.({ job: job?.id ?? addressText(address), what: job === undefined ? 'torn-down' : 'late-result', detail: `REPLY from worker ${worker.id} dropped: ${why}` });
      if (worker.khx) this.send([worker.identity, ...encodeRecorded([address])]);
      return;
    }
    if (job.record === undefined) {
      this.finish(job);
      // best-effort: nobody waits for the reply; it is dropped and counted.
      if (job.bestEffort === true) this.counters.bestEffortReplies++;
      // A timed job (KHT/1) has a job id and is answered like a KHX/1 job.
      else this.answer(job, job.id === undefined ? encodeClientReply(job.service, body) : encodeJobReply(job.service, jobIdFrame(job), KhxStatus.Done, body));
      if (worker.khx) this.plainRecorded.add(worker.id, worker.identity, address);
      return;
    }
    // KHX/1: the result is journaled before anyone hears of it; meanwhile no worker gets the job again.
    job.completing = true;
    this.dequeue(job);
    this.recordResult(job, job.record, body, worker, address);
  }

  /**
   * Journals a result, then answers. A disk that refuses the write (full, read-only) loses nothing
   * already durable: the result is kept and recorded again a heartbeat later, until the disk takes
   * it, and until then the job stays in hand (a client's retry is told 202), never run again, since
   * its handler has committed (docs/disk-faults.md).
   */
  private recordResult(job: Job, record: string, body: Frame[], worker: WorkerRecord, address: Frame): void {
    this.store.complete(record, body).then(
      () => {
        if (!this.server.serving) return;
        this.finish(job);
        this.answer(job, encodeJobReply(job.service, jobIdFrame(job), KhxStatus.Done, body));
        // The result came first (or the worker acked `finished`): the kill was too late.
        job.kill?.answerAll('finished', (frames) => this.send(frames));
        if (worker.khx) this.send([worker.identity, ...encodeRecorded([address])]);
      },
      (error: unknown) => {
        if (!isWriteRefused(error)) return this.onJournalFailure(error);
        if (!this.server.serving) return;
        this.log.warn({ job: job.id, err: error }, 'journal cannot write: the result is kept and recorded again later');
        setTimeout(() => {
          if (this.server.serving && this.jobs.has(job.key)) this.recordResult(job, record, body, worker, address);
        }, this.options.heartbeatInterval).unref();
      },
    );
  }

  /**
   * The job a REPLY from `worker` naming `address` answers: the one it holds, or one it held (a KHX/1
   * instance handing in a kept result on a new connection). Undefined when no job in hand has that
   * address (already answered: harmless); 'forged' when jobs in hand have it but none was given to
   * this worker — whoever sent it is answering somebody else's job.
   */
  private replyTarget(worker: WorkerRecord, address: Frame): Job | 'forged' | undefined {
    if (worker.current?.address.equals(address)) return worker.current;
    if (worker.stuckOn?.address.equals(address)) return worker.stuckOn;
    const candidates = this.jobsByAddress.get(address.toString('hex'));
    if (candidates === undefined) return undefined;
    for (const job of candidates) if (this.heldBy(worker, job)) return job;
    return 'forged';
  }

  /** Whether `worker` is the one `job` was dispatched to, on this connection or (KHX/1, same instance and key) an earlier one. */
  private heldBy(worker: WorkerRecord, job: Job): boolean {
    if (job.holder === worker.id || job.timedOutOn?.has(worker.id) === true) return true;
    if (worker.instance !== undefined && job.instances?.has(instanceKey(worker))) return true;
    // A job recovered from the journal may have its result kept by a KHX/1 worker of its service
    // from before the restart, and nobody knows which one (docs/security.md says so).
    return job.recovered === true && worker.khx && worker.service === job.service;
  }

  private onForgedReply(worker: WorkerRecord, address: Frame): void {
    this.counters.forgedReplies++;
    this.log.warn({ worker: worker.id, principal: worker.principal?.name ?? null, job: printable(address) }, 'REPLY for a job this worker was not given: dropped, disconnecting the worker');
    this.removeWorker(worker, { sendDisconnect: true, fellSilent: false });
  }

  /** Sends `frames` to the job's waiter, unless the policy no longer lets its principal call the service (revoked). */
  private answer(job: Job, frames: Frame[]): void {
    if (job.waiter === undefined || !this.mayHear(job)) return;
    this.send([job.waiter, ...frames]);
  }

  private mayHear(job: Job): boolean {
    return job.waiterPrincipal === undefined || this.security === undefined || this.security.allows(job.waiterPrincipal, 'call', job.service);
  }

  // --- Processing timeouts (docs/protocol.md, KHX/1 broker rule 9) ------------------------------

  /**
   * Every tick: a worker that holds one job past its service's processing timeout is disabled, however
   * well it heartbeats. Its job is handled per its class, and the only class is `retry` for now: it
   * goes to another worker. A KHC/1 worker is told to kill the job first, and the job is re-queued only
   * once the worker acks that the handler stopped before committing (or after its loss and the result
   * grace, as for any lost worker); any other worker cannot be stopped, so the job is re-queued at
   * once (at-least-once: both runs may commit; the first result recorded wins).
   */
  private takeBackOverdueJobs(now: number): void {
    for (const worker of this.workers.values()) {
      const job = worker.current;
      if (job?.processingDeadline === undefined || now <= job.processingDeadline || job.kill !== undefined || job.completing) continue;
      job.processingDeadline = undefined;
      this.counters.processingTimeouts++;
      const inHand = this.jobs.has(job.key);
      if (job.deadline !== undefined) {
        // give-up: failed, never run elsewhere (504); the worker gets nothing new until it reports the job done.
        worker.current = undefined;
        worker.stuckOn = job;
        this.endTimedJob(job, KhxStatus.GivenUp, 'its worker overran the processing timeout');
        // A KHC/1 worker is asked, once, to stop the handler: its ack `killed` frees it (a busy worker would sit on it for good).
        if (worker.khc) this.sendTimeoutKill(worker, job);
        continue;
      }
      if (job.bestEffort === true) {
        // best-effort: at most once, so it is lost, never run elsewhere (a busy worker's handler may still be running it).
        worker.current = undefined;
        worker.stuckOn = job;
        this.counters.bestEffortLost++;
        this.untrack(job);
        this.release(job);
        this.log.warn({ worker: worker.id, service: worker.service, job: printable(jobIdFrame(job)) }, 'processing timeout: a best-effort job held too long is dropped (at most once)');
        if (worker.khc) this.sendTimeoutKill(worker, job);
        continue;
      }
      this.log.warn({ worker: worker.id, service: worker.service, job: printable(jobIdFrame(job)), heldMs: Math.round(now - (job.dispatchedAt ?? now)), khc: worker.khc, inHand }, 'processing timeout: the worker held its job too long');
      if (worker.khc && inHand) {
        job.processingTimeout = 'killing';
        this.sendTimeoutKill(worker, job);
        continue;
      }
      // It cannot be told to stop (or its job was answered by another's result meanwhile): disabled until it reports the job done.
      worker.stuckOn = job;
      this.takeBack(worker, job);
    }
  }

  /** CONTROL KILL for a job past its processing timeout, to the worker holding it (fenced: only that worker's ack counts). */
  private sendTimeoutKill(worker: WorkerRecord, job: Job): void {
    this.send([worker.identity, ...encodeControl({ kind: 'control', instruction: 'KILL', job: job.address })]);
  }

  private onTimeoutKillAck(worker: WorkerRecord, job: Job, outcome: KillAck): void {
    if (outcome === 'killed' || outcome === 'absent') {
      // The handler stopped before committing (or never ran): the job can run elsewhere once, and the
      // worker, which answered, is no longer stuck.
      job.processingTimeout = undefined;
      this.takeBack(worker, job);
      this.makeIdle(worker, this.serviceNamed(worker.service));
      return;
    }
    // `cannot` (or `finished`, whose REPLY came first): the handler runs on and its result will come.
    // Running the job elsewhere too could commit it twice, so it stays with this worker.
    job.processingTimeout = 'cannot';
    this.log.warn({ worker: worker.id, job: printable(jobIdFrame(job)), outcome }, 'the worker cannot stop its overdue job: it stays with it until its result (or the job deadline)');
  }

  /** The job leaves the worker; one still in hand goes back to the head of its queue, for another worker. */
  private takeBack(worker: WorkerRecord, job: Job): void {
    worker.current = undefined;
    (job.timedOutOn ??= new Set()).add(worker.id);
    if (job.holder === worker.id) job.holder = undefined;
    if (!this.jobs.has(job.key) || job.completing) return;
    const service = this.serviceNamed(job.service);
    service.queue.unshift(job);
    this.counters.requeued++;
    this.log.info({ worker: worker.id, service: service.name, job: printable(jobIdFrame(job)) }, 're-queued a job taken back by its processing timeout');
    this.dispatch(service);
  }

  // --- KHC/1 control (docs/protocol.md, "Control") ---------------------------------------------

  private onControlRequest(client: Frame, request: ControlRequest, principal?: Principal): void {
    switch (request.verb) {
      case 'KILL':
        return this.onKill(client, request.job, principal);
      case 'INSPECT': {
        const state = request.job === undefined ? inspectBroker(this.services.values(), this.workers.values(), { pendingKills: this.killsPending.size, orphans: this.counters.orphans }, principal?.key) : this.inspectJob(request.job, principal);
        this.send([client, ...encodeInspectAnswer(request.job, state)]);
        return;
      }
      case 'DRAIN':
      case 'STOP':
        return this.onWorkerOrder(client, request.verb, request.instance, principal);
    }
  }

  /**
   * The outcome rule: a job that cannot have run is killed at once; one that finished (or was given
   * up) is `finished`; one that may be running gets a durable `kill-pending`, and the answer waits
   * for its worker's ack, its result, or the result grace after its worker was lost. Ids are the
   * requester's own (scoped by its key, as KHX/1's are): another owner's job, or a plain 7/MDP
   * request (no id), is `unknown`.
   */
  private onKill(client: Frame, jobFrame: Frame, principal?: Principal, rechecks = 0): void {
    if (jobIdProblem(jobFrame) !== undefined) return this.answerKill(client, jobFrame, 'unknown');
    const owner = principal?.key ?? '';
    const record = scopedJobKey(owner, jobFrame.toString('latin1'));
    const recorded = this.store.lookup(record);
    if (recorded === undefined) return this.answerKill(client, jobFrame, 'unknown');
    const job = this.jobs.get(khxJobKey(owner, jobFrame));
    if (recorded.state !== 'pending' || job === undefined || job.completing) {
      // An ending on its way to the disk, or an acceptance not yet in the table: ask again once durable.
      this.store.settled(record).then(
        () =>
          setImmediate(() => {
            if (!this.server.serving) return;
            const settled = this.store.lookup(record);
            if (settled?.state !== 'pending') return this.answerKill(client, jobFrame, killOutcomeOf(settled?.state));
            // Pending on disk but not in the table after its acceptance settled would be a bug: no answer
            // (the requester asks again) rather than a wrong one, and no endless re-checking.
            if (rechecks < MAX_KILL_RECHECKS) this.onKill(client, jobFrame, principal, rechecks + 1);
            else this.log.warn({ job: printable(jobFrame) }, 'KILL of a job pending in the journal but not in hand: not answered');
          }),
        (error: unknown) => this.onJournalFailure(error),
      );
      return;
    }
    if (job.kill !== undefined) {
      // Asked again (a retry on a fresh socket, or another requester): joins the kill under way.
      if (job.kill.fireAndForget) return this.answerKill(client, jobFrame, 'killed');
      job.kill.addRequester(client);
      return;
    }
    const kill = this.pendKill(job, new PendingKill(jobFrame, { fireAndForget: this.options.defects?.includes('fire-and-forget-kill') }));
    kill.addRequester(client);
    const holder = job.holder === undefined ? undefined : this.workers.get(job.holder);
    if (holder?.current !== job) {
      // Queued. Never run (or given back unrun), or its lost worker's grace is over: killed now.
      this.dequeue(job);
      const now = monotonicNow();
      if (!job.mayHaveRun || job.notBefore <= now) return this.killJob(job);
      // In the grace after its worker fell silent: that worker may still hand in a kept result.
      this.journalKillPending(job, () => kill.startGrace(job.notBefore - monotonicNow(), () => this.killJob(job)));
      return;
    }
    if (kill.fireAndForget) {
      // Seeded defect: told once, never journaled, answered as if the worker had confirmed.
      kill.durable = true;
      this.sendKill(job);
      kill.answerAll('killed', (frames) => this.send(frames));
      return;
    }
    this.log.info({ job: printable(jobFrame), worker: holder.id, khc: holder.khc }, 'kill asked for a running job: kill-pending');
    this.journalKillPending(job, () => this.sendKill(job));
  }

  private answerKill(client: Frame, jobFrame: Frame, outcome: KillOutcome): void {
    this.send([client, ...encodeKillAnswer(jobFrame, outcome)]);
  }

  private pendKill(job: Job, kill: PendingKill): PendingKill {
    job.kill = kill;
    this.killsPending.add(job);
    return kill;
  }

  /** `kill-pending` on disk before the worker hears of it: after a crash the job is still never dispatched again. */
  private journalKillPending(job: Job, then: () => void): void {
    this.store.markKillPending(job.record!).then(
      () => {
        if (!this.server.serving || job.completing || job.kill === undefined || !this.jobs.has(job.key)) return;
        job.kill.durable = true;
        then();
      },
      (error: unknown) => this.onJournalFailure(error),
    );
  }

  /** CONTROL KILL to the worker holding the job's current attempt, if it is a KHC/1 worker (a plain one cannot be told). */
  private sendKill(job: Job): void {
    const holder = job.holder === undefined ? undefined : this.workers.get(job.holder);
    if (holder === undefined || !holder.khc || job.kill === undefined || !job.kill.durable || job.kill.cannot) return;
    this.send([holder.identity, ...encodeControl({ kind: 'control', instruction: 'KILL', job: job.address })]);
  }

  /** Journals `killed`, then answers: the client(s) of the job 409, everyone who asked to kill it `killed`. */
  private killJob(job: Job): void {
    if (job.completing || !this.jobs.has(job.key)) return;
    job.completing = true;
    job.kill?.stopGrace();
    this.dequeue(job);
    this.store.kill(job.record!).then(
      () => {
        if (!this.server.serving) return;
        this.untrack(job);
        this.release(job);
        this.counters.killed++;
        this.log.info({ job: printable(jobIdFrame(job)), service: printable(Buffer.from(job.service)) }, 'job killed');
        this.answer(job, killedReply(job.service, jobIdFrame(job)));
        job.kill?.answerAll('killed', (frames) => this.send(frames));
      },
      (error: unknown) => this.onJournalFailure(error),
    );
  }

  /**
   * The worker holding the current attempt of killed jobs is gone. One that gave its job back unrun
   * (a KHX/1 goodbye) lets the kill happen now; otherwise the kill waits out the result grace, in which
   * the worker may hand in a kept result (then it finished) and after which its lease has lapsed.
   */
  private loseKillHolder(worker: WorkerRecord, givenBack: Job | undefined): void {
    for (const job of this.killsPending) {
      if (job.holder !== worker.id || job.completing || job.kill === undefined) continue;
      job.holder = undefined;
      if (job === givenBack && !job.mayHaveRun) this.killJob(job);
      else job.kill.startGrace(this.resultGrace, () => this.killJob(job));
    }
  }

  /** Only the worker holding the job's current attempt is heard (fencing): an ack from anyone else changes nothing. */
  private onControlAck(identity: Frame, ack: ControlAck, principal?: Principal): void {
    const worker = this.knownWorker(identity, principal, 'CONTROL-ACK');
    if (worker === undefined) return;
    worker.expiresAt = this.nextExpiry();
    if (ack.instruction !== 'KILL') {
      if (worker.order?.verb === ack.instruction) worker.order.acked = true;
      return;
    }
    const job = [...(this.jobsByAddress.get(ack.job.toString('hex')) ?? [])].find((candidate) => candidate.holder === worker.id);
    if (job !== undefined && job.kill === undefined && !job.completing && job.processingTimeout === 'killing' && worker.current === job) return this.onTimeoutKillAck(worker, job, ack.outcome);
    if (worker.stuckOn?.deadline !== undefined && worker.stuckOn.address.equals(ack.job) && (ack.outcome === 'killed' || ack.outcome === 'absent')) {
      // The timed job it overran was answered 504 already; its handler stopped, so the worker may work again.
      worker.stuckOn = undefined;
      return this.makeIdle(worker, this.serviceNamed(worker.service));
    }
    if (job?.kill === undefined || job.completing) {
      this.log.info({ worker: worker.id, job: printable(ack.job), outcome: ack.outcome }, 'CONTROL-ACK KILL for no pending kill this worker holds: ignored');
      return;
    }
    switch (ack.outcome) {
      case 'killed':
      case 'absent':
        // The handler stopped before committing (or never ran here): the worker is free, the job is not.
        if (worker.current === job) {
          worker.current = undefined;
          job.holder = undefined;
          this.makeIdle(worker, this.serviceNamed(worker.service));
        }
        return this.killJob(job);
      case 'finished':
      case 'cannot':
        // The result is on its way (its REPLY comes on this connection, `finished` after it): wait for it.
        job.kill.cannot = true;
        return;
    }
  }

  /**
   * DRAIN/STOP an instance: nothing more is dispatched to it from now on; a KHC/1 worker is told (and
   * told again on every tick until it acks). In secure mode only a worker registered with the
   * requester's own key is found, as a job is only its owner's to kill.
   */
  private onWorkerOrder(client: Frame, verb: 'DRAIN' | 'STOP', instance: string, principal?: Principal): void {
    const targets = [...this.workers.values()].filter((worker) => worker.instance === instance && (principal === undefined || worker.principal?.key === principal.key));
    if (targets.length > 0) {
      const key = orderKey(principal, instance);
      const order = this.standingOrders.get(key) === 'STOP' ? 'STOP' : verb;
      // Re-inserted, so the map's order is the orders' age and the oldest go first.
      this.standingOrders.delete(key);
      this.standingOrders.set(key, order);
      for (const oldest of this.standingOrders.keys()) {
        if (this.standingOrders.size <= MAX_STANDING_ORDERS) break;
        this.standingOrders.delete(oldest);
      }
    }
    for (const worker of targets) {
      if (worker.order?.verb !== 'STOP') worker.order = { verb, acked: false };
      const service = this.serviceNamed(worker.service);
      const idleAt = service.idle.indexOf(worker);
      if (idleAt >= 0) service.idle.splice(idleAt, 1);
      this.log.info({ worker: worker.id, instance, verb: worker.order.verb, busy: worker.current !== undefined }, 'worker ordered to drain or stop');
      if (worker.khc) this.send([worker.identity, ...encodeControl({ kind: 'control', instruction: worker.order.verb })]);
      else if (worker.current === undefined) this.makeIdle(worker, service);
    }
    this.send([client, ...encodeWorkerControlAnswer(verb, instance, targets.length > 0 ? 'ok' : 'unknown')]);
  }

  /** Every tick: CONTROL KILL for each pending kill not acked, DRAIN/STOP for each order not acked. */
  private repeatControl(): void {
    for (const job of this.killsPending) if (!job.kill?.fireAndForget) this.sendKill(job);
    for (const worker of this.workers.values()) {
      if (worker.current?.processingTimeout === 'killing' && worker.current.kill === undefined) this.sendTimeoutKill(worker, worker.current);
      if (worker.khc && worker.order !== undefined && !worker.order.acked) this.send([worker.identity, ...encodeControl({ kind: 'control', instruction: worker.order.verb })]);
    }
  }

  /** A KHC/1 worker's inventory heartbeat, answered with the instructions that bring it in line with the broker. */
  private reconcile(worker: WorkerRecord, inventory: Inventory): void {
    if (inventory.state === 'draining' && worker.order === undefined) {
      // It drains by itself (its operator, or an order this broker life never saw): no job for it.
      worker.order = { verb: 'DRAIN', acked: true };
      const idle = this.serviceNamed(worker.service).idle;
      if (idle.includes(worker)) idle.splice(idle.indexOf(worker), 1);
    }
    const instructions = reconcileInventory(inventory, {
      held: (hex) => this.heldVerdict(worker, hex),
      runningHasPendingKill: (hex) => this.adoptKill(worker, hex),
      orderDue: () => (worker.order !== undefined && !worker.order.acked ? worker.order.verb : undefined),
    });
    for (const instruction of instructions) this.send([worker.identity, ...encodeControl(instruction)]);
  }

  private heldVerdict(worker: WorkerRecord, hex: string): HeldVerdict {
    const candidates = this.jobsByAddress.get(hex);
    if (candidates === undefined) return 'drop';
    for (const job of candidates) if (this.heldBy(worker, job)) return job.completing ? 'keep' : 'resend';
    return 'keep';
  }

  /**
   * Whether the job `worker` says it runs has a pending kill it must hear of. A worker that lost its
   * connection and came back still running the job (its instance held it) becomes the one whose ack
   * counts: the kill must not be answered `killed` while a run goes on.
   */
  private adoptKill(worker: WorkerRecord, hex: string): boolean {
    for (const job of this.jobsByAddress.get(hex) ?? []) {
      if (job.kill === undefined || job.completing || job.kill.fireAndForget || !this.heldBy(worker, job)) continue;
      const holder = job.holder === undefined ? undefined : this.workers.get(job.holder);
      if (holder !== undefined && holder !== worker) return false;
      job.holder = worker.id;
      job.kill.stopGrace();
      return job.kill.durable && !job.kill.cannot;
    }
    return false;
  }

  private inspectJob(jobFrame: Frame, principal?: Principal): JobInspection {
    const id = jobFrame.toString('latin1');
    if (jobIdProblem(jobFrame) !== undefined) return { job: id, state: 'unknown' };
    const owner = principal?.key ?? '';
    const job = this.jobs.get(khxJobKey(owner, jobFrame));
    const holder = job?.holder === undefined ? undefined : this.workers.get(job.holder);
    return inspectJob(id, job, holder, this.store.lookup(scopedJobKey(owner, id)), monotonicNow(), Date.now());
  }

  /** A job enters the table (and the address index a REPLY is looked up in). */
  private track(job: Job): void {
    this.jobs.set(job.key, job);
    const address = job.address.toString('hex');
    let same = this.jobsByAddress.get(address);
    if (same === undefined) this.jobsByAddress.set(address, (same = new Set()));
    same.add(job);
  }

  private untrack(job: Job): void {
    this.jobs.delete(job.key);
    clearTimeout(job.deadlineTimer);
    job.kill?.stopGrace();
    this.killsPending.delete(job);
    const address = job.address.toString('hex');
    const same = this.jobsByAddress.get(address);
    same?.delete(job);
    if (same?.size === 0) this.jobsByAddress.delete(address);
  }

  /**
   * A reload took rights away: workers whose key may no longer register their service are dropped
   * (DISCONNECT; their job goes back to the queue). Clients' requests are refused message by message,
   * and answers to a revoked client are not sent (answer()).
   */
  private revoke(policy: Policy): void {
    for (const worker of [...this.workers.values()]) {
      if (worker.principal === undefined || policy.allows(worker.principal, 'register', worker.service)) continue;
      this.log.warn({ worker: worker.id, principal: worker.principal.name, service: worker.service }, 'the policy no longer lets this worker register its service: disconnecting');
      this.removeWorker(worker, { sendDisconnect: true, fellSilent: false });
    }
  }

  /** A message from a key no longer listed: if it came from a worker, that worker is gone. */
  private onRevokedSender(identity: Frame): void {
    const worker = this.workers.get(identity.toString('hex'));
    if (worker !== undefined) this.removeWorker(worker, { sendDisconnect: true, fellSilent: false });
  }

  /** The job leaves the broker's hands: out of the table and out of any queue. */
  private finish(job: Job): void {
    this.counters.replies++;
    this.untrack(job);
    this.release(job);
    this.dequeue(job);
  }

  private dequeue(job: Job): void {
    const service = this.services.get(job.service);
    if (service === undefined) return;
    const queued = service.queue.indexOf(job);
    if (queued >= 0) service.queue.splice(queued, 1);
  }

  private onWorkerHeartbeat(identity: Frame, principal?: Principal, inventory?: Inventory): void {
    const worker = this.knownWorker(identity, principal, 'HEARTBEAT');
    if (worker === undefined) return;
    worker.expiresAt = this.nextExpiry();
    // An inventory from a worker that was not welcomed as KHC/1 is a plain heartbeat.
    if (inventory !== undefined && worker.khc) this.reconcile(worker, inventory);
  }

  private onWorkerDisconnect(identity: Frame, principal?: Principal): void {
    const worker = this.workers.get(identity.toString('hex'));
    if (!worker || !this.sameKey(worker, principal) || this.options.defects?.includes('ignore-disconnect')) return;
    this.log.info({ worker: worker.id }, 'worker disconnected');
    // A worker that says goodbye holds no result for its job (it gives the job back), so no grace;
    // a KHX/1 worker's goodbye also says it did not run the job (docs/protocol.md).
    if (worker.khx && worker.current !== undefined) worker.current.mayHaveRun = false;
    this.removeWorker(worker, { sendDisconnect: false, fellSilent: false });
  }

  /**
   * Per 7/MDP, any command other than READY from an unregistered peer earns a DISCONNECT. In secure
   * mode so does one under a registered worker's routing identity but another key: a peer that took
   * over the identity of a worker whose connection is gone (a peer may choose its routing id).
   */
  private knownWorker(identity: Frame, principal: Principal | undefined, command: string): WorkerRecord | undefined {
    const worker = this.workers.get(identity.toString('hex'));
    if (worker !== undefined && this.sameKey(worker, principal)) return worker;
    if (worker !== undefined) this.counters.forbidden++;
    this.log.info({ worker: identity.toString('hex'), command, otherKey: worker !== undefined }, 'command from an unregistered worker: sending DISCONNECT');
    this.send([identity, ...encodeDisconnect()]);
    return undefined;
  }

  private sameKey(worker: WorkerRecord, principal: Principal | undefined): boolean {
    return worker.principal?.key === principal?.key;
  }

  private makeIdle(worker: WorkerRecord, service: Service): void {
    if (worker.order !== undefined) {
      // Drained: nothing more for it. A plain worker told to STOP cannot be told so: it is sent away.
      if (worker.order.verb === 'STOP' && !worker.khc) this.removeWorker(worker, { sendDisconnect: true, fellSilent: false });
      return;
    }
    service.idle.push(worker);
    this.dispatch(service);
  }

  /** `now`: the grace timer passes the reading its re-arm uses (onGraceEnd says why). */
  private dispatch(service: Service, now = monotonicNow()): void {
    if (service.idle.length === 0 || service.queue.length === 0) return;
    // Cluster mode: nothing goes out unless this broker serves (a stalled leader waits for its confirmation).
    if (!this.serving) return;
    for (let index = 0; index < service.queue.length && service.idle.length > 0; ) {
      if (this.options.defects?.includes('single-worker-per-service') && this.serviceBusy(service)) return;
      const job = service.queue[index];
      if (job.deadline !== undefined && tooLateToDispatch(job.deadline, this.timedMargin, Date.now())) {
        // This host's wall clock, read at the moment of dispatch: a broker that was frozen sees it here.
        this.endTimedJob(job, KhxStatus.Expired, 'never dispatched by its deadline');
        continue;
      }
      let worker: WorkerRecord | undefined;
      if (job.notBefore > now) {
        // In its grace, a job goes only to the worker that held it, back on a new connection: that
        // worker hands in the result it kept, or finishes the run it is in, or runs it if it never got it.
        const at = job.heldBy === undefined ? -1 : service.idle.findIndex((idle) => idle.instance === job.heldBy);
        if (at < 0) {
          index++;
          continue;
        }
        worker = service.idle.splice(at, 1)[0];
      } else {
        // A job a processing timeout took back goes to another worker when one is idle.
        const fresh = job.timedOutOn === undefined ? 0 : service.idle.findIndex((idle) => !job.timedOutOn!.has(idle.id));
        worker = service.idle.splice(Math.max(0, fresh), 1)[0];
      }
      service.queue.splice(index, 1);
      worker.current = job;
      job.holder = worker.id;
      job.attempts++;
      job.dispatchedAt = now;
      const processingTimeout = processingTimeoutFor(this.processingTimeouts, service.name);
      job.processingDeadline = processingTimeout === undefined ? undefined : now + processingTimeout;
      job.processingTimeout = undefined;
      if (worker.instance !== undefined) (job.instances ??= new Set()).add(instanceKey(worker));
      job.mayHaveRun = true;
      this.counters.dispatched++;
      // A KHT/1 worker gets the deadline and will not start the job at or after it.
      this.send([worker.identity, ...(job.deadline !== undefined && worker.kht ? encodeTimedRequest(job.address, job.deadline, job.body) : encodeRequest(job.address, job.body))]);
    }
  }

  /** Some worker of `service` holds a request (the seeded defect single-worker-per-service waits for it). */
  private serviceBusy(service: Service): boolean {
    return [...this.workers.values()].some((worker) => worker.service === service.name && worker.current !== undefined);
  }

  private removeWorker(worker: WorkerRecord, { sendDisconnect, fellSilent }: WorkerRemoval): void {
    if (sendDisconnect) this.send([worker.identity, ...encodeDisconnect()]);
    this.workers.delete(worker.id);
    this.plainRecorded.forget(worker.id);
    const service = this.serviceNamed(worker.service);
    service.workerCount--;
    const idleAt = service.idle.indexOf(worker);
    if (idleAt >= 0) service.idle.splice(idleAt, 1);
    const job = worker.current;
    worker.current = undefined;
    this.loseKillHolder(worker, job);
    if (job === undefined || job.completing || !this.jobs.has(job.key) || job.kill !== undefined) return;
    // give-up: never dispatched again; it may have run (504).
    if (job.deadline !== undefined) return this.endTimedJob(job, KhxStatus.GivenUp, 'the worker holding it was lost');
    if (job.bestEffort === true) {
      // At most once: a lost best-effort request is not re-queued.
      this.counters.bestEffortLost++;
      this.untrack(job);
      this.release(job);
      return;
    }
    if (fellSilent && this.options.defects?.includes('no-requeue-of-dead-workers-job')) {
      this.untrack(job);
      return;
    }
    // Back to the head of the queue: the job has waited longest of all. A KHX/1 worker that fell
    // silent may have finished it and be about to hand the result in, so the job waits out the grace.
    const now = monotonicNow();
    const graceForGivenBack = !fellSilent && this.options.defects?.includes('grace-for-given-back') === true;
    if ((fellSilent || graceForGivenBack) && worker.khx) {
      job.notBefore = now + this.resultGrace;
      job.heldBy = worker.instance;
    }
    service.queue.unshift(job);
    this.armGraceTimer();
    this.counters.requeued++;
    this.log.info({ worker: worker.id, service: service.name, job: printable(jobIdFrame(job)), holdMs: job.notBefore - now }, 're-queued the job the worker held');
    this.dispatch(service);
  }

  /** One timer, for the earliest grace still running: every dispatch pass re-checks them all. */
  private armGraceTimer(now = monotonicNow()): void {
    clearTimeout(this.graceTimer);
    let earliest = Infinity;
    for (const service of this.services.values()) for (const job of service.queue) if (job.notBefore > now) earliest = Math.min(earliest, job.notBefore);
    if (earliest !== Infinity) this.graceTimer = setTimeout(() => this.onGraceEnd(), earliest - now + 1);
  }

  /**
   * Node runs timers on libuv's loop time, whole milliseconds read when the loop last woke, so a
   * grace timer can fire a millisecond or more before the grace ends on the monotonic clock (more
   * on a loaded machine, where the loop woke longer ago). The pass and the re-arm then share one
   * reading: a job still in its grace is re-armed for, one past it was offered to the idle workers.
   * With two readings, a grace ending between them was neither, and the job sat in the queue
   * beside an idle worker until some other event dispatched (a KHX/1 test under load caught it).
   */
  private onGraceEnd(): void {
    const now = monotonicNow();
    for (const service of this.services.values()) this.dispatch(service, now);
    this.armGraceTimer(now);
  }

  /**
   * A message the ROUTER could not route: nothing is connected under that routing id any more. For a
   * worker that means its connection closed (it died, or reconnected under a new id while this broker
   * was frozen): gone now, not a liveness period later, which is how long a job dispatched to such a
   * ghost would otherwise sit. A REQUEST that could not go never reached it, so that job needs no
   * grace; any other message means the worker may hold a result for its job (it keeps it and hands it
   * in when back), as for one that fell silent. A client that closed its socket: its answer is dropped,
   * as any, and it asks again.
   */
  private onUnroutable([identity, ...frames]: Frame[]): void {
    if (identity === undefined) return;
    const worker = this.workers.get(identity.toString('hex'));
    if (worker === undefined) return;
    const command = frames[2]?.[0];
    const requestLost = command === WorkerCommand.Request || command === WorkerCommand.TimedRequest;
    this.log.info({ worker: worker.id, service: worker.service, unsent: commandName(command ?? 0) }, 'worker unreachable: its connection is gone');
    this.removeWorker(worker, { sendDisconnect: false, fellSilent: !requestLost });
  }

  private onHeartbeatTick(): void {
    this.repeatControl();
    const now = monotonicNow();
    this.excuseOwnStall(now);
    for (const worker of [...this.workers.values()]) {
      if (worker.expiresAt < now) {
        this.log.info({ worker: worker.id, service: worker.service }, 'worker expired');
        this.removeWorker(worker, { sendDisconnect: true, fellSilent: true });
      } else if (!(worker.current && this.options.defects?.includes('no-heartbeat-to-busy-workers'))) {
        this.send([worker.identity, ...encodeHeartbeat()]);
      }
    }
    this.takeBackOverdueJobs(now);
    for (const service of this.services.values()) this.expireRequests(service, now);
    this.giveUpPastDeadline(now);
    this.removeEmptyServices();
    // A cluster follower's table changes only by what its leader commits.
    if (this.serving) this.store.expire();
  }

  /**
   * A tick more than an interval late means this process did not run meanwhile (CPU starvation, a
   * long GC pause, SIGSTOP). Heartbeats sent to it then are still unread in its socket (the timer
   * runs before the socket is read), or were never sent by peers starved beside it, so that time is
   * not the workers' silence: their deadlines move on by the stall, rather than every live worker
   * expiring the moment the broker wakes and its job running again elsewhere. Jitter below one
   * interval is not excused. Request expiry and the job deadline are time the clients waited, and
   * stay as they are.
   */
  private excuseOwnStall(now: number): void {
    const late = now - this.lastTickAt - this.options.heartbeatInterval;
    this.lastTickAt = now;
    if (late <= this.options.heartbeatInterval) return;
    for (const worker of this.workers.values()) {
      worker.expiresAt += late;
      // Nor is it time the worker spent on its job.
      if (worker.current?.processingDeadline !== undefined) worker.current.processingDeadline += late;
    }
    this.log.warn({ stalledMs: Math.round(late) }, 'the broker stalled: worker liveness deadlines moved on by the stall');
  }

  /**
   * Drops requests that waited too long for a worker. A KHX/1 job is told 410 (did not run, will not
   * run), so only one that never went to a worker (or was given back unrun) may expire: one that may
   * have run waits for a worker however long it takes. A plain request has no such promise to keep.
   */
  private expireRequests(service: Service, now: number): void {
    if (this.options.defects?.includes('never-expire-requests')) return;
    const deadline = now - this.options.requestExpiry;
    const expired = service.queue.filter((job) => job.queuedAt < deadline && (job.id === undefined || !job.mayHaveRun));
    if (expired.length === 0) return;
    const gone = new Set(expired);
    service.queue = service.queue.filter((job) => !gone.has(job));
    for (const job of expired) {
      this.untrack(job);
      this.release(job);
      if (job.record === undefined) {
        if (job.deadline !== undefined) this.answer(job, encodeJobReply(job.service, jobIdFrame(job), KhxStatus.Expired));
        continue;
      }
      job.completing = true;
      this.store.abandon(job.record).then(
        () => {
          if (this.server.serving) this.answer(job, encodeJobReply(job.service, jobIdFrame(job), KhxStatus.Expired));
        },
        (error: unknown) => this.onJournalFailure(error),
      );
    }
    this.counters.expiredRequests += expired.length;
    this.log.info({ service: service.name, expired: expired.length }, 'dropped requests that waited too long for a worker');
  }

  /**
   * The job deadline (docs/limits.md): a job that may have run and still has no result long
   * after it was accepted (its worker swallowed it, or died and no worker of its service ever came
   * back) is given up, so it neither stays pending forever nor runs again. Its waiter hears 504, and
   * a worker still holding it is disconnected: a worker that sits on one job that long is stuck.
   */
  private giveUpPastDeadline(now: number): void {
    const deadline = now - this.limits.jobDeadline;
    for (const job of [...this.jobs.values()]) {
      if (job.completing || !job.mayHaveRun || job.queuedAt >= deadline) continue;
      const record = job.record;
      job.completing = true;
      this.untrack(job);
      this.release(job);
      this.dequeue(job);
      this.counters.givenUp++;
      const holder = [...this.workers.values()].find((worker) => worker.current === job);
      if (holder !== undefined) {
        holder.current = undefined;
        this.removeWorker(holder, { sendDisconnect: true, fellSilent: false });
      }
      this.log.warn({ job: printable(jobIdFrame(job)), service: printable(Buffer.from(job.service)), ageMs: now - job.queuedAt, heldBy: holder?.id ?? null }, 'gave up a job past its deadline: it may have run and will not run again');
      // A plain 7/MDP request has no status to tell: its client has long timed out.
      if (record === undefined) continue;
      this.store.giveUp(record).then(
        () => {
          if (!this.server.serving) return;
          this.answer(job, encodeJobReply(job.service, jobIdFrame(job), KhxStatus.GivenUp));
          job.kill?.answerAll('finished', (frames) => this.send(frames));
        },
        (error: unknown) => this.onJournalFailure(error),
      );
    }
  }

  /** A service with no worker and nothing queued is forgotten: requests naming services nobody serves must not pile up entries. */
  private removeEmptyServices(): void {
    for (const [name, service] of this.services) if (service.workerCount === 0 && service.queue.length === 0) this.services.delete(name);
  }

  /** Why a new request from `client` for `service` is refused, with the KHX/1 status that says so; undefined to admit it. */
  private admissionProblem(client: Frame, service: string): { status: KhxStatus; reason: string } | undefined {
    if ((this.inHandByPeer.get(client.toString('hex')) ?? 0) >= this.limits.maxRequestsPerPeer) {
      return { status: KhxStatus.TooManyRequests, reason: `this peer has ${this.limits.maxRequestsPerPeer} requests in the broker's hands already` };
    }
    if (!this.hasRoomFor(service)) return { status: KhxStatus.Unavailable, reason: `the service table is full (${this.limits.maxServices} services)` };
    return undefined;
  }

  private hasRoomFor(service: string): boolean {
    if (this.services.has(service) || this.services.size < this.limits.maxServices) return true;
    this.removeEmptyServices();
    return this.services.size < this.limits.maxServices;
  }

  private refuse(peer: Frame, service: string, reason: string): void {
    this.counters.refused++;
    this.log.warn({ peer: printable(peer), service: printable(Buffer.from(service)), reason }, 'refused a request past a bound');
  }

  /** Counts the job against its sender's quota until release(). */
  private owned(job: Job, client: Frame): Job {
    job.owner = client.toString('hex');
    this.inHandByPeer.set(job.owner, (this.inHandByPeer.get(job.owner) ?? 0) + 1);
    return job;
  }

  private release(job: Job): void {
    if (job.owner === undefined) return;
    const left = (this.inHandByPeer.get(job.owner) ?? 1) - 1;
    if (left > 0) this.inHandByPeer.set(job.owner, left);
    else this.inHandByPeer.delete(job.owner);
    job.owner = undefined;
  }

  /**
   * After a failed write or fdatasync nothing about the journal can be trusted (docs/journal.md), and
   * a broker that went on would acknowledge what it cannot keep: it stops serving instead, and its
   * owner (the CLI) exits so that a supervisor restarts it on a re-read journal.
   */
  private onJournalFailure(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (!this.server.fail(failure)) return;
    this.log.error({ err: failure }, 'journal failed: the broker stops serving');
    void this.close();
  }

  private nextExpiry(): number {
    return monotonicNow() + this.options.heartbeatInterval * this.options.heartbeatLiveness;
  }

  private serviceNamed(name: string): Service {
    let service = this.services.get(name);
    if (!service) {
      service = { name, idle: [], queue: [], workerCount: 0 };
      this.services.set(name, service);
      if (this.options.defects?.includes('mmi-keeps-services')) this.heardOf.add(name);
    }
    return service;
  }

  private send(frames: Frame[]): void {
    const cluster = this.options.cluster;
    // KHR/1: a client that asked in KHRC01 gets its job replies in KHRC01, stamped with the term.
    if (cluster !== undefined && frames.length > 2 && this.khrClients.has(frames[0].toString('hex'))) {
      this.server.send([frames[0], ...khrReplyOf(frames.slice(1), cluster.servingTerm)]);
      return;
    }
    this.server.send(frames);
  }
}

/** A KHX/1 worker instance as the job remembers it: its self-chosen instance id, bound to its key in secure mode. */
function instanceKey(worker: WorkerRecord): string {
  return `${worker.principal?.key ?? ''}:${worker.instance ?? ''}`;
}

/** The job id as its client sent it, for the client's job reply (the worker sees `address`, which differs for an owned job). */
function jobIdFrame(job: Job): Frame {
  return job.id === undefined ? job.address : Buffer.from(job.id, 'latin1');
}

/** The job-table key of a KHX/1 job: its owner's key and its id (hex), so owners' ids never collide. */
function khxJobKey(owner: string, address: Frame): string {
  return owner === '' ? address.toString('hex') : `${owner}:${address.toString('hex')}`;
}

/** How often a KILL waits for a job's record to settle before it gives up answering (onKill). */
const MAX_KILL_RECHECKS = 3;

/** A killed job's reply (KHC/1): it did not complete and will not run. */
function killedReply(service: string, job: Frame): Frame[] {
  return encodeJobReply(service, job, KhxStatus.Killed, [Buffer.from('killed on request: it did not complete and will not run')]);
}

/** The KILL outcome a job's recorded ending stands for: a result (or a give-up past the deadline: it may have run) is `finished`. */
function killOutcomeOf(state: 'completed' | 'abandoned' | 'given-up' | 'killed' | 'pending' | undefined): KillOutcome {
  switch (state) {
    case 'completed':
    case 'given-up':
      return 'finished';
    case 'abandoned':
    case 'killed':
      return 'killed';
    default:
      return 'unknown';
  }
}

/** A job address as text: the KHX/1 job id it is, or (a broker-made or secure-mode address) its bytes in hex. */
function addressText(address: Frame): string {
  const text = address.toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) ? text : `0x${address.toString('hex')}`;
}
