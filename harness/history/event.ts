/**
 * The history vocabulary (see docs/checkers.md). Every event carries `t`: milliseconds since the
 * start of the run on the harness's monotonic clock, stamped when the harness learned of the event,
 * so events from different nodes are ordered on one clock.
 */

interface Stamped {
  /** Milliseconds since the run started (monotonic, fractional). */
  t: number;
}

/** A client asked the system to run `job`. `process` is the client that asked. */
export interface InvokeEvent extends Stamped {
  type: 'invoke';
  process: string;
  job: string;
  service: string;
}

/** The application received a reply to `job`; `reply` is the job id the reply itself names. */
/**
 * Where a replicated system's answer came from (KHR/1): the term the answering broker stamped on it
 * and that broker's node id. The client driver reports them; the `replicated` checks read them, and a
 * history of a single broker simply lacks them.
 */
export interface ReplicaStamp {
  /** The KHR/1 term of the reply (a whole number, 0 or more). */
  term?: number;
  /** The node id of the broker that answered. */
  broker?: string;
}

export interface OkEvent extends Stamped, ReplicaStamp {
  type: 'ok';
  process: string;
  job: string;
  reply: string;
}

/** A definite failure: the job did not run and will not run. */
export interface FailEvent extends Stamped, ReplicaStamp {
  type: 'fail';
  process: string;
  job: string;
  error: string;
  /**
   * The call ended because the job was killed (KHC/1: the broker answered the call `409`): it did not
   * complete and will not run. The control checker reads it as a `killed` outcome of the job; the
   * request-reply checkers do not count it as a job the system lost.
   */
  killed?: true;
}

/**
 * An indefinite outcome: the call gave up without knowing whether the job ran.
 * `accepted` is true when the system had acknowledged the job before the outcome became unknown.
 */
export interface InfoEvent extends Stamped, ReplicaStamp {
  type: 'info';
  process: string;
  job: string;
  error: string;
  accepted?: boolean;
}

/** A worker's handler started `job` (reported out of band by the worker driver). */
export interface ExecStartEvent extends Stamped, ReplicaStamp {
  type: 'exec-start';
  worker: string;
  job: string;
}

/** A worker's handler committed `job`: its effect happened. */
export interface ExecEndEvent extends Stamped {
  type: 'exec-end';
  worker: string;
  job: string;
}

/**
 * A worker stopped the handler of `job` before it committed (KHC/1 KILL acked `killed`): the
 * execution its exec-start began is over and never commits. Not a commit: no effect happened.
 */
export interface ExecKilledEvent extends Stamped {
  type: 'exec-killed';
  worker: string;
  job: string;
}

/** A fault began or ended. Start and end of one fault share `id`. */
export interface NemesisEvent extends Stamped {
  type: 'nemesis';
  phase: 'start' | 'end';
  id: string;
  fault: string;
  /** Node names the fault touched (e.g. the worker that was killed). */
  targets: string[];
  /**
   * What the fault hit, on the start event; a fault measured on the fault proxy (message and
   * connection faults) has its hit on its end event (only then is it known). Histories written
   * before a field existed simply lack it.
   */
  effect?: FaultEffect;
}

/**
 * What a fault touched, as the nemesis saw it when the fault began, or, for faults measured while
 * in force (message and connection faults), when it ended. `hit: false` means it touched nothing that carries the system's traffic (the `ineffective-fault` finding); a fault that does not
 * say is not judged. The rest names what was touched, per system.
 */
export type FaultEffect = {
  hit?: boolean;
  /** Request-reply: jobs in flight on the nodes or links the fault touched. */
  jobsInFlight?: string[];
  /** Pub/sub: messages owed to the subscribers the fault touched and not yet delivered to them. */
  messagesOwed?: number;
  /** Pub/sub: live subscriptions (`subscriber:topic`) of the subscribers the fault touched. */
  subscriptions?: string[];
  /** Pub/sub: puts sent and not yet answered by the publishers the fault touched. */
  putsInFlight?: string[];
  /** Node faults that last a while (freeze, disconnect). */
  durationMs?: number;
  /** Link faults: the links (proxy names), the direction and the toxic as the fault proxy got it. */
  links?: string[];
  direction?: 'both' | 'forward' | 'backward';
  toxic?: { type: string; attributes: Record<string, number> };
  /** Message faults: which messages their toxics matched on (the toxic's string attributes). */
  match?: { command?: string; service?: string; job?: string; topic?: string; sequence?: number };
  // Faults measured on the fault proxy while in force, on their `end` event (`hit`: they counted any).
  /** Message faults: messages their toxics matched and affected, streams they could not read. */
  messages?: { matched: number; affected: number; unparsedStreams: number; unparsedReason?: string };
  /**
   * A message-triggered fault (`on-message`): which match fires it and what it strikes (start and
   * end); on its end, whether it fired, the message that fired it (link, stream, its fields), when
   * the harness learned of it (`firedAt`) and released the held message (`releasedAt`), and the id
   * of the struck fault's own nemesis events (`struck`).
   */
  trigger?: {
    nth: number;
    release: 'forward' | 'drop';
    then: string;
    withinMs: number;
    fired?: boolean;
    matched?: number;
    message?: { link: string; stream: 'upstream' | 'downstream'; command: string; service?: string; jobs?: string[]; topic?: string; sequence?: number };
    firedAt?: number;
    releasedAt?: number;
    struck?: string;
  };
  /** Connection faults: the connections the fault proxy refused, hung, delayed or cut, by counter. */
  connections?: Record<string, number>;
  /** Clock skew: the offset and rate set, and whether libfaketime was loaded in every process of the node. */
  clock?: { offsetMs: number; rate: number; reached: boolean };
  /**
   * A graceful stop (`stop`, `close-stdin`, on its `end` event): the grace the node had, how long it
   * took to exit once asked, whether it exited by itself (false: killed when the grace ran out: it
   * ignores a graceful stop), and how it ended as its runtime saw it.
   */
  stopped?: { graceMs: number; exitMs: number; byItself: boolean; exit?: string };
  /**
   * Power loss (`lose-unsynced-writes`, on its `end` event): the bytes destroyed per file (relative
   * to the node's state folder) and in all, the bytes written since the last cut (durable or not),
   * files removed whole because their creation was not durable, renames undone, files such a rename
   * had replaced brought back; `reached` false when
   * the ledger library was not loaded in every process of the node.
   */
  unsynced?: { files: Record<string, number>; bytes: number; written: number; removed?: string[]; renamesUndone?: string[]; restored?: string[]; reached: boolean };
  /**
   * Disk faults (`disk-full`, `fsync-fails`, `read-only`, on their `end` event): the calls on the
   * node's state folder the library failed while the fault was in force, in all and by kind, the
   * writes it let land in part, and `reached` false when the library was not loaded in every
   * process of the node. `hit` is false when it failed no call.
   */
  disk?: { mode: string; failedCalls: number; writes: number; syncs: number; opens: number; metadata: number; shortWrites: number; reached: boolean };
  /**
   * A replicated broker (KHR/1): the replica the nemesis found leading when the fault began (each
   * replica asked `mmi.khr`, bounded) and its term; present when the fault was aimed at the leader
   * or shaped around it, so the `replicated` checks can tell a fault that struck the leader.
   */
  leader?: string;
  term?: number;
  /** A partition shaped over a cluster: the shape, and its groups (nodes in one group reach each other; links between nodes sharing no group were cut). */
  partition?: { shape: string; groups: string[][] };
  /** The shape the fault was measured to have, on its `end` event (the `fault-misshapen` finding compares it with the one asked for). */
  measured?: FaultMeasurement;
};

/** One stream of a link fault as the fault proxy measured it: summed over the fault's toxics and links. */
export interface MeasuredStreamEffect {
  /** Stages of the fault's toxics on this stream (one per connection and toxic). */
  stages: number;
  /** Bytes that reached the stages, and bytes they let through (the rest dropped or still held). */
  bytesIn: number;
  bytesOut: number;
  /** Streams a stage closed (FIN) while its input went on, and connections a stage reset (RST). */
  closed: number;
  reset: number;
  /** Latency: the delay each chunk got in its stage, arrival to release (chunks the heal released early are not counted). */
  delays?: { chunks: number; early: number; minMs: number; medianMs: number; maxMs: number };
}

/**
 * A fault's shape as measured on the wire (the fault proxy, around its toxics' stages) or on the
 * process (the runtime), against what was asked: judged by `fault-misshapen`.
 */
export interface FaultMeasurement {
  /** Why the shape could not be measured (a real Toxiproxy, a runtime that cannot see its processes): then it is not judged. */
  unmeasured?: string;
  /** Link faults: the streams asked for (`upstream` runs from the connecting node). */
  asked?: ('upstream' | 'downstream')[];
  /** Link faults: per stream the toxics' stages really sat on (told by the sockets, not the toxic's label). */
  streams?: { upstream?: MeasuredStreamEffect; downstream?: MeasuredStreamEffect };
  /** Link faults: connections open in the streams asked when the fault began, and the stages put on connections already open. */
  openAtStart?: number;
  stagesOnOpen?: number;
  /** Link faults: stages of the fault's toxics still on connections right after the heal. */
  leftAfterHeal?: number;
  /** Freeze: the node's process states sampled while it was frozen; `running`: samples that found a process of it not stopped. */
  frozen?: { samples: number; running: number; states: string[] };
  /** Crash with a restart: the pause asked, and the time from the old incarnation gone to the new one started. */
  downtime?: { askedMs: number; measuredMs: number };
  /** Crash: whether a process of the killed incarnation still lived after the kill. */
  oldAlive?: boolean;
}

/**
 * The harness watching itself: over the last `windowMs`, how late its own event loop ran timers
 * (max and 99th percentile) and the system's 1-minute load average. A bound missed while the
 * harness itself stalled longer than the bound's slack says the machine was too slow to judge.
 */
export interface HarnessEvent extends Stamped {
  type: 'harness';
  windowMs: number;
  lagMaxMs: number;
  lagP99Ms: number;
  load1: number;
  cpus: number;
}

// ---------------------------------------------------------------------------------------------
// Pub/sub (issue #7). `msg` is a message id, unique per run; `process` is the publisher and
// `subscriber` the subscribing application. Checked by harness/checker/pubsub/.

/** A publisher asked to put message `msg` on `topic`. */
export interface PutEvent extends Stamped {
  type: 'put';
  process: string;
  topic: string;
  msg: string;
}

/** The system durably accepted the put: every subscriber subscribed to `topic` must get `msg`. */
export interface PutOkEvent extends Stamped {
  type: 'put-ok';
  process: string;
  topic: string;
  msg: string;
}

/** Definite: the put was not accepted, and `msg` must never be delivered. */
export interface PutFailEvent extends Stamped {
  type: 'put-fail';
  process: string;
  topic: string;
  msg: string;
  error: string;
}

/**
 * Indefinite: the put gave up without knowing whether `msg` was accepted. `accepted` is true when
 * the system had acknowledged it before the outcome became unknown.
 */
export interface PutInfoEvent extends Stamped {
  type: 'put-info';
  process: string;
  topic: string;
  msg: string;
  error: string;
  accepted?: boolean;
}

/** A subscriber asked to subscribe to `topic`. */
export interface SubscribeEvent extends Stamped {
  type: 'subscribe';
  subscriber: string;
  topic: string;
}

/** The system acknowledged the subscription: from now on the subscriber gets every message accepted on `topic`. */
export interface SubscribedEvent extends Stamped {
  type: 'subscribed';
  subscriber: string;
  topic: string;
}

/** A subscriber asked to unsubscribe from `topic`. */
export interface UnsubscribeEvent extends Stamped {
  type: 'unsubscribe';
  subscriber: string;
  topic: string;
}

/** The system acknowledged the unsubscription. */
export interface UnsubscribedEvent extends Stamped {
  type: 'unsubscribed';
  subscriber: string;
  topic: string;
}

/** The subscriber's application received `msg` (from get()), published by `publisher` on `topic`. */
export interface DeliverEvent extends Stamped {
  type: 'deliver';
  subscriber: string;
  topic: string;
  msg: string;
  publisher: string;
}

export type PutOutcomeEvent = PutOkEvent | PutFailEvent | PutInfoEvent;
export type SubscriptionEvent = SubscribeEvent | SubscribedEvent | UnsubscribeEvent | UnsubscribedEvent;
export type PubSubEvent = PutEvent | PutOutcomeEvent | SubscriptionEvent | DeliverEvent;
export type PubSubEventType = PubSubEvent['type'];

export const PUBSUB_EVENT_TYPES: readonly PubSubEventType[] = [
  'put',
  'put-ok',
  'put-fail',
  'put-info',
  'subscribe',
  'subscribed',
  'unsubscribe',
  'unsubscribed',
  'deliver',
];
const pubSubTypes: ReadonlySet<string> = new Set(PUBSUB_EVENT_TYPES);

/** Whether `event` belongs to the pub/sub vocabulary (the job checkers skip these). */
export function isPubSubEvent(event: HistoryEvent): event is PubSubEvent {
  return pubSubTypes.has(event.type);
}

// ---------------------------------------------------------------------------------------------
// Security (issue #17). Principals are the names of the policy: a node's principal is its node
// name, a hostile peer's the name the harness gave it. Checked by harness/checker/secure/.

/** What one principal may do; each name or topic is exact, `prefix*` or `*`. */
export interface PrincipalRights {
  register?: string[];
  call?: string[];
  publish?: string[];
  subscribe?: string[];
  /** The subscriber ids it may open sessions as; absent means its own principal name only. */
  subscriberIds?: string[];
  /** A broker cluster's replicas: the node ids whose replica holds this key (docs/replication.md). */
  replicate?: string[];
}

/** The entitlement table the server nodes were given, in force from `t` until the next `policy`. */
export interface PolicyEvent extends Stamped {
  type: 'policy';
  principals: Record<string, PrincipalRights>;
}

/**
 * The harness took every right of `principal` away (rewrote the policy without it and told the
 * server nodes). Anything it receives later than `t + boundMs` (one tick of the node plus a
 * tolerance) is unauthorized; between the two the node may still be catching up.
 */
export interface RevokedEvent extends Stamped {
  type: 'revoked';
  principal: string;
  boundMs: number;
}

/**
 * A hostile peer driven by the harness tried `attack` as `principal` (or under no key at all) and
 * the attack is over. `performed: false` means the harness could not carry it out (`error` says why):
 * nothing was tested. `outcome` says in one line what came back; what the peer received that matters
 * is in its own `receive` events. `served` is false when a valid call made after the attack went
 * unanswered within its bound.
 */
export interface AttackEvent extends Stamped {
  type: 'attack';
  id: string;
  attack: string;
  principal: string;
  sent: string;
  performed: boolean;
  outcome: string;
  error?: string;
  served?: boolean;
}

/**
 * A peer driven by the harness (hostile, or a client it calls with) received something the system
 * sent it: a job to run (`service`, `job`), a reply (`service`, `job`: the job id the reply names),
 * a delivery (`topic`, `msg`, `subscriberId`: the session it came on), or an acceptance of what it
 * asked (`put-ok` for a put on `topic`, `subscribed` to `topic`). `resultOf` is the principal whose
 * request the reply's content echoes (every harness-driven peer sends content of its own), when
 * the harness recognised it. `attack` is the attack it belongs to.
 */
export interface ReceiveEvent extends Stamped {
  type: 'receive';
  principal: string;
  kind: 'job' | 'reply' | 'deliver' | 'put-ok' | 'subscribed';
  service?: string;
  topic?: string;
  job?: string;
  msg?: string;
  subscriberId?: string;
  resultOf?: string;
  attack?: string;
}

export type SecurityEvent = PolicyEvent | RevokedEvent | AttackEvent | ReceiveEvent;
export type SecurityEventType = SecurityEvent['type'];

export const SECURITY_EVENT_TYPES: readonly SecurityEventType[] = ['policy', 'revoked', 'attack', 'receive'];
const securityTypes: ReadonlySet<string> = new Set(SECURITY_EVENT_TYPES);

/** Whether `event` belongs to the security vocabulary (the job and pub/sub checkers skip these). */
export function isSecurityEvent(event: HistoryEvent): event is SecurityEvent {
  return securityTypes.has(event.type);
}

// ---------------------------------------------------------------------------------------------
// Control (issue #18, KHC/1). A controller (`process`: a client driver the harness asked) kills a job
// by the id it was invoked with. What the worker did is its `exec-killed`; what the submitting client
// got is its `fail` with `killed`. Checked by harness/checker/control/.

/** The harness asked controller `process` to kill `job` (it wrote `{"type":"kill"}` to its stdin). */
export interface KillEvent extends Stamped {
  type: 'kill';
  process: string;
  job: string;
}

/** What a kill can be answered definitely: `killed` (it never completes), `finished` (too late: the result stands), `unknown` (no such job). */
export type KillOutcome = 'killed' | 'finished' | 'unknown';
export const KILL_OUTCOMES: readonly KillOutcome[] = ['killed', 'finished', 'unknown'];

/** The system answered the kill of `job` definitely. */
export interface KillAnswerEvent extends Stamped {
  type: 'kill-answer';
  process: string;
  job: string;
  outcome: KillOutcome;
}

/** The controller got no definite answer to the kill of `job` within its bound; `error` says what it saw. */
export interface KillInfoEvent extends Stamped {
  type: 'kill-info';
  process: string;
  job: string;
  error: string;
}

export type ControlEvent = KillEvent | KillAnswerEvent | KillInfoEvent;
export type ControlEventType = ControlEvent['type'];

export const CONTROL_EVENT_TYPES: readonly ControlEventType[] = ['kill', 'kill-answer', 'kill-info'];
const controlTypes: ReadonlySet<string> = new Set(CONTROL_EVENT_TYPES);

/**
 * Whether `event` is a controller's (kill, kill-answer, kill-info): the request-reply checkers skip
 * these, since a kill may name a job nobody invoked (an unknown id is a case the control checker
 * judges). `exec-killed` is an execution event, not one of these.
 */
export function isControlEvent(event: HistoryEvent): event is ControlEvent {
  return controlTypes.has(event.type);
}

// ---------------------------------------------------------------------------------------------
// Orphans (issue #19 item 3): a message a node received and dropped because nothing was waiting for
// it any more. Counted in the report, never an anomaly: an orphan that reached the application as an
// answer is an `ok`, and is judged as one (stale-reply, duplicate-reply).

/**
 * What kind of orphan: `late-reply` (a reply for a job whose call had already ended), `earlier-attempt`
 * (a reply to an attempt the call had already given up on, while the call went on), `late-result` (a result handed
 * in for a job already answered, failed or killed), `torn-down` (a message for a request nobody holds any more).
 */
export type OrphanKind = 'late-reply' | 'earlier-attempt' | 'late-result' | 'torn-down';
export const ORPHAN_KINDS: readonly OrphanKind[] = ['late-reply', 'earlier-attempt', 'late-result', 'torn-down'];

/**
 * A node dropped a message about `job` that nothing waited for any more, and logged it. Exactly one of
 * `process` (a client), `worker` or `broker` says which node. `detail` says what it was, in the node's words.
 */
export interface OrphanEvent extends Stamped {
  type: 'orphan';
  process?: string;
  worker?: string;
  broker?: string;
  job: string;
  what: OrphanKind;
  detail: string;
}

/** Whether `event` is an orphan (counted, never judged by the request-reply checkers). */
export function isOrphanEvent(event: HistoryEvent): event is OrphanEvent {
  return event.type === 'orphan';
}

// ---------------------------------------------------------------------------------------------
// Retry classes and policies (issue #19 items 1 and 4). The harness records what each service
// declared (`service-policy`, never from the implementation); a client driver reports each attempt
// of a call, each attempt that ended without an answer, and for best-effort sends when the send
// returned or was dropped. Checked by harness/checker/retry-policy/.

/** How a service's calls are handled when the server is lost (docs/checkers.md, "Retry policy"). */
export type ServiceClass = 'retry' | 'give-up' | 'best-effort';
export const SERVICE_CLASSES: readonly ServiceClass[] = ['retry', 'give-up', 'best-effort'];

/** How a retry's delay is drawn below its ceiling c_k: uniform [0, c_k], uniform [c_k/2, c_k], or c_k itself. */
export type RetryJitter = 'full' | 'equal' | 'none';
export const RETRY_JITTERS: readonly RetryJitter[] = ['full', 'equal', 'none'];

/** gRPC A6 retry throttling: one bucket per client process; a retry only while tokens > maxTokens/2. */
export interface RetryBudget {
  maxTokens: number;
  ratio: number;
}

/**
 * The client's retry policy: up to `attempts` attempts; the delay before retry k (before attempt k+1)
 * is drawn per `jitter` below c_k = min(cap, initial * multiplier^(k-1)). `maxAmplification`, when
 * declared, bounds attempts per call (over the run, and over the calls made while a fault was in force).
 */
export interface RetryPolicy {
  attempts: number;
  initial: number;
  multiplier: number;
  cap: number;
  jitter: RetryJitter;
  budget?: RetryBudget;
  maxAmplification?: number;
}

/**
 * What `service` declared, recorded by the harness at the start of a run (one per declared service):
 * its class, `giveUpMs` (F) for `give-up`, and the retry policy the clients were given. Named
 * `service-policy`, not `policy`: that type is the security entitlement table (PolicyEvent).
 */
export interface ServicePolicyEvent extends Stamped {
  type: 'service-policy';
  service: string;
  class: ServiceClass;
  giveUpMs?: number;
  retry: RetryPolicy;
  /** What the scenario declared its workers can do and how soon goodput must come back after the last fault (issue #19 item 5). */
  overload?: OverloadDeclaration;
}

/**
 * A service's capacity as the scenario built it (its workers' jobs per second), and the recovery it
 * claims: within `recoverWithinMs` of the last fault's end, some window of `windowMs` (1000 when absent;
 * the harness stretches it with its time scale) holds `ok`s of at least `fraction` × `capacityPerSecond`
 * per second. Recorded by the harness, never by the implementation.
 */
export interface OverloadDeclaration {
  capacityPerSecond: number;
  recoverWithinMs: number;
  fraction: number;
  windowMs?: number;
}

/** Attempt `n` (1-based) of the call for `job` was sent by client `process` (every class; the first attempt too). */
export interface AttemptEvent extends Stamped {
  type: 'attempt';
  process: string;
  job: string;
  n: number;
}

/** Attempt `n` of the call for `job` ended without an answer (`reason`: timeout, unreachable, refused, ...), before any backoff. */
export interface AttemptFailEvent extends Stamped {
  type: 'attempt-fail';
  process: string;
  job: string;
  n: number;
  reason: string;
}

/** Best-effort: the send of `job` returned after `ms` (the client's own measure); the call is over. */
export interface SentEvent extends Stamped {
  type: 'sent';
  process: string;
  job: string;
  ms: number;
}

/** Best-effort: `job` was dropped by the client, never sent (`reason`: queue full, unreachable, ...); the call is over. */
export interface DroppedEvent extends Stamped {
  type: 'dropped';
  process: string;
  job: string;
  reason: string;
}

/**
 * The harness's open-loop workload did not offer a job for `service` to client `process`: that client
 * already had its cap of calls outstanding. Recorded by the harness (never by the implementation), so
 * what was offered is in the history, not only what was invoked.
 */
export interface ShedEvent extends Stamped {
  type: 'shed';
  process: string;
  service: string;
}

export type RetryEvent = ServicePolicyEvent | AttemptEvent | AttemptFailEvent | SentEvent | DroppedEvent | ShedEvent;
export type RetryEventType = RetryEvent['type'];

export const RETRY_EVENT_TYPES: readonly RetryEventType[] = ['service-policy', 'attempt', 'attempt-fail', 'sent', 'dropped', 'shed'];
const retryTypes: ReadonlySet<string> = new Set(RETRY_EVENT_TYPES);

/**
 * Whether `event` belongs to the retry vocabulary: the request-reply checkers skip these (an attempt
 * is a client's report about its call, not an answer); the retry-policy checker judges them.
 */
export function isRetryEvent(event: HistoryEvent): event is RetryEvent {
  return retryTypes.has(event.type);
}

export type ClientEvent = InvokeEvent | OkEvent | FailEvent | InfoEvent;
export type ExecutionEvent = ExecStartEvent | ExecEndEvent | ExecKilledEvent;
export type HistoryEvent = ClientEvent | ExecutionEvent | NemesisEvent | PubSubEvent | HarnessEvent | SecurityEvent | ControlEvent | OrphanEvent | RetryEvent;
export type HistoryEventType = HistoryEvent['type'];

/** An event before the recorder stamps it. */
export type UnstampedEvent = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 't'> : never) : never;
