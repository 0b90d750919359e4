import { KILL_OUTCOMES, ORPHAN_KINDS, RETRY_JITTERS, SERVICE_CLASSES, type HistoryEventType } from './event';

/**
 * The history format (docs/history.md) as a JSON Schema (draft-07): one schema per line of a
 * history.jsonl, one branch per event type of event.ts, chosen by `type` (Ajv's `discriminator`,
 * so a bad line is reported against its own type's fields only). Unknown fields are refused, so a
 * misspelt field is an error rather than a field the checkers silently never read.
 * docs/history-event.schema.json is this object, written out; test/check/history-schema.test.ts
 * keeps both in step with event.ts.
 */

type JsonSchema = Record<string, unknown>;

const string = (description: string): JsonSchema => ({ type: 'string', description });
const number = (description: string): JsonSchema => ({ type: 'number', description });
const strings = (description: string): JsonSchema => ({ type: 'array', items: { type: 'string' }, description });

const t = { type: 'number', minimum: 0, description: 'milliseconds since the run started, on the harness\'s one monotonic clock (fractional)' };
const processField = string('the client (request-reply) or publisher (pub/sub) that acted');
const job = string('the job id, unique per run');
const error = string('why, as the client or publisher said it');
const accepted = { type: 'boolean', description: 'true when the system had acknowledged it before the outcome became unknown' };
const subscriber = string('the subscribing application');
const topic = string('the topic');
const msg = string('the message id, unique per run');
/** KHR/1 (a replicated broker): the term a reply or dispatch carried and the broker that sent it; a single broker's history lacks them. */
const replicaStamp = {
  term: { type: 'number', minimum: 0, multipleOf: 1, description: 'KHR/1: the term of the reply (ok, fail, info) or of the session that dispatched the job (exec-start)' },
  broker: string('KHR/1: the node id of the broker that answered or dispatched'),
};

const MEASURED_STREAM: JsonSchema = {
  type: 'object',
  description: "one stream of a link fault, summed over the fault's toxics and links",
  additionalProperties: false,
  required: ['stages', 'bytesIn', 'bytesOut', 'closed', 'reset'],
  properties: {
    stages: number('stages of its toxics on this stream (one per connection and toxic)'),
    bytesIn: number('bytes that reached the stages'),
    bytesOut: number('bytes they let through'),
    closed: number('streams a stage closed (FIN) while its input went on'),
    reset: number('connections a stage reset (RST)'),
    delays: {
      type: 'object',
      description: 'latency: the delay each chunk got in its stage',
      additionalProperties: false,
      required: ['chunks', 'early', 'minMs', 'medianMs', 'maxMs'],
      properties: {
        chunks: number('chunks measured'),
        early: number('chunks released more than 2 ms before latency - jitter'),
        minMs: number('least delay (ms)'),
        medianMs: number('median delay (ms)'),
        maxMs: number('greatest delay (ms)'),
      },
    },
  },
};

const FAULT_EFFECT: JsonSchema = {
  type: 'object',
  description: 'what the fault hit, as the nemesis saw it when the fault began (start events), or as measured on the fault proxy while it was in force (end events of message and connection faults)',
  additionalProperties: false,
  properties: {
    hit: { type: 'boolean', description: 'false: it touched nothing that carries the system\'s traffic (ineffective-fault)' },
    leader: string('a replicated broker: the replica found leading when the fault began (asked mmi.khr)'),
    term: { type: 'number', minimum: 0, multipleOf: 1, description: "a replicated broker: the leader's term when the fault began" },
    partition: {
      type: 'object',
      description: 'a partition shaped over a cluster: nodes in one group reach each other; links between nodes sharing no group were cut',
      additionalProperties: false,
      required: ['shape', 'groups'],
      properties: { shape: string('leader-isolated, leader-cut-from-peers, leader-cut-from-clients, clients-reach-only-deposed, majorities-ring, bridge or random-halves'), groups: { type: 'array', items: { type: 'array', items: { type: 'string' } }, description: 'the groups' } },
    },
    jobsInFlight: strings('request-reply: jobs in flight on the nodes or links the fault touched'),
    messagesOwed: number('pub/sub: messages owed to the subscribers the fault touched and not yet delivered to them'),
    subscriptions: strings('pub/sub: live subscriptions (subscriber:topic) of the subscribers the fault touched'),
    putsInFlight: strings('pub/sub: puts sent and not yet answered by the publishers the fault touched'),
    durationMs: number('node faults that last a while (freeze, disconnect)'),
    links: strings('link faults: the links (proxy names) it acted on'),
    direction: { type: 'string', enum: ['both', 'forward', 'backward'], description: 'link faults: which direction' },
    toxic: {
      type: 'object',
      description: 'link faults: the toxic as the fault proxy got it',
      additionalProperties: false,
      required: ['type', 'attributes'],
      properties: { type: string('the Toxiproxy toxic type'), attributes: { type: 'object', additionalProperties: { type: 'number' }, description: "the toxic's attributes" } },
    },
    match: {
      type: 'object',
      description: 'message faults: which messages their toxics matched on',
      additionalProperties: false,
      properties: {
        command: string('7/MDP, KHX/1 or KHP/1 command, or a comma-separated list of them'),
        service: string('7/MDP service'),
        job: string('KHX/1 job id'),
        topic: string('KHP/1 topic'),
        sequence: number('KHP/1 sequence'),
      },
    },
    messages: {
      type: 'object',
      description: 'message faults (end event): what their toxics did while the fault was in force',
      additionalProperties: false,
      required: ['matched', 'affected', 'unparsedStreams'],
      properties: {
        matched: number('messages the toxics matched'),
        affected: number('messages they dropped, duplicated, delayed or swapped'),
        unparsedStreams: number('connection streams the dissector could not read (CURVE, not ZMTP 3.x)'),
        unparsedReason: string('why the last of them could not be read'),
      },
    },
    trigger: {
      type: 'object',
      description: 'a message-triggered fault (on-message): what fires it, what it strikes, and (end event) the message that fired it',
      additionalProperties: false,
      required: ['nth', 'release', 'then', 'withinMs'],
      properties: {
        nth: number('the n-th matching message fires it'),
        release: { type: 'string', enum: ['forward', 'drop'], description: 'what became of the held message once the struck fault took hold' },
        then: string('the fault it strikes, in words'),
        withinMs: number('how long it waited for the message'),
        fired: { type: 'boolean', description: 'whether the message came (false: hit is false)' },
        matched: number('messages that matched, the firing one included'),
        message: {
          type: 'object',
          description: 'the message that fired it',
          additionalProperties: false,
          required: ['link', 'stream', 'command'],
          properties: {
            link: string('the link (proxy name)'),
            stream: { type: 'string', enum: ['upstream', 'downstream'], description: 'upstream: from the connecting node' },
            command: string('its command'),
            service: string('its 7/MDP service'),
            jobs: strings('the KHX/1 job ids it named'),
            topic: string('its KHP/1 topic'),
            sequence: number('its KHP/1 sequence'),
          },
        },
        firedAt: number('history time the harness learned it fired'),
        releasedAt: number('history time the held message was released'),
        struck: string('the id of the struck fault\'s nemesis events'),
      },
    },
    connections: {
      type: 'object',
      additionalProperties: { type: 'number' },
      description: 'connection faults (end event): connections the fault proxy refused, hung, delayed or cut while the fault was in force',
    },
    clock: {
      type: 'object',
      description: "clock skew: the node's wall clock offset and rate, and whether the fake clock reached every process of the node",
      additionalProperties: false,
      required: ['offsetMs', 'rate', 'reached'],
      properties: { offsetMs: number('milliseconds off real time'), rate: number('how many times real speed'), reached: { type: 'boolean', description: 'libfaketime was loaded in every process of the node (false: hit is false)' } },
    },
    stopped: {
      type: 'object',
      description: 'graceful stop (end event): how long the node took to exit once asked, the grace it had, and whether it exited by itself (false: it was killed when the grace ran out)',
      additionalProperties: false,
      required: ['graceMs', 'exitMs', 'byItself'],
      properties: {
        graceMs: number('the grace the node had to exit (ms)'),
        exitMs: number('from the stop to the exit (ms)'),
        byItself: { type: 'boolean', description: 'the node exited before its grace ran out' },
        exit: string('how the node ended (code 0, SIGTERM, SIGKILL)'),
      },
    },
    unsynced: {
      type: 'object',
      description: 'power loss (end event): what the cut destroyed of the files under the node\'s state folder',
      additionalProperties: false,
      required: ['files', 'bytes', 'written', 'reached'],
      properties: {
        files: { type: 'object', additionalProperties: { type: 'number' }, description: 'bytes destroyed per file, relative to the state folder' },
        bytes: number('bytes destroyed in all'),
        written: number('bytes the node wrote under its state folder since the last cut, durable or not (0: hit is false)'),
        removed: strings('files removed whole: their creation was never made durable'),
        renamesUndone: strings('renames never made durable, undone (`new -> old`)'),
        restored: strings('files a rename never made durable had replaced, back under their names'),
        reached: { type: 'boolean', description: 'the ledger library was loaded in every process of the node (false: hit is false)' },
      },
    },
    disk: {
      type: 'object',
      description: "disk faults (disk-full, fsync-fails, read-only; end event): the calls on the node's state folder the library failed while the fault was in force",
      additionalProperties: false,
      required: ['mode', 'failedCalls', 'writes', 'syncs', 'opens', 'metadata', 'shortWrites', 'reached'],
      properties: {
        mode: { type: 'string', description: 'the fault: disk-full, fsync-fails or read-only' },
        failedCalls: number('calls failed in all (0: hit is false)'),
        writes: number('writes failed'),
        syncs: number('syncs failed'),
        opens: number('opens failed'),
        metadata: number('renames, unlinks, mkdirs, truncates failed'),
        shortWrites: number('writes let land in part'),
        reached: { type: 'boolean', description: 'the library was loaded in every process of the node (false: hit is false)' },
      },
    },
    measured: {
      type: 'object',
      description: 'end events: the shape the fault was measured to have, on the wire (the fault proxy) or on the process (the runtime); fault-misshapen compares it with the one asked for',
      additionalProperties: false,
      properties: {
        unmeasured: string('why the shape could not be measured (then it is not judged)'),
        asked: { type: 'array', items: { type: 'string', enum: ['upstream', 'downstream'] }, description: 'link faults: the streams asked for' },
        streams: {
          type: 'object',
          description: 'link faults: per stream the toxics really acted on (told by the sockets)',
          additionalProperties: false,
          properties: { upstream: MEASURED_STREAM, downstream: MEASURED_STREAM },
        },
        openAtStart: number('link faults: connections open in the streams asked when the fault began'),
        stagesOnOpen: number('link faults: stages put on connections already open when the fault began'),
        leftAfterHeal: number('link faults: stages of its toxics still on connections right after the heal'),
        frozen: {
          type: 'object',
          description: "freeze: the node's process states sampled while frozen",
          additionalProperties: false,
          required: ['samples', 'running', 'states'],
          properties: { samples: number('samples taken'), running: number('samples that found a process of the node not stopped'), states: strings('each sample: the process state letters (T stopped), or paused/running') },
        },
        downtime: {
          type: 'object',
          description: 'crash with a restart: the pause asked and the time from the old incarnation gone to the new one started',
          additionalProperties: false,
          required: ['askedMs', 'measuredMs'],
          properties: { askedMs: number('the pause asked (ms)'), measuredMs: number('the downtime measured (ms)') },
        },
        oldAlive: { type: 'boolean', description: 'crash: a process of the killed incarnation still lived after the kill' },
      },
    },
  },
};

const patterns = (description: string): JsonSchema => strings(`${description}; each exact, prefix* or *`);
const PRINCIPAL_RIGHTS: JsonSchema = {
  type: 'object',
  description: 'what one principal may do',
  additionalProperties: false,
  properties: {
    register: patterns('services it may register as a worker'),
    call: patterns('services it may call'),
    publish: patterns('topics it may publish on'),
    subscribe: patterns('topics it may subscribe to'),
    subscriberIds: patterns('subscriber ids it may open sessions as (absent: its own name only)'),
    replicate: strings('broker cluster node ids whose replica holds this key (exact ids)'),
  },
};
const controller = string('the controller (a client driver) that asked for the kill');
const principal = string('the principal: a node name, or the name the harness gave a hostile peer');

const RETRY_POLICY: JsonSchema = {
  type: 'object',
  description: "the clients' retry policy: attempts, and the delay before retry k drawn per jitter below c_k = min(cap, initial * multiplier^(k-1))",
  additionalProperties: false,
  required: ['attempts', 'initial', 'multiplier', 'cap', 'jitter'],
  properties: {
    attempts: number('the most attempts a call makes (the first included)'),
    initial: number('ms: c_1, the ceiling of the first retry delay'),
    multiplier: number('each next ceiling is this many times the last'),
    cap: number('ms: no ceiling is above it'),
    jitter: { type: 'string', enum: [...RETRY_JITTERS], description: 'full: uniform [0, c_k]; equal: uniform [c_k/2, c_k]; none: c_k' },
    budget: {
      type: 'object',
      description: 'retry throttling (gRPC A6), one bucket per client process: an attempt-fail takes 1, an ok adds ratio, a retry only while tokens > maxTokens/2',
      additionalProperties: false,
      required: ['maxTokens', 'ratio'],
      properties: { maxTokens: number('the tokens a client starts with, and their ceiling'), ratio: number('tokens an ok adds') },
    },
    maxAmplification: number('the most attempts per call, over the run and over the calls made while a fault was in force'),
  },
};
const attemptNumber = { type: 'number', minimum: 1, multipleOf: 1, description: 'the attempt, 1-based (a whole number)' };
const caller = string('the client that made the call');

/** One event type's branch: `type`, `t` and `fields` required, `optional` allowed, nothing else. */
function event(type: HistoryEventType, description: string, fields: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}): JsonSchema {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    required: ['type', 't', ...Object.keys(fields)],
    properties: { type: { const: type }, t, ...fields, ...optional },
  };
}

/** Every branch, in the order of event.ts; the discriminator needs each `type` exactly once. */
const BRANCHES: readonly JsonSchema[] = [
  event('invoke', 'a client asked the system to run a job', { process: processField, job, service: string('the service asked for') }),
  event('ok', 'the application received a reply to the job', { process: processField, job, reply: string('the job id the reply itself names') }, replicaStamp),
  event('fail', 'a definite failure: the job did not run and will not run', { process: processField, job, error }, { killed: { const: true, description: 'the call ended because the job was killed (KHC/1 409): it did not complete and will not run' }, ...replicaStamp }),
  event('info', 'an indefinite outcome: the call gave up without knowing whether the job ran', { process: processField, job, error }, { accepted, ...replicaStamp }),
  event('exec-start', "a worker's handler started the job (reported out of band by the worker driver)", { worker: string('the worker'), job }, replicaStamp),
  event('exec-end', "a worker's handler committed the job: its effect happened", { worker: string('the worker'), job }),
  event('exec-killed', "a worker stopped the job's handler before it committed (KHC/1 KILL): no effect happened", { worker: string('the worker'), job }),
  event(
    'nemesis',
    'a fault began or ended; start and end of one fault share id',
    {
      phase: { type: 'string', enum: ['start', 'end'], description: 'whether the fault began or ended' },
      id: string('the fault id, shared by its start and end'),
      fault: string('the fault, as describeFault words it'),
      targets: strings('node names the fault touched'),
    },
    { effect: FAULT_EFFECT },
  ),
  event('harness', 'the harness watching itself over the last windowMs', {
    windowMs: number('the window the figures cover'),
    lagMaxMs: number("the longest the harness's event loop ran a timer late"),
    lagP99Ms: number('the 99th percentile of that lateness'),
    load1: number("the system's 1-minute load average"),
    cpus: number('the number of CPUs'),
  }),
  event('put', 'a publisher asked to put a message on a topic', { process: processField, topic, msg }),
  event('put-ok', 'the system durably accepted the put', { process: processField, topic, msg }),
  event('put-fail', 'definite: the put was not accepted, and the message must never be delivered', { process: processField, topic, msg, error }),
  event('put-info', 'indefinite: the put gave up without knowing whether the message was accepted', { process: processField, topic, msg, error }, { accepted }),
  event('subscribe', 'a subscriber asked to subscribe to a topic', { subscriber, topic }),
  event('subscribed', 'the system acknowledged the subscription', { subscriber, topic }),
  event('unsubscribe', 'a subscriber asked to unsubscribe from a topic', { subscriber, topic }),
  event('unsubscribed', 'the system acknowledged the unsubscription', { subscriber, topic }),
  event('deliver', "the subscriber's application received the message", { subscriber, topic, msg, publisher: string('the publisher that put it') }),
  event('policy', 'the entitlement table the server nodes were given, in force until the next policy', {
    principals: { type: 'object', additionalProperties: PRINCIPAL_RIGHTS, description: 'the rights of each principal, by name' },
  }),
  event('revoked', 'the harness took every right of a principal away', { principal, boundMs: number('how long after t the nodes may still serve it (one tick plus a tolerance)') }),
  event(
    'attack',
    'a hostile peer driven by the harness tried an attack, and the attack is over',
    {
      id: string('the attack id, unique per run'),
      attack: string('the attack (impersonation, forged-reply, job-id-reuse, ...)'),
      principal,
      sent: string('what the peer sent, in one line'),
      performed: { type: 'boolean', description: 'false: the harness could not carry the attack out, so nothing was tested' },
      outcome: string('what came back, in one line'),
    },
    { error: string('why the attack could not be performed'), served: { type: 'boolean', description: 'false: a valid call made after the attack went unanswered within its bound' } },
  ),
  event(
    'receive',
    'a peer driven by the harness received a job, reply, delivery or acceptance',
    { principal, kind: { type: 'string', enum: ['job', 'reply', 'deliver', 'put-ok', 'subscribed'], description: 'what it received' } },
    {
      service: string('job and reply: the service'),
      topic: string('deliver, put-ok and subscribed: the topic'),
      job: string('job and reply: the job id the message names'),
      msg: string('deliver: the message id'),
      subscriberId: string('deliver: the subscriber id of the session it came on'),
      resultOf: string("reply: the principal whose request the reply's content echoes"),
      attack: string('the attack it belongs to'),
    },
  ),
  event('kill', 'the harness asked a controller to kill a job', { process: controller, job: string('the job id to kill (as invoked; a kill may name a job nobody invoked)') }),
  event('kill-answer', 'the system answered the kill definitely', {
    process: controller,
    job: string('the job id the kill named'),
    outcome: { type: 'string', enum: [...KILL_OUTCOMES], description: 'killed: it never completes; finished: too late, the result stands; unknown: no such job' },
  }),
  event('kill-info', 'the controller got no definite answer to the kill within its bound', { process: controller, job: string('the job id the kill named'), error: string('what the controller saw') }),
  {
    ...event(
      'orphan',
      'a node dropped a message about a job that nothing waited for any more (counted, never an answer); exactly one of process, worker or broker',
      {
        job: string('the job id the message names'),
        what: { type: 'string', enum: [...ORPHAN_KINDS], description: 'late-reply: the call had ended; earlier-attempt: the attempt had been given up, the call went on; late-result: the job was already answered, failed or killed; torn-down: nobody holds the request' },
        detail: string('what the node dropped, in its words'),
      },
      { process: string('the client that dropped it'), worker: string('the worker that dropped it'), broker: string('the broker that dropped it (a REPLY for a job no longer in hand)') },
    ),
    // Each branch names its property again: Ajv's strict mode wants a required property defined where it is required.
    oneOf: (['process', 'worker', 'broker'] as const).map((node) => ({ required: [node], properties: { [node]: { type: 'string' } } })),
  },
  event(
    'service-policy',
    'what a service declared, recorded by the harness at the start of a run (never by the implementation)',
    {
      service: string('the service'),
      class: { type: 'string', enum: [...SERVICE_CLASSES], description: 'retry: retried up to the policy; give-up: one attempt, ended within giveUpMs; best-effort: fire and forget' },
      retry: RETRY_POLICY,
    },
    {
      giveUpMs: number('give-up: F, the ms within which a call ends'),
      overload: {
        type: 'object',
        description: "the service's capacity as the scenario built it, and the recovery it claims after the last fault (goodput-not-recovered)",
        additionalProperties: false,
        required: ['capacityPerSecond', 'recoverWithinMs', 'fraction'],
        properties: {
          capacityPerSecond: number("jobs per second the service's workers can do"),
          recoverWithinMs: number("ms after the last fault's end within which a window of enough oks must start"),
          fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'the share of the capacity that window must reach' },
          windowMs: number('ms: the length of the windows goodput is counted over (1000 when absent)'),
        },
      },
    },
  ),
  event('attempt', 'the client sent attempt n of the call', { process: caller, job, n: attemptNumber }),
  event('attempt-fail', 'attempt n of the call ended without an answer, before any backoff', { process: caller, job, n: attemptNumber, reason: string('timeout, unreachable, refused, ...') }),
  event('sent', "best-effort: the send returned; the call is over", { process: caller, job, ms: { type: 'number', minimum: 0, description: "how long the send took, in the client's own measure" } }),
  event('dropped', 'best-effort: the client dropped the message, never sent; the call is over', { process: caller, job, reason: string('why: queue full, unreachable, ...') }),
  event('shed', "the harness's open-loop workload offered no job to the client: it had its cap of calls outstanding", { process: string('the client not offered the job'), service: string('the service the job was for') }),
];

export const HISTORY_EVENT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'keelhaul-history-event-1',
  title: 'keelhaul history event (one line of history.jsonl)',
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', description: 'the event type; it decides which fields the event has' } },
  discriminator: { propertyName: 'type' },
  oneOf: BRANCHES,
} as const;

/** The event types the schema knows, in the order of event.ts. */
export const SCHEMA_EVENT_TYPES: readonly string[] = BRANCHES.map((branch) => ((branch.properties as Record<string, { const: string }>).type).const);

/** The schema as docs/history-event.schema.json holds it. */
export function renderHistorySchema(): string {
  return `${JSON.stringify(HISTORY_EVENT_SCHEMA, null, 2)}\n`;
}

if (require.main === module) process.stdout.write(renderHistorySchema());
