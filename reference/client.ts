import { Dealer } from 'zeromq';
import { decodeAtClient, decodeJobReply, decodeKhrJobReply, encodeClientRequest, encodeJobRequest, encodeKhrJobRequest, encodeTimedJobRequest, KHT_EXTENSION, KHX_EXTENSION, KhxStatus, MdpDecodeError, type Frame } from './mdp/codec';
import { BrokerEndpoints } from './cluster/broker-endpoints';
import { TermFence } from './cluster/term-fence';
import { KHT_MMI_SERVICE, KHX_MMI_SERVICE, MMI_SERVICE } from './mdp/mmi';
import { decodeControlAnswer, encodeInspect, encodeKill, encodeWorkerControl, KHC_EXTENSION, MMI_KHC, type ControlAnswer, type KillOutcome, type WorkerControlOutcome } from './mdp/control-codec';
import { backoffDelay, retryCeiling, retryDelay, sleep } from './util/backoff';
import { serviceClassOf, type ServiceClasses } from './classes/service-classes';
import { defaultRetryPolicy, type RetryPolicy } from './classes/retry-policy';
import { RetryBudget } from './classes/retry-budget';
import type { ClientDefect } from './defects';
import { silentLogger, type Logger } from './util/log';
import type { PeerSecurity } from './security/peer-security';
import { monotonicNow } from './util/monotonic-clock';
import { LateReplyWatch, type CallState, type Orphan } from './late-reply-watch';
import { parseClientMembers, type BrokerRoutes } from './cluster/broker-routes';
import { DEFAULT_CLIENT_OPTIONS } from './node-defaults';

export { DEFAULT_CLIENT_OPTIONS };

export interface ClientOptions {
  /**
   * The broker to connect to, e.g. `tcp://127.0.0.1:5555`; KHR/1: several, comma-separated (a
   * cluster's client endpoints), tried one at a time with failover (docs/protocol.md, "Replicated broker").
   */
  broker: string;
  /** Ask `mmi.khr` and speak KHR/1 when the broker is a cluster. Default: on when `broker` names several endpoints. */
  khr?: boolean;
  /** KHR/1: how this client reaches each broker by node id (reference/cluster/broker-routes.ts); a leader the cluster names is reached there. */
  routes?: BrokerRoutes;
  /** Milliseconds to wait for a reply to one attempt. */
  timeout: number;
  /** Attempts per call, the first included. */
  attempts: number;
  /** First delay between attempts in ms; it doubles (with jitter) up to `backoffMax`. */
  backoffInitial: number;
  backoffMax: number;
  /**
   * Ask the broker (8/MMI) whether the service has workers before sending a request, so that a
   * call to a service nobody serves fails definitely without the request ever being sent.
   * A positive answer is trusted for `serviceCheckTtl` ms, or until an attempt times out.
   */
  checkService: boolean;
  serviceCheckTtl: number;
  logger?: Logger;
  /**
   * Secure mode (docs/security.md): CURVE to the broker's key and the KHA/1 envelope on every
   * request. Undefined: unauthenticated.
   */
  security?: PeerSecurity;
  /**
   * Orphans (docs/drivers.md, "Orphans"): a reply for a job whose call already ended, or for an attempt
   * given up while the call went on, is dropped, logged and passed here; never returned as an answer. With it set,
   * a given-up attempt's socket stays open for `orphanWatch` ms (default 4 × `timeout`) only to see such
   * replies; without it, it is closed at once (a late reply then reaches nobody).
   */
  onOrphan?: (orphan: Orphan) => void;
  orphanWatch?: number;
  /** Declared classes of service (docs/protocol.md, KHX/1 rule 10); a service not named is `retry`. */
  serviceClasses?: ServiceClasses;
  /** How `retry` calls with a job id are retried; default: `attempts`, `backoffInitial`, `backoffMax`, doubling, equal jitter, no budget. */
  retryPolicy?: RetryPolicy;
  /** The retry budget (gRPC A6 throttling), one per process: share it between every client of a driver. Default: none, unless `retryPolicy.budget` makes one per client. */
  retryBudget?: RetryBudget;
  /** Told of every attempt of a call with a job id, and of each attempt that ended without an answer, when it ended (before any backoff). */
  onAttempt?: (event: AttemptEvent) => void;
  /** Seeded defects (defects.ts): only for proving the suite catches them. */
  defects?: readonly ClientDefect[];
}

/** Why an attempt ended without an answer: its wait ran out, or the request could not be queued to the broker. */
export type AttemptFailReason = 'timeout' | 'unreachable';

export type AttemptEvent = { type: 'attempt'; job: string; n: number } | { type: 'attempt-fail'; job: string; n: number; reason: AttemptFailReason };

/** KHR/1's 8/MMI service and the token sent to it (docs/protocol.md). */
const KHR_MMI_SERVICE = 'mmi.khr';
const KHR_EXTENSION_TOKEN = 'KHR/1';

/** At most this many given-up sockets per client are watched for late replies at once. */
const MAX_WATCHED_SOCKETS = 8;


/**
 * The longest a call can take with these options: every attempt timing out, every backoff at its
 * ceiling (any jitter stays at or below it). With a retry policy its attempts and curve count for the
 * job's own attempts; a give-up call ends within its F, far less.
 */
export function callBound(options: Pick<ClientOptions, 'timeout' | 'attempts' | 'backoffInitial' | 'backoffMax' | 'checkService' | 'retryPolicy'>): number {
  const policy = options.retryPolicy;
  let total = 0;
  for (let attempt = 0; attempt < Math.max(options.attempts, policy?.attempts ?? 0); attempt++) {
    total += options.timeout;
    if (attempt === 0) continue;
    const legacy = backoffDelay(attempt - 1, { initial: options.backoffInitial, max: options.backoffMax }, () => 1);
    total += policy === undefined ? legacy : Math.max(attempt < options.attempts ? legacy : 0, attempt < policy.attempts ? retryCeiling(attempt, policy) : 0);
  }
  // The service check can use up the same budget once more before the request goes out.
  return options.checkService ? total * 2 : total;
}

/**
 * The job definitely did not run and will not run: its request never left the client, or (KHX/1)
 * the broker said so — it refused the request, or gave up on the job before any worker got it.
 */
export class DefiniteFailure extends Error {
  readonly definite = true;
  constructor(message: string, readonly code: 'service-unavailable' | 'broker-unreachable' | 'closed' | 'refused' | 'forbidden' | 'expired' | 'killed' | 'unsupported') {
    super(message);
    this.name = 'DefiniteFailure';
  }
}

/** KHC/1: the job was killed on request (job reply 409): it did not complete and will not run. */
export class KilledFailure extends DefiniteFailure {
  readonly killed = true;
  constructor(job: string) {
    super(`killed: job ${job} was killed on request (409): it did not complete and will not run`, 'killed');
    this.name = 'KilledFailure';
  }
}

/** The call gave up, but a request was sent: the job may or may not have run. */
export class IndefiniteFailure extends Error {
  readonly definite = false;
  /** `accepted`: a KHX/1 broker acknowledged the job durably (202), so it will run even though this call gave up. */
  constructor(message: string, readonly attempts: number, readonly accepted = false) {
    super(message);
    this.name = 'IndefiniteFailure';
  }
}

type AttemptResult = { kind: 'reply'; body: Frame[] } | { kind: 'timeout' };

type JobAttemptResult = { kind: 'answer'; status: string; body: Frame[]; term?: number } | { kind: 'timeout'; accepted: boolean };

/** KHR/1: the term and answering node of the last call's definite answer, for driver reports. */
export interface KhrAnswerStamp {
  term: number;
  broker?: string;
}

/** Redirects followed within one attempt at most this many times per endpoint: a loop between confused brokers ends. */
const REDIRECTS_PER_ENDPOINT = 2;

export interface RequestOptions {
  /**
   * A KHX/1 job id (1-255 printable ASCII bytes, e.g. a UUIDv7), kept across retries so the broker
   * runs the job once however often it is sent. Ignored, with plain 7/MDP semantics, when the broker
   * does not speak KHX/1 (8/MMI `mmi.khx` does not answer 200).
   */
  job?: string;
}

/**
 * A Lazy Pirate 7/MDP client: one request at a time on one DEALER socket. An attempt that times
 * out discards its socket, so a late reply to it can never be read as the answer to a later request
 * (the broker routes it to a peer that no longer exists). With `onOrphan`, the discarded socket is
 * only read for a bounded time, never sent on again: what arrives there is an orphan, reported and dropped.
 */
export class MajordomoClient {
  private socket?: Dealer;
  private busy = false;
  private closed = false;
  private serviceSeenAt = new Map<string, number>();
  /** Whether the broker speaks KHX/1, once asked. */
  private brokerSpeaksKhx?: boolean;
  /** Whether the broker speaks KHC/1, once asked. */
  private brokerSpeaksKhc?: boolean;
  private readonly log: Logger;
  private readonly options: Required<Omit<ClientOptions, 'security' | 'onOrphan' | 'orphanWatch' | 'serviceClasses' | 'retryPolicy' | 'retryBudget' | 'onAttempt' | 'defects' | 'khr' | 'routes'>> &
    Pick<ClientOptions, 'security' | 'onOrphan' | 'serviceClasses' | 'retryBudget' | 'onAttempt'>;
  private readonly retryPolicy: RetryPolicy;
  private readonly defects: readonly ClientDefect[];
  /** Whether the broker speaks KHT/1 (timed jobs), once asked. */
  private brokerSpeaksKht?: boolean;
  private readonly ownBudget?: RetryBudget;
  /** Why the last exchange got no answer. */
  private lastMiss: AttemptFailReason = 'timeout';
  private readonly lateReplies: LateReplyWatch;
  /** The call running now, whose given-up sockets are watched for late replies. */
  private call?: CallState;
  private readonly brokers: BrokerEndpoints;
  /** The endpoint the current socket is connected to. */
  private socketEndpoint?: string;
  /** KHR/1: when the voters were last read (`mmi.khr`): the brokers' move count then, and the monotonic time. */
  private membersChecked = { moves: 0, at: Number.NEGATIVE_INFINITY };
  /** An `mmi.*` answered `503` is a follower's (KHR/1 broker rule 2): skipped for the next broker by a KHR/1 client of a cluster, and by a KHX/1-only client given several endpoints (KHR/1, "Degrading"). */
  private get answersFromFollowerSkipped(): boolean {
    return this.brokerSpeaksKhr === true || (!this.wantsKhr && this.brokers.several);
  }
  /** KHR/1 wanted (several endpoints, or asked for); whether the broker is a cluster is learnt from `mmi.khr`. */
  private readonly wantsKhr: boolean;
  private brokerSpeaksKhr?: boolean;
  /** KHR/1: the highest term seen; replies of a lower one are dropped. */
  readonly fence: TermFence;
  /** KHR/1: stamp of the last definite answer (undefined without KHR/1). */
  lastStamp?: KhrAnswerStamp;

  constructor(options: Pick<ClientOptions, 'broker'> & Partial<ClientOptions>) {
    this.options = { ...DEFAULT_CLIENT_OPTIONS, logger: silentLogger(), ...options };
    this.brokers = new BrokerEndpoints(options.broker, options.routes);
    this.wantsKhr = options.khr ?? this.brokers.several;
    this.log = this.options.logger;
    this.retryPolicy = options.retryPolicy ?? defaultRetryPolicy({ attempts: this.options.attempts, initial: this.options.backoffInitial, cap: this.options.backoffMax });
    this.defects = options.defects ?? [];
    this.fence = new TermFence(this.defects.includes('no-fencing'));
    if (options.retryBudget === undefined && this.retryPolicy.budget !== undefined) this.ownBudget = new RetryBudget(this.retryPolicy.budget);
    this.lateReplies = new LateReplyWatch({
      watchMs: this.options.onOrphan === undefined ? 0 : (options.orphanWatch ?? 4 * this.options.timeout),
      maxSockets: MAX_WATCHED_SOCKETS,
      onOrphan: (orphan) => this.orphan(orphan),
      log: this.log,
    });
  }

  /** Sends `body` to `service`; resolves with the reply body or rejects with DefiniteFailure / IndefiniteFailure. */
  async request(service: string, body: Frame[], options: RequestOptions = {}): Promise<Frame[]> {
    return this.exclusively(async () => {
      const call: CallState = { job: options.job ?? '', service, ended: false };
      this.call = call;
      this.lastStamp = undefined;
      try {
        return await this.requestOnce(service, body, options);
      } finally {
        // From here on, anything still arriving for this call is an orphan.
        call.ended = true;
        this.call = undefined;
      }
    });
  }

  private async requestOnce(service: string, body: Frame[], options: RequestOptions): Promise<Frame[]> {
    const klass = serviceClassOf(this.options.serviceClasses, service);
    // The seeded defect retries-give-up treats a give-up service as retry: several attempts, no deadline.
    if (klass.kind === 'give-up' && !this.defects.includes('retries-give-up')) return await this.requestGivingUp(service, body, options.job, klass.giveUpMs);
    if (this.wantsKhr && this.brokerSpeaksKhr === undefined) await this.askKhr();
    // The seeded defect no-fencing models a third party's client of revision 2, which never reads the voters again.
    else if (this.brokerSpeaksKhr === true && !this.defects.includes('no-fencing') && this.membersMayHaveChanged()) await this.refreshMembers();
    if (options.job !== undefined && this.brokerSpeaksKhx === undefined) this.brokerSpeaksKhx = await this.askKhx();
    if (this.options.checkService) await this.ensureServiceAvailable(service);
    if (options.job !== undefined && this.brokerSpeaksKhx) return await this.sendJobWithRetries(service, options.job, body);
    return await this.sendWithRetries(service, body);
  }

  /** One request at a time per client (one socket): a second while one runs is a programming error. */
  private async exclusively<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new DefiniteFailure('client is closed', 'closed');
    if (this.busy) throw new Error('MajordomoClient runs one request at a time; use one client per concurrent call');
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }

  /** KHR/1: the endpoints this client goes round now, in order: the user's, then the members the cluster named. */
  get endpoints(): readonly string[] {
    return this.brokers.all;
  }

  close(): void {
    this.closed = true;
    this.dropSocket();
    this.lateReplies.close();
  }

  /**
   * KHC/1: asks the broker to kill `job` (a job id this client's principal submitted) and resolves with
   * its definite answer. The broker answers only once the outcome is definite, so each attempt waits
   * `timeout` and the KILL goes again on a fresh socket (it is idempotent); after `attempts` the call
   * rejects with IndefiniteFailure (the kill may be pending). A broker without KHC/1 → DefiniteFailure.
   */
  async kill(job: string): Promise<KillOutcome> {
    const answer = await this.control(`KILL ${job}`, encodeKill(job), (reply) => (reply.verb === 'KILL' && reply.job === job ? reply : undefined));
    return answer.outcome;
  }

  /** KHC/1: the broker's state of `job`, or (no job) its summary: services, workers, queues, pending kills. */
  async inspect(job?: string): Promise<unknown> {
    const answer = await this.control(`INSPECT ${job ?? ''}`.trim(), encodeInspect(job), (reply) => (reply.verb === 'INSPECT' && reply.job === job ? reply : undefined));
    return answer.state;
  }

  /** KHC/1: the worker with this instance id finishes its job and takes no more. `unknown`: no such worker. */
  drainWorker(instance: string): Promise<WorkerControlOutcome> {
    return this.workerControl('DRAIN', instance);
  }

  /** KHC/1: the worker with this instance id drains, then disconnects and exits. */
  stopWorker(instance: string): Promise<WorkerControlOutcome> {
    return this.workerControl('STOP', instance);
  }

  private async workerControl(verb: 'DRAIN' | 'STOP', instance: string): Promise<WorkerControlOutcome> {
    const answer = await this.control(`${verb} ${instance}`, encodeWorkerControl(verb, instance), (reply) => (reply.verb === verb && reply.instance === instance ? reply : undefined));
    return answer.outcome;
  }

  /** One control request, Lazy Pirate style, after making sure the broker speaks KHC/1. */
  private async control<T extends ControlAnswer>(what: string, request: Frame[], match: (answer: ControlAnswer) => T | undefined): Promise<T> {
    return this.exclusively(async () => {
      this.brokerSpeaksKhc ??= (await this.mmiStatus(MMI_KHC, KHC_EXTENSION)) === '200';
      if (!this.brokerSpeaksKhc) throw new DefiniteFailure(`the broker does not speak KHC/1 (8/MMI ${MMI_KHC} did not answer 200): cannot send ${what}`, 'unsupported');
      for (let attempt = 0; attempt < this.options.attempts; attempt++) {
        if (attempt > 0) await this.backOff(attempt - 1);
        const answer = await this.exchange(request, (frames) => {
          const decoded = match(decodeControlAnswer(frames));
          if (decoded === undefined) this.log.warn({ expected: what }, 'dropped a control answer about something else');
          return decoded;
        });
        if (answer !== undefined) return answer;
        this.log.info({ request: what, attempt: attempt + 1 }, 'no control answer within timeout: sending again on a fresh socket');
      }
      throw new IndefiniteFailure(`no answer to ${what} from broker ${this.brokers.describe()} after ${this.options.attempts} attempts`, this.options.attempts);
    });
  }

  private async ensureServiceAvailable(service: string): Promise<void> {
    const seen = this.serviceSeenAt.get(service);
    if (seen !== undefined && monotonicNow() - seen < this.options.serviceCheckTtl) return;
    let answered = false;
    let notFromLeader = 0;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) await this.backOff(attempt - 1);
      // The leader check below shares the attempt's time, so a call stays within callBound.
      const until = monotonicNow() + this.options.timeout;
      const result = await this.attempt(MMI_SERVICE, [Buffer.from(service)], until);
      if (result.kind === 'timeout') continue;
      const status = result.body[0]?.toString() ?? '';
      // 501: the broker has no MMI; nothing to learn, so go ahead and send.
      if (status === '200' || status === '501') {
        this.serviceSeenAt.set(service, monotonicNow());
        return;
      }
      if (this.brokerSpeaksKhr === true && !(await this.answeredByLeader(until))) {
        notFromLeader++;
        this.log.info({ service, status, attempt: attempt + 1 }, `8/MMI answered ${status} by a broker that does not lead at the highest term: not believed, trying the leader`);
        continue;
      }
      answered = true;
    }
    if (answered) throw new DefiniteFailure(`service "${service}" has no workers (8/MMI answered 404)`, 'service-unavailable');
    const unbelieved = notFromLeader > 0 ? ` (${notFromLeader} answer(s) from brokers that do not lead at term ${this.fence.highest} or above not believed)` : '';
    throw new DefiniteFailure(`broker ${this.brokers.describe()} did not answer within ${this.options.attempts} attempts${unbelieved}`, 'broker-unreachable');
  }

  /**
   * KHR/1: whether the broker that just answered `mmi.service` leads, by its own `mmi.khr` asked within
   * the same attempt. Only the leader's service table says a service has no workers, and an `mmi.service`
   * answer carries no term to fence: a deposed leader that serves on (zguide#172's second master) lost
   * its workers to the new leader and answers 404, and believing it fails a call the cluster could serve.
   * An `mmi.khr` of a lower term than seen is dropped by the fence (no answer by `until`). Not the
   * leader: the client moves to the leader its answer names, else to the next broker.
   */
  private async answeredByLeader(until: number): Promise<boolean> {
    const asked = this.brokers.current;
    const result = await this.attempt(KHR_MMI_SERVICE, [Buffer.from(KHR_EXTENSION_TOKEN)], until);
    // No answer: attempt() has already moved on to the next broker.
    if (result.kind === 'timeout') return false;
    if (result.body[0]?.toString() !== '200') {
      this.brokers.next();
      return false;
    }
    const leader = this.learnCluster(asked, result.body);
    if (leader === asked) return true;
    if (leader !== '') this.brokers.moveTo(leader);
    else this.brokers.next();
    return false;
  }

  /**
   * What an `mmi.khr` answer of `asked` tells of the cluster: the node id of `asked` and, revision 2,
   * the voters (a member this client was not started with joins its round robin, one it learnt of
   * earlier and no longer listed leaves it). Returns where this client reaches the leader ('' if none).
   */
  private learnCluster(asked: string, body: readonly Frame[]): string {
    this.brokers.learnNode(asked, body[3]?.toString() ?? '');
    this.brokers.learnMembers(parseClientMembers(body[5]?.toString() ?? ''));
    this.membersChecked = { moves: this.brokers.moves, at: monotonicNow() };
    return this.brokers.resolve(body[4]?.toString() ?? '', body[2]?.toString() ?? '');
  }

  /** The client moved to another broker (a failover, a redirect) since it last read the voters, and not within the last two timeouts (a dead broker in the rotation costs one mmi.khr at most that often). */
  private membersMayHaveChanged(): boolean {
    return this.brokers.moves !== this.membersChecked.moves && monotonicNow() - this.membersChecked.at >= 2 * this.options.timeout;
  }

  /**
   * After a failover, `mmi.khr` again, one attempt at the broker now current: the cluster may have
   * changed its members meanwhile (`keelhaul cluster add|remove`). No answer changes nothing.
   */
  private async refreshMembers(): Promise<void> {
    const asked = this.brokers.current;
    this.membersChecked = { moves: this.brokers.moves, at: monotonicNow() };
    const result = await this.attempt(KHR_MMI_SERVICE, [Buffer.from(KHR_EXTENSION_TOKEN)]);
    if (result.kind === 'reply' && result.body[0]?.toString() === '200') this.learnCluster(asked, result.body);
  }

  /** 8/MMI `mmi.khx`: 200 from a KHX/1 broker, 501 from a plain one. Nothing is sent for the job before the answer. */
  private async askKhx(): Promise<boolean> {
    const speaks = (await this.mmiStatus(KHX_MMI_SERVICE, KHX_EXTENSION)) === '200';
    if (!speaks) this.log.warn({ broker: this.brokers.describe() }, 'broker does not speak KHX/1: job ids are not sent, calls are at-least-once');
    return speaks;
  }

  /**
   * KHR/1: `mmi.khr` of the brokers in turn, until one answers: `200` (a cluster: its term is
   * remembered, and the client moves to the leader it names) or anything else (not a cluster).
   */
  private async askKhr(): Promise<void> {
    for (let attempt = 0; attempt < this.options.attempts * this.brokers.count; attempt++) {
      if (attempt > 0 && attempt % this.brokers.count === 0) await this.backOff(attempt / this.brokers.count - 1);
      const asked = this.brokers.current;
      const result = await this.attempt(KHR_MMI_SERVICE, [Buffer.from(KHR_EXTENSION_TOKEN)]);
      if (result.kind === 'timeout') continue;
      if (result.body[0]?.toString() !== '200') {
        if (this.defects.includes('khr-gives-up-on-501')) throw new DefiniteFailure(`seeded defect khr-gives-up-on-501: ${KHR_MMI_SERVICE} answered ${result.body[0]?.toString() ?? 'nothing'}, so the call is refused`, 'unsupported');
        this.brokerSpeaksKhr = false;
        return;
      }
      this.brokerSpeaksKhr = true;
      // A cluster broker speaks KHX/1 by definition (KHR/1 extends it): no need to ask mmi.khx.
      this.brokerSpeaksKhx = true;
      const leader = this.learnCluster(asked, result.body);
      if (leader === '' || leader === asked || this.brokers.nodeOf(leader) !== undefined) {
        if (leader !== '') this.brokers.moveTo(leader);
        // Going to the leader just named is no reason to read the voters again.
        this.membersChecked.moves = this.brokers.moves;
        return;
      }
      // Ask the leader itself next: its answer names its node id, which the reports carry.
      this.brokers.moveTo(leader);
    }
    throw new DefiniteFailure(`no broker of ${this.brokers.describe()} answered ${KHR_MMI_SERVICE} within ${this.options.attempts} rounds`, 'broker-unreachable');
  }

  /** The status an 8/MMI service answers (`mmi.khx`, `mmi.khc`: 200 when the broker speaks the extension, else 501 or 404). */
  private async mmiStatus(service: string, token: string): Promise<string> {
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) await this.backOff(attempt - 1);
      const result = await this.attempt(service, [Buffer.from(token)]);
      if (result.kind === 'reply') return result.body[0]?.toString() ?? '';
    }
    throw new DefiniteFailure(`broker ${this.brokers.describe()} did not answer within ${this.options.attempts} attempts`, 'broker-unreachable');
  }

  /** KHX/1: the same job id on every attempt, so however many reach the broker the job runs once. */
  private async sendJobWithRetries(service: string, job: string, body: Frame[]): Promise<Frame[]> {
    let accepted = false;
    const attempts = this.retryPolicy.attempts;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.retryBackOff(attempt, attempt, accepted);
      this.tell({ type: 'attempt', job, n: attempt + 1 });
      const result = await this.attemptJob(service, job, body, this.brokerSpeaksKhr === true ? encodeKhrJobRequest(service, job, body) : undefined);
      if (result.kind === 'answer' && result.status === KhxStatus.Unavailable && this.brokerSpeaksKhr === true && result.body[0]?.toString() === 'no leader') {
        // Nothing accepted: try the next broker after the backoff, as after a timeout.
        this.brokers.next();
        this.attemptFailed(job, attempt + 1);
        this.log.info({ service, job, attempt: attempt + 1 }, '503 no leader: trying the next broker');
        continue;
      }
      if (result.kind === 'timeout') {
        accepted ||= result.accepted;
        this.attemptFailed(job, attempt + 1);
        this.serviceSeenAt.delete(service);
        this.log.info({ service, job, attempt: attempt + 1, accepted }, 'no answer within timeout: sending the job again');
        continue;
      }
      if (result.status === KhxStatus.Done) this.budget?.onCallOk();
      if (result.term !== undefined) this.lastStamp = { term: result.term, ...(this.brokers.currentNode() ? { broker: this.brokers.currentNode() } : {}) };
      return this.jobAnswer(job, result, attempt + 1);
    }
    throw new IndefiniteFailure(`no answer for job ${job} from "${service}" after ${attempts} attempts${accepted ? ' (the broker had accepted it)' : ''}`, attempts, accepted);
  }

  /** A job reply's status as the call's outcome: 200 is the reply, 504 indefinite, every other status a definite failure. */
  private jobAnswer(job: string, result: { status: string; body: Frame[] }, attempts: number): Frame[] {
    switch (result.status) {
      case KhxStatus.Done:
        return result.body;
      case KhxStatus.Killed:
        throw new KilledFailure(job);
      case KhxStatus.Expired:
        throw new DefiniteFailure(`job ${job} expired at the broker before any worker took it: it did not and will not run`, 'expired');
      case KhxStatus.GivenUp:
        // It may have run: an outcome unknown, never a definite failure.
        throw new IndefiniteFailure(`the broker gave up on job ${job} past its deadline: it may have run, and will not run again`, attempts, true);
      case KhxStatus.Forbidden:
        throw new DefiniteFailure(`broker refused job ${job}: 403 ${result.body[0]?.toString() ?? 'forbidden'}: it will not run`, 'forbidden');
      default:
        throw new DefiniteFailure(`broker refused job ${job} (${result.status} ${result.body[0]?.toString() ?? ''}): it will not run`.trim(), 'refused');
    }
  }

  /** The per-process budget (the driver's), else this client's own when the policy has one, else none. */
  private get budget(): RetryBudget | undefined {
    return this.options.retryBudget ?? this.ownBudget;
  }

  private tell(event: AttemptEvent): void {
    this.options.onAttempt?.(event);
  }

  /** An attempt ended without an answer: said at once (before any backoff), and it costs the budget a token. */
  private attemptFailed(job: string | undefined, n: number): void {
    if (job !== undefined) this.tell({ type: 'attempt-fail', job, n, reason: this.lastMiss });
    this.budget?.onAttemptFailed();
  }

  /**
   * Before retry `retry` (1 = the second attempt): the budget must allow it, else the call ends at once,
   * indefinite (a request went out). Then the policy's delay; the seeded defect fixed-backoff waits
   * exactly `initial` every time (no growth, no jitter).
   */
  private async retryBackOff(retry: number, sent: number, accepted: boolean): Promise<void> {
    if (this.budget !== undefined && !this.budget.mayRetry()) {
      throw new IndefiniteFailure(`retry budget exhausted (${this.budget.left} of ${this.budget.spec.maxTokens} tokens left): no retry after ${sent} attempt(s)`, sent, accepted);
    }
    await sleep(this.defects.includes('fixed-backoff') ? this.retryPolicy.initial : retryDelay(retry, this.retryPolicy));
  }

  /**
   * A give-up call (docs/protocol.md, KHX/1 rule 10): one attempt, ended within `giveUpMs` of the call's
   * start. With a KHT/1 broker the job carries its deadline (this host's wall clock + F), so no node
   * starts it at or after the deadline: `410` (never dispatched) is a definite failure, `504` or no
   * answer by F is indefinite (it may have run; it will not run again). Nothing is sent after F.
   */
  private async requestGivingUp(service: string, body: Frame[], job: string | undefined, giveUpMs: number): Promise<Frame[]> {
    const endsAt = monotonicNow() + giveUpMs;
    const deadline = Date.now() + giveUpMs;
    const within = (): number => Math.min(monotonicNow() + this.options.timeout, endsAt);
    if (job !== undefined && this.brokerSpeaksKht === undefined) {
      const status = await this.mmiOnce(KHT_MMI_SERVICE, KHT_EXTENSION, within());
      if (status !== undefined) this.brokerSpeaksKht = status === '200';
      if (status === '200') this.brokerSpeaksKhx = true;
      else if (status !== undefined && this.brokerSpeaksKhx === undefined) this.brokerSpeaksKhx = (await this.mmiOnce(KHX_MMI_SERVICE, KHX_EXTENSION, within())) === '200';
    }
    const known = job === undefined || this.brokerSpeaksKht !== undefined;
    if (!known || monotonicNow() >= endsAt) throw new DefiniteFailure(`give-up: broker ${this.brokers.describe()} did not answer within ${giveUpMs} ms: the job was never sent`, 'broker-unreachable');
    if (job === undefined || !this.brokerSpeaksKhx) {
      // No job id to carry a deadline: a plain request, one attempt, waited for until F.
      if (job !== undefined) this.tell({ type: 'attempt', job, n: 1 });
      const result = await this.attempt(service, body, endsAt);
      if (result.kind === 'reply') return result.body;
      if (job !== undefined) this.tell({ type: 'attempt-fail', job, n: 1, reason: this.lastMiss });
      throw new IndefiniteFailure(`give-up: no reply from "${service}" within ${giveUpMs} ms: it may have run (a plain 7/MDP broker does not know the deadline)`, 1);
    }
    this.tell({ type: 'attempt', job, n: 1 });
    const request = this.brokerSpeaksKht ? encodeTimedJobRequest(service, job, deadline, body) : encodeJobRequest(service, job, body);
    const result = await this.attemptJob(service, job, body, request, endsAt);
    if (result.kind === 'timeout') {
      this.tell({ type: 'attempt-fail', job, n: 1, reason: this.lastMiss });
      const guarantee = this.brokerSpeaksKht ? 'it will not start after its deadline' : 'the broker does not speak KHT/1, so nothing stops a late start';
      throw new IndefiniteFailure(`give-up: no answer for job ${job} within ${giveUpMs} ms: it may have run; ${guarantee}`, 1, result.accepted);
    }
    if (result.status === KhxStatus.GivenUp) {
      // Its holder was lost and the job may still sit unread at that worker, which would start it before
      // the deadline: the outcome waits for the deadline, after which no worker starts it.
      await sleep(Math.max(0, endsAt - monotonicNow()));
    }
    return this.jobAnswer(job, result, 1);
  }

  /** One 8/MMI question, one attempt, waited for until `until`: the status, or undefined without an answer. */
  private async mmiOnce(service: string, token: string, until: number): Promise<string | undefined> {
    const result = await this.attempt(service, [Buffer.from(token)], until);
    return result.kind === 'reply' ? (result.body[0]?.toString() ?? '') : undefined;
  }

  private async attemptJob(service: string, job: string, body: Frame[], request = encodeJobRequest(service, job, body), until?: number): Promise<JobAttemptResult> {
    if (this.brokerSpeaksKhr !== true) return this.attemptJobOnce(job, request, until);
    // KHR/1: a redirect is followed at once, on a fresh socket to the leader, within this attempt.
    for (let redirects = 0; ; redirects++) {
      const result = await this.attemptJobOnce(job, request, until);
      if (result.kind !== 'answer' || result.status !== KhxStatus.Redirect) return result;
      // Revision 2 names the leader's node id after its endpoint: this client's own route to it, if it has one.
      const leader = this.brokers.resolve(result.body[1]?.toString() ?? '', result.body[0]?.toString() ?? '');
      if (leader === '' || redirects >= REDIRECTS_PER_ENDPOINT * this.brokers.count) {
        this.brokers.next();
        return { kind: 'timeout', accepted: false };
      }
      this.log.info({ job, from: this.brokers.current, to: leader }, '307: following the redirect to the leader');
      this.dropSocket();
      this.brokers.moveTo(leader);
    }
  }

  private async attemptJobOnce(job: string, request: Frame[], until?: number): Promise<JobAttemptResult> {
    let accepted = false;
    const outcome = await this.exchange(request, (frames) => {
      const khr = this.brokerSpeaksKhr === true && frames[1]?.toString() === 'KHRC01';
      const reply = khr ? decodeKhrJobReply(frames) : decodeJobReply(frames);
      const term = 'term' in reply ? (reply as { term: number }).term : undefined;
      if (term !== undefined && !this.fence.admit(term)) {
        this.log.warn({ job: reply.job, status: reply.status, term, highestTerm: this.fence.highest }, 'dropped a reply of a lower term (a deposed leader): fencing');
        return undefined;
      }
      if (reply.job !== job) {
        // On a socket whose earlier calls all ended: an answer for one of them, late.
        if (reply.status !== KhxStatus.Accepted) this.orphan({ job: reply.job, what: 'late-reply', detail: `job reply ${reply.status} from "${reply.service}" while the call for job ${job} waited` });
        else this.log.warn({ expected: job, got: reply.job }, 'dropped an acceptance of another job');
        return undefined;
      }
      if (reply.status === KhxStatus.Accepted) {
        accepted = true;
        return undefined;
      }
      return { kind: 'answer', status: reply.status, body: reply.body, ...(term === undefined ? {} : { term }) } as const;
    }, until);
    return outcome ?? { kind: 'timeout', accepted };
  }

  /** Plain 7/MDP (no job id, or a broker without KHX/1): the same policy and budget, at-least-once. */
  private async sendWithRetries(service: string, body: Frame[]): Promise<Frame[]> {
    const job = this.call?.job || undefined;
    const attempts = this.retryPolicy.attempts;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.retryBackOff(attempt, attempt, false);
      if (job !== undefined) this.tell({ type: 'attempt', job, n: attempt + 1 });
      const result = await this.attempt(service, body);
      if (result.kind === 'reply') {
        this.budget?.onCallOk();
        return result.body;
      }
      this.attemptFailed(job, attempt + 1);
      this.serviceSeenAt.delete(service);
      this.log.info({ service, attempt: attempt + 1 }, 'no reply within timeout: retrying on a new socket');
    }
    throw new IndefiniteFailure(`no reply from "${service}" after ${attempts} attempts`, attempts);
  }

  private backOff(attempt: number): Promise<void> {
    return sleep(backoffDelay(attempt, { initial: this.options.backoffInitial, max: this.options.backoffMax }));
  }

  private async attempt(service: string, body: Frame[], until?: number): Promise<AttemptResult> {
    const outcome = await this.exchange(encodeClientRequest(service, body), (frames) => {
      const reply = decodeAtClient(frames);
      if (reply.service === service && this.wantsKhr && service === KHR_MMI_SERVICE && reply.body[0]?.toString() === '200') {
        const term = Number(reply.body[1]?.toString() ?? '');
        if (!Number.isSafeInteger(term) || !this.fence.admit(term)) {
          this.log.warn({ term, highestTerm: this.fence.highest }, `dropped a ${KHR_MMI_SERVICE} answer of a lower term: fencing`);
          return undefined;
        }
      }
      if (reply.service === service && this.answersFromFollowerSkipped && service.startsWith('mmi.') && reply.body[0]?.toString() === '503') {
        // A follower: no answer here; the next broker is asked.
        return { kind: 'follower' } as const;
      }
      if (reply.service === service) return { kind: 'reply', body: reply.body } as const;
      this.log.warn({ expected: service, got: reply.service }, 'dropped a reply for another service');
      return undefined;
    }, until);
    if (outcome?.kind === 'follower') {
      this.dropSocket();
      this.brokers.next();
      return { kind: 'timeout' };
    }
    return outcome ?? { kind: 'timeout' };
  }

  /**
   * One attempt: sends `request`, then reads until `accept` returns an answer or the timeout passes
   * (undefined), or until `until` (monotonic ms) when given. Malformed replies are dropped. A timed-out
   * attempt discards its socket.
   */
  private async exchange<T>(request: Frame[], accept: (frames: Frame[]) => T | undefined, until?: number): Promise<T | undefined> {
    const socket = this.openSocket();
    try {
      await socket.send(this.options.security?.wrap(request) ?? request);
    } catch {
      this.lastMiss = 'unreachable';
      this.dropSocket();
      // Failover (KHR/1, or a KHX/1-only client given several endpoints): the next attempt goes to the next broker.
      this.brokers.next();
      return undefined;
    }
    this.lastMiss = 'timeout';
    const deadline = until ?? monotonicNow() + this.options.timeout;
    for (;;) {
      const remaining = deadline - monotonicNow();
      if (remaining <= 0) break;
      socket.receiveTimeout = Math.max(1, Math.ceil(remaining));
      let frames: Frame[];
      try {
        frames = await socket.receive();
      } catch {
        break; // EAGAIN: the attempt timed out
      }
      try {
        const answer = accept(frames);
        if (answer !== undefined) return answer;
      } catch (error) {
        if (!(error instanceof MdpDecodeError)) throw error;
        this.log.warn({ reason: error.reason }, 'dropped malformed reply');
      }
    }
    this.giveUpSocket();
    // Failover (KHR/1, or a KHX/1-only client given several endpoints): the next attempt goes to the next broker.
    this.brokers.next();
    return undefined;
  }

  private orphan(orphan: Orphan): void {
    this.log.warn({ job: orphan.job, what: orphan.what, detail: orphan.detail }, 'dropped an orphan reply: nothing waits for it any more');
    this.options.onOrphan?.(orphan);
  }

  /** A timed-out attempt's socket: watched for late replies while a call runs, else closed (Lazy Pirate). */
  private giveUpSocket(): void {
    if (this.socket === undefined || this.call === undefined) return this.dropSocket();
    this.lateReplies.adopt(this.socket, this.call);
    this.socket = undefined;
  }

  private openSocket(): Dealer {
    // KHR/1: the endpoint moved (failover, a redirect, the leader mmi.khr named): a fresh socket there.
    if (this.socket !== undefined && this.socketEndpoint !== this.brokers.current) this.dropSocket();
    if (!this.socket) {
      this.socketEndpoint = this.brokers.current;
      // sendTimeout 0: a send that cannot be queued counts as a failed attempt rather than blocking.
      this.socket = new Dealer({ linger: 0, sendTimeout: 0, ...(this.options.security?.socketOptions() ?? {}) });
      this.socket.connect(this.brokers.current);
    }
    return this.socket;
  }

  private dropSocket(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
