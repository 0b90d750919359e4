import { decodeAtWorker, encodeDisconnect, encodeHeartbeat, encodeLate, encodeReady, encodeReply, KHR_EXTENSION, KHT_EXTENSION, KHX_EXTENSION, MdpDecodeError, printable, type Frame } from './mdp/codec';
import type { WorkerDefect } from './defects';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from './util/log';
import { ReconnectingDealer } from './net/reconnecting-dealer';
import { decodeOrDrop } from './net/decode';
import type { PeerSecurity } from './security/peer-security';
import { encodeControlAck, encodeInventory, KHC_EXTENSION, MAX_INVENTORY_BYTES, type ControlAck, type ControlMessage } from './mdp/control-codec';
import { Lease, LeaseLostError } from './control/lease';
import { RunningJob, type JobContext } from './control/running-job';
import { RecentKeys } from './control/recent-keys';
import { monotonicNow } from './util/monotonic-clock';
import type { BrokerRoutes } from './cluster/broker-routes';
import { askLeaderEndpoint } from './leader-lookup';
import { DEFAULT_WORKER_OPTIONS } from './node-defaults';

export { DEFAULT_WORKER_OPTIONS };

export type { JobContext } from './control/running-job';

/**
 * Runs one job: resolves with the reply body once its effect is committed, or rejects (it did not
 * commit). `job` is optional to use: a handler that ignores it keeps working as before.
 */
export type Handler = (body: Frame[], job: JobContext) => Promise<Frame[]>;

export interface WorkerOptions {
  /**
   * The broker to connect to, e.g. `tcp://127.0.0.1:5555`; KHR/1: several, comma-separated (a
   * cluster's client endpoints): the worker registers with one at a time and moves to the next on
   * DISCONNECT or a silent broker.
   */
  broker: string;
  /** Declare KHR/1 (TERM and fencing by term) in READY. Default: on when `broker` names several endpoints. */
  khr?: boolean;
  /** KHR/1: how this worker reaches each broker by node id (reference/cluster/broker-routes.ts): a leader a TERM names is gone to there next. */
  routes?: BrokerRoutes;
  /** Seeded defects (defects.ts): only for proving the suite catches them. */
  defects?: readonly WorkerDefect[];
  service: string;
  handler: Handler;
  /** Milliseconds between heartbeats sent to the broker. */
  heartbeatInterval: number;
  /** Heartbeat periods of silence after which the broker is taken for dead. */
  heartbeatLiveness: number;
  /** First reconnect delay in ms; it doubles (with jitter) up to `reconnectMax`. */
  reconnectInitial: number;
  reconnectMax: number;
  /**
   * Speak the KHX/1 extension (default true): declare it in READY and, with a broker that answers
   * the declaration, keep each result until the broker says it is recorded. Turn off for a strict
   * 7/MDP broker that refuses a READY with a fifth frame.
   */
  khx?: boolean;
  /** At most this many results are kept waiting for RECORDED; the oldest go first (default 10000). */
  maxHeldResults?: number;
  /**
   * Speak the KHC/1 control extension (default: on whenever `khx` is): declare it in READY after the
   * instance id, and after the broker's control welcome send inventory heartbeats and obey CONTROL.
   */
  khc?: boolean;
  /** STOP from the broker: how long the running job may take to finish before DISCONNECT goes anyway (default 60 s). */
  stopDrainMs?: number;
  /** Called once a stop the broker asked for (CONTROL STOP) is done: the socket is closed. The CLI exits 0. */
  onStopped?: () => void;
  logger?: Logger;
  /** Secure mode (docs/security.md): CURVE to the broker's key and the KHA/1 envelope on every message. */
  security?: PeerSecurity;
}

/**
 * KHT/1: a timed job is not started this close to its deadline. The client reports its give-up at the
 * deadline; a start just before it could be recorded after that report, so the worker keeps clear.
 */
export const LATE_START_MARGIN = 20;


/**
 * A 7/MDP worker. It runs one request at a time, heartbeats while it works, and when the broker
 * falls silent or sends DISCONNECT it drops its socket and registers again on a fresh one.
 */
export class MajordomoWorker {
  /** The connection to the broker; its generation tells a reply computed for an old connection from one for the current. */
  private readonly dealer: ReconnectingDealer;
  /** Handler failures in a row: they space out re-registration, so a request that always fails cannot spin. */
  private failures = 0;
  private readonly log: Logger;
  private readonly work: Frame[][] = [];
  /** KHT/1: the deadline of each queued timed job, by address (hex). */
  private readonly deadlines = new Map<string, number>();
  private working = false;
  /** A graceful stop is under way: requests that still arrive are left to the broker's re-queue. */
  private stopping = false;
  /** KHX/1: results the broker has not yet recorded, by job address (hex), oldest first. */
  private readonly held = new Map<string, { address: Frame; reply: Frame[] }>();
  /** The generation whose broker welcomed us as a KHX/1 worker; results go out on it. */
  private welcomedGeneration = -1;
  /** Some broker session said it speaks KHX/1: from then on results are kept until recorded. */
  private brokerSpeaksKhx = false;
  /** KHX/1: names this worker process across its connections, so the broker can give a job back to it. */
  private readonly instance = randomUUID();
  /** KHC/1: the generation whose broker sent the control welcome; inventory and acks go out only on it. */
  private controlGeneration = -1;
  /** The job the handler runs now, if any. */
  private running?: RunningJob;
  /** Jobs this worker stopped on a KILL: a KILL again is acked `killed` again. */
  private readonly killed = new RecentKeys(1000);
  /** KHC/1 DRAIN or STOP: finish the running job, take no more. */
  private draining = false;
  private readonly lease: Lease;
  /** When the last command went to the broker (monotonic ms): a plain heartbeat right after one is redundant. */
  private lastSent = Number.NEGATIVE_INFINITY;
  /** KHR/1: the highest term any broker told this worker (TERM). */
  private highestTerm = 0;
  /** KHR/1: the term the current session's broker declared, once it did. */
  private sessionTerm?: { generation: number; term: number };
  /** KHR/1: the term of the session each queued job came on, by address (hex). */
  private readonly jobTerms = new Map<string, number>();
  private readonly endpoints: string[];
  private readonly khr: boolean;
  /** KHR/1: where the leader the last TERM named is reached (by a route), when that is not this session's broker: the next session goes there. */
  private leaderRoute?: string;
  /** KHR/1: the last TERM named a leader this worker has no route to: its endpoint is asked of this session's broker (`mmi.khr`) on DISCONNECT. */
  private unroutedLeader?: { generation: number; id: string };
  /** KHR/1: messages dropped because their session's term was below one already seen. */
  readonly fencing = { staleDropped: 0 };

  constructor(private readonly options: WorkerOptions) {
    this.log = options.logger ?? silentLogger();
    this.lease = new Lease(options.heartbeatInterval * options.heartbeatLiveness);
    this.endpoints = options.broker.split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
    this.khr = options.khx !== false && (options.khr ?? this.endpoints.length > 1);
    this.dealer = new ReconnectingDealer({
      endpoint: this.endpoints[0] ?? options.broker,
      endpoints: this.endpoints,
      heartbeatInterval: options.heartbeatInterval,
      // The seeded defect: no silence is ever long enough to give the broker up.
      heartbeatLiveness: options.defects?.includes('never-reconnect-on-silence') ? Number.POSITIVE_INFINITY : options.heartbeatLiveness,
      reconnectInitial: options.reconnectInitial,
      reconnectMax: options.reconnectMax,
      self: 'worker',
      peer: 'broker',
      log: this.log,
      security: options.security,
      onConnect: () => this.register(),
      onMessage: (frames) => this.onMessage(frames),
      onTick: () => this.heartbeat(),
      // Queued requests came from the old session; their replies could not be routed any more.
      onDisconnect: () => {
        this.work.length = 0;
        this.deadlines.clear();
        this.jobTerms.clear();
      },
    });
  }

  start(): void {
    this.lease.start();
    this.dealer.start();
    this.log.info({ instance: this.instance, service: this.options.service }, 'worker instance');
  }

  /** The id this process declares in READY (KHX/1): the name an operator gives `keelhaul drain`/`stop-worker`. */
  get instanceId(): string {
    return this.instance;
  }

  private get speaksKhc(): boolean {
    return this.options.khx !== false && this.options.khc !== false;
  }

  close(): void {
    this.lease.stop();
    this.dealer.close();
  }

  /**
   * A graceful stop (SIGTERM, stdin closed): no new request is taken, the one running may finish
   * within `graceMs` and its reply goes in, then DISCONNECT tells the broker at once that this worker
   * is gone (7/MDP: it sends nothing more, and re-queues a request it sent meanwhile, which this
   * worker dropped unrun), and the socket closes once DISCONNECT is out (within a heartbeat interval).
   */
  async stop(graceMs = this.options.heartbeatInterval * this.options.heartbeatLiveness): Promise<void> {
    this.stopping = true;
    this.work.length = 0;
    const deadline = monotonicNow() + graceMs;
    while (this.working && monotonicNow() < deadline) await sleep(Math.min(5, graceMs));
    this.log.info({ finished: !this.working }, 'stopping: sending DISCONNECT');
    // A broker that is alive has it within a heartbeat; one that is not must not hold the exit up.
    await this.dealer.closeAfter(encodeDisconnect(), Math.min(this.options.heartbeatInterval, Math.max(1, deadline - monotonicNow())));
    this.lease.stop();
  }

  private get generation(): number {
    return this.dealer.generation;
  }

  private register(): void {
    // KHT/1 rides on KHX/1's instance id: timed jobs then come with their deadline (TIMED-REQUEST).
    const base = this.options.khx === false ? [] : this.speaksKhc ? [KHX_EXTENSION, this.instance, KHC_EXTENSION, KHT_EXTENSION] : [KHX_EXTENSION, this.instance, KHT_EXTENSION];
    // KHR/1 comes last, after every other extension token (the seeded defect puts it before KHT/1).
    const extensions = !this.khr ? base : this.options.defects?.includes('khr-declared-early') === true ? [...base.slice(0, -1), KHR_EXTENSION, ...base.slice(-1)] : [...base, KHR_EXTENSION];
    this.send(encodeReady(this.options.service, extensions));
    this.log.info({ broker: this.dealer.endpoint, service: this.options.service, generation: this.generation }, 'registering with broker');
  }

  private onMessage(frames: Frame[]): void {
    const message = decodeOrDrop(frames, decodeAtWorker, MdpDecodeError, (error) => this.log.warn({ reason: error.reason }, 'dropped malformed message from broker'));
    if (message === undefined) return;
    if (message.kind === 'term') return this.onTerm(message.term, message.leader);
    if ((message.kind === 'request' || message.kind === 'recorded' || message.kind === 'control') && this.sessionIsStale()) {
      this.fencing.staleDropped++;
      this.log.warn({ kind: message.kind, sessionTerm: this.sessionTerm?.term, highestTerm: this.highestTerm }, 'dropped a message from a broker of a lower term (fencing)');
      return;
    }
    this.lease.renew();
    switch (message.kind) {
      case 'heartbeat':
        return;
      case 'disconnect':
        if (this.options.defects?.includes('ignore-broker-disconnect')) {
          this.log.warn('seeded defect ignore-broker-disconnect: DISCONNECT ignored, staying on this socket');
          return;
        }
        this.log.info('broker sent DISCONNECT: registering again');
        // KHR/1: a follower names the leader in its TERM before it disconnects: straight there, if this worker has a route to it.
        // Otherwise the next broker may be a follower that disconnects at once too; a short pause keeps the round robin from spinning.
        void this.dealer.reconnect(this.khr || this.endpoints.length > 1 ? this.options.reconnectInitial : 0, this.takeLeaderTarget());
        return;
      case 'recorded':
        return this.onRecorded(message.jobs);
      case 'request': {
        const kept = this.welcomedGeneration === this.generation ? this.keptResult(message.client) : undefined;
        if (kept !== undefined) {
          // The broker lost track of a result we still hold (it restarted): hand it in, do not run it again.
          this.log.info({ job: printable(message.client) }, 'request for a job already done: sending the kept result');
          this.send(encodeReply(kept.address, kept.reply));
          return;
        }
        // Draining: the broker sends nothing more; one that crossed the DRAIN is left unrun (it is the broker's to re-queue).
        if (this.stopping || this.draining) return;
        if (message.deadline !== undefined) this.deadlines.set(message.client.toString('hex'), message.deadline);
        if (this.sessionTerm?.generation === this.generation) this.jobTerms.set(message.client.toString('hex'), this.sessionTerm.term);
        this.work.push([message.client, ...message.body]);
        void this.drainWork();
        return;
      }
      case 'control':
        return this.onControl(message);
    }
  }

  /**
   * KHR/1 TERM: the session's broker declares its term. Higher than any seen: remembered. Lower: this
   * broker is a deposed leader; nothing it sends is obeyed, and the worker moves to the next endpoint.
   */
  private onTerm(term: number, leader: string): void {
    this.sessionTerm = { generation: this.generation, term };
    if (term >= this.highestTerm || this.noFencing) {
      this.highestTerm = Math.max(this.highestTerm, term);
      this.lease.renew();
      const route = leader === '' ? undefined : this.options.routes?.get(leader);
      this.leaderRoute = route !== undefined && route !== this.dealer.endpoint ? route : undefined;
      this.unroutedLeader = leader !== '' && route === undefined ? { generation: this.generation, id: leader } : undefined;
      this.log.info({ term, leader, broker: this.dealer.endpoint, ...(this.leaderRoute === undefined ? {} : { leaderRoute: this.leaderRoute }) }, 'broker term');
      return;
    }
    this.fencing.staleDropped++;
    this.log.warn({ term, highestTerm: this.highestTerm, broker: this.dealer.endpoint }, 'broker of a lower term (deposed leader): moving to the next broker');
    void this.dealer.reconnect(0);
  }

  /**
   * Where the leader a TERM of this session named is reached, once (a later session starts from its own
   * TERM): its route; else, revision 3, the endpoint this session's broker names in `mmi.khr`, asked
   * once the socket is closed and bounded by a liveness period; else nothing (the round robin goes on).
   * Only a broker that never welcomed this session (a follower turning it away) is asked: a leader that
   * served it and then disconnects may be going down, and would only hold the worker up.
   */
  private takeLeaderTarget(): string | (() => Promise<string | undefined>) | undefined {
    const current = this.sessionTerm?.generation === this.generation;
    const route = current ? this.leaderRoute : undefined;
    const turnedAway = current && this.welcomedGeneration !== this.generation && this.unroutedLeader?.generation === this.generation;
    const unrouted = turnedAway ? this.unroutedLeader?.id : undefined;
    this.leaderRoute = undefined;
    this.unroutedLeader = undefined;
    if (route !== undefined || unrouted === undefined) return route;
    const asked = this.dealer.endpoint;
    return async () => {
      const leader = await askLeaderEndpoint(asked, { timeout: this.options.heartbeatInterval * this.options.heartbeatLiveness, security: this.options.security, logger: this.log });
      if (leader === undefined || leader === asked) return undefined;
      this.log.info({ leader: unrouted, endpoint: leader, asked }, 'no route to the leader TERM named: going to the endpoint mmi.khr names');
      return leader;
    };
  }

  private get noFencing(): boolean {
    return this.options.defects?.includes('no-fencing') === true;
  }

  /** This session's broker declared a term below one already seen. */
  private sessionIsStale(): boolean {
    if (this.noFencing || this.sessionTerm === undefined || this.sessionTerm.generation !== this.generation) return false;
    return this.sessionTerm.term < this.highestTerm;
  }

  /** KHC/1 (docs/protocol.md, "Control"): every instruction is idempotent, so a repeat is answered as the first. */
  private onControl(message: ControlMessage): void {
    switch (message.instruction) {
      case undefined:
        if (!this.speaksKhc) return;
        if (this.controlGeneration !== this.generation) this.log.info({ generation: this.generation }, 'broker speaks KHC/1: control welcome');
        this.controlGeneration = this.generation;
        return;
      case 'KILL':
        return this.onKill(message.job);
      case 'DROP':
        for (const job of message.jobs) this.held.delete(job.toString('hex'));
        return;
      case 'RESEND':
        for (const job of message.jobs) {
          const kept = this.held.get(job.toString('hex'));
          if (kept !== undefined && this.welcomedGeneration === this.generation) this.send(encodeReply(kept.address, kept.reply));
        }
        return;
      case 'DRAIN':
        if (!this.draining) this.log.info('broker asked to drain: finishing the running job, taking no more');
        this.draining = true;
        this.work.length = 0;
        this.ack({ kind: 'control-ack', instruction: 'DRAIN', outcome: 'draining' });
        return;
      case 'STOP':
        this.ack({ kind: 'control-ack', instruction: 'STOP', outcome: 'stopping' });
        if (this.draining && this.stopping) return;
        this.log.info('broker asked to stop: draining, then DISCONNECT and exit');
        this.draining = true;
        this.work.length = 0;
        void this.stop(this.options.stopDrainMs ?? 60_000).then(() => this.options.onStopped?.());
        return;
    }
  }

  private onKill(address: Frame): void {
    const key = address.toString('hex');
    const kill = (outcome: 'killed' | 'finished' | 'absent' | 'cannot'): void => this.ack({ kind: 'control-ack', instruction: 'KILL', job: address, outcome });
    if (this.running?.key === key) {
      this.log.info({ job: printable(address) }, 'broker asked to kill the running job');
      // A stoppable handler's outcome decides the ack (drainWork); an unstoppable one runs on.
      if (!this.running.kill()) kill('cannot');
      return;
    }
    const kept = this.held.get(key);
    if (kept !== undefined) {
      // Too late: the result is committed. The REPLY goes first, so the broker has it when it reads the ack.
      if (this.welcomedGeneration === this.generation) this.send(encodeReply(kept.address, kept.reply));
      return kill('finished');
    }
    const queued = this.work.findIndex(([client]) => client.equals(address));
    if (queued >= 0) {
      this.work.splice(queued, 1);
      this.killed.add(key);
    }
    kill(this.killed.has(key) ? 'killed' : 'absent');
  }

  /** CONTROL-ACKs go out only on the session whose broker sent the control welcome. */
  private ack(ack: ControlAck): void {
    if (this.controlGeneration !== this.generation) {
      this.log.debug({ instruction: ack.instruction }, 'no control welcome on this session: ack not sent');
      return;
    }
    this.send(encodeControlAck(ack));
  }

  /** After the control welcome each heartbeat carries the inventory, so the broker can reconcile what it believes. */
  private heartbeat(): void {
    if (this.running !== undefined && this.options.defects?.includes('no-heartbeat-while-busy')) return;
    if (this.controlGeneration !== this.generation) {
      // 7/MDP: peers SHOULD NOT send HEARTBEAT while also sending other commands (any command is one).
      // Only a command within the last quarter interval stands in for it: skipping on anything older
      // would stretch the broker's silence towards two intervals, too close to its liveness under jitter.
      const redundant = monotonicNow() - this.lastSent < this.options.heartbeatInterval / 4;
      if (redundant && !this.options.defects?.includes('redundant-heartbeats')) return;
      return this.send(encodeHeartbeat());
    }
    // No more than could fit (an address is at least 2 hex digits, 5 bytes with quotes and comma); encodeInventory trims the rest.
    const held: string[] = [];
    for (const key of this.held.keys()) {
      if (held.length >= MAX_INVENTORY_BYTES / 5) break;
      held.push(key);
    }
    const inventory = encodeInventory({ running: this.running?.key ?? null, held, more: this.held.size - held.length, state: this.draining ? 'draining' : 'ready' });
    this.send(encodeHeartbeat(inventory));
  }

  /** The first RECORDED of a session is the broker's welcome: every kept result goes in again. */
  private onRecorded(jobs: Frame[]): void {
    for (const job of jobs) this.held.delete(job.toString('hex'));
    if (this.welcomedGeneration === this.generation) return;
    this.welcomedGeneration = this.generation;
    this.brokerSpeaksKhx = true;
    if (this.held.size > 0) this.log.info({ results: this.held.size }, 'broker speaks KHX/1: handing in kept results');
    for (const { address, reply } of this.held.values()) this.send(encodeReply(address, reply));
  }

  /** The result kept for a job (KHX/1 worker rule 4 answers a repeated REQUEST with it). */
  private keptResult(address: Frame): { address: Frame; reply: Frame[] } | undefined {
    if (this.options.defects?.includes('rerun-repeated-job')) return undefined;
    return this.held.get(address.toString('hex'));
  }

  private keep(address: Frame, reply: Frame[]): void {
    const limit = this.options.maxHeldResults ?? 10_000;
    while (this.held.size >= limit) {
      const oldest = this.held.keys().next().value as string;
      this.held.delete(oldest);
      this.log.warn({ job: oldest, limit }, 'too many results waiting for RECORDED: dropped the oldest');
    }
    this.held.set(address.toString('hex'), { address, reply });
  }

  private async drainWork(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let next = this.work.shift(); next; next = this.work.shift()) {
        const generation = this.generation;
        const [client, ...body] = next;
        const deadline = this.deadlines.get(client.toString('hex'));
        this.deadlines.delete(client.toString('hex'));
        const term = this.jobTerms.get(client.toString('hex'));
        this.jobTerms.delete(client.toString('hex'));
        if (deadline !== undefined && Date.now() >= deadline - LATE_START_MARGIN) {
          // KHT/1: never started at or after its deadline (this worker was frozen, busy, or the job came late).
          this.log.info({ job: printable(client), lateMs: Date.now() - deadline }, 'timed job past its deadline: not started (LATE)');
          this.send(encodeLate(client));
          continue;
        }
        // The same job again (given back to us while we ran it, or after a restart): the kept result answers it.
        const kept = this.keptResult(client);
        if (kept !== undefined) {
          if (this.welcomedGeneration === this.generation) this.send(encodeReply(kept.address, kept.reply));
          continue;
        }
        // KHC/1 (a plain worker holds no lease): the lease belongs to the session the job came on. Once
        // that is replaced (DISCONNECT, the broker silent past liveness) the broker may have answered a
        // kill `killed` after its result grace before this worker's next inventory named the job.
        const startedAt = monotonicNow();
        const job = new RunningJob(client, () => !this.speaksKhc || (generation === this.generation && this.lease.heldSince(startedAt)), term);
        this.running = job;
        let reply: Frame[];
        try {
          reply = await this.options.handler(body, job.context);
        } catch (error) {
          if (job.killAsked) {
            // Stopped before it committed (or, unstoppable, it failed or lost its lease after the ack
            // `cannot`): it never will. The job ends here; nothing is given back.
            this.killed.add(job.key);
            this.log.info({ job: printable(client) }, 'job killed before it committed');
            this.ack({ kind: 'control-ack', instruction: 'KILL', job: client, outcome: 'killed' });
            continue;
          }
          if (error instanceof LeaseLostError) this.log.warn({ job: printable(client) }, 'lease lost: job abandoned uncommitted, giving the request back');
          else this.log.error({ err: error }, 'handler failed; no reply sent: giving the request back');
          if (generation === this.generation) this.giveBack();
          continue;
        } finally {
          this.running = undefined;
        }
        // Asked to stop but it committed anyway: the REPLY below, then the ack says `finished`.
        const finishedDespiteKill = job.killRequested;
        this.failures = 0;
        if (this.brokerSpeaksKhx) {
          // Kept until recorded, and valid in any session: KHX/1 routes a result by its job id.
          this.keep(client, reply);
          if (this.welcomedGeneration === this.generation) this.send(encodeReply(client, reply));
          if (finishedDespiteKill) this.ack({ kind: 'control-ack', instruction: 'KILL', job: client, outcome: 'finished' });
          continue;
        }
        if (generation !== this.generation) {
          this.log.warn('connection changed while the job ran: its reply belongs to the old broker session and is dropped');
          continue;
        }
        this.send(encodeReply(client, reply));
      }
    } finally {
      this.working = false;
    }
  }

  /**
   * MDP has no error reply, and a broker hands a worker nothing more until it REPLYs, so a worker
   * that kept a request its handler failed would stay busy for good while it heartbeats on. So the
   * request goes back: DISCONNECT makes the broker re-queue it (for the broker's retry path, or
   * its request expiry), and the worker registers again on a fresh socket after a delay that grows
   * with each failure in a row, so a request that always fails is retried ever more slowly until
   * the broker's request expiry drops it.
   */
  private giveBack(): void {
    this.send(encodeDisconnect());
    void this.dealer.reconnect(this.dealer.backoff(this.failures++));
  }

  private send(frames: Frame[]): void {
    this.lastSent = monotonicNow();
    this.dealer.send(frames);
  }
}
