/**
 * Defects the reference broker can be started with, only to prove that the suite catches them and
 * names the rule broken (`keelhaul broker --seed-defect <name>`, hidden from help). Each is a known
 * way real Majordomo brokers go wrong. Never on unless named.
 */
export const BROKER_DEFECTS = {
  'crash-on-malformed': 'the process dies on the first malformed message instead of dropping it',
  'no-heartbeat-to-busy-workers': 'no heartbeat goes to a worker while it holds a request, so a worker with a long job hears nothing from its broker',
  'no-requeue-of-dead-workers-job': 'the request a worker held when it fell silent (died) is dropped instead of going back to the queue, so only a client retry can save it',
  'never-expire-requests': 'requests for a service with no workers wait forever, and go to whatever worker registers for it later, however old',
  'mmi-keeps-services': '8/MMI answers 200 for every service the broker ever heard of: one a request named, or one whose last worker left',
  'grace-for-given-back': 'KHX/1: the job a worker gives back with DISCONNECT waits out the result grace, as if the worker had fallen silent, instead of being requeued at once',
  'ignore-disconnect': 'a worker\'s DISCONNECT is ignored: the broker keeps heartbeating it and sends it requests until its heartbeats expire',
  'no-fsync': 'the journal is written without O_DSYNC or fdatasync (as --unsafe-no-sync): every acknowledged job survives a crash, which keeps the page cache, and none survives a power cut',
  'ignore-sync-errors': 'the journal ignores a failed write or fdatasync (EIO, ENOSPC) and acknowledges the jobs anyway, as PostgreSQL did before "fsyncgate": they are gone after a power cut (docs/disk-faults.md)',
  'ack-before-commit': 'cluster mode: a job is answered 202 and a result 200/RECORDED once the leader\'s own disk has the record, before a majority has it: a leader lost right after loses acknowledged jobs',
  'single-worker-per-service': 'a service has one request in progress at a time: the others wait in its queue while its other workers sit idle (a broker that keeps one busy flag per service instead of its list of idle workers)',
  'deposed-keeps-serving': 'cluster mode: a broker that has led never hears that it was deposed (check quorum, a higher term, a stall): it goes on as a second master of the term it led (Binary Star\'s, zguide#172), keeping its workers, queue and table, accepting, dispatching and answering on its own disk\'s word (no commit, no read index) and stamping all of it with its old term: only the clients\' and workers\' fencing refuses it',
  'follower-keeps-plain-workers': 'cluster mode: a follower keeps a worker that did not declare KHR/1 (a KHX/1-only or plain one) instead of DISCONNECTing it, and answers its heartbeats: the worker stays on a broker that never dispatches',
  'fire-and-forget-kill': 'KHC/1 KILL of a running job is answered `killed` at once, never journaled, and CONTROL KILL is sent once and never repeated (as Celery\'s revoke): a lost instruction or an unstoppable handler runs on after the answer',
} as const;

export type BrokerDefect = keyof typeof BROKER_DEFECTS;

/** Defects the reference client can be started with (`keelhaul client --seed-defect <name>`, hidden from help). */
export const CLIENT_DEFECTS = {
  'fixed-backoff': 'every retry waits exactly the initial backoff: no jitter and no growth, so clients that failed together retry in lockstep',
  'retries-give-up': 'a give-up service is treated as retry: several attempts and no deadline, so the job may start long after the call was given up',
  'no-fencing': 'KHR/1: replies carrying a lower term than one already seen are accepted, so a deposed leader\'s answer reaches the application',
  'khr-gives-up-on-501': 'KHR/1: a client that asks `mmi.khr` (several endpoints, or --khr on) fails every call when the broker answers 501, instead of speaking KHX/1 to a single broker',
  'ignore-graceful-stop': 'the client driver handles SIGTERM by doing nothing: it keeps reading calls and never exits, so a supervisor\'s stop becomes a kill',
} as const;

export type ClientDefect = keyof typeof CLIENT_DEFECTS;

/** Defects the reference worker can be started with (`keelhaul worker --seed-defect <name>`, hidden from help). */
export const WORKER_DEFECTS = {
  'ignore-broker-disconnect': 'the broker\'s DISCONNECT is ignored: the worker keeps its socket and keeps heartbeating on it, and never registers again',
  'rerun-repeated-job': 'KHX/1: a REQUEST for a job whose result the worker still holds runs the handler again instead of answering with the kept result',
  'redundant-heartbeats': 'a HEARTBEAT goes out on every tick, also right after a REPLY, as a timer-driven worker sends it',
  'no-heartbeat-while-busy': 'no HEARTBEAT goes out while the handler runs a job, as a worker that heartbeats from the loop its handler blocks: a job longer than a liveness period gets it expired mid-job',
  'no-fencing': 'KHR/1: REQUEST, RECORDED and CONTROL from a session whose term is lower than one already seen are obeyed, so a deposed leader still dispatches',
  'khr-declared-early': 'KHR/1: the worker declares KHR/1 before KHT/1 (after KHX/1, its instance id and KHC/1) instead of as the last READY extension frame',
  'never-reconnect-on-silence': 'a broker silent past the liveness is never taken for disconnected: the worker keeps its socket and heartbeats on it forever, and never registers again on a new one',
} as const;

export type WorkerDefect = keyof typeof WORKER_DEFECTS;

/** Defects the reference subscriber can be started with (`keelhaul subscribe --seed-defect <name>`, hidden from help). */
export const SUBSCRIBER_DEFECTS = {
  'subscribe-before-welcome': 'SUBSCRIBE and UNSUBSCRIBE go out the moment they are called, WELCOME or not, and are not sent again after a WELCOME',
  'queue-gaps': 'a DELIVER is queued whenever its sequence is beyond the received position: a gap is handed out instead of dropped, and the message it skipped never is',
  'forbidden-is-transient': 'FORBIDDEN is ignored as if it were a lost answer: the SUBSCRIBE is sent again until its call times out, and a forbidden subscriber id keeps saying HELLO',
  'keep-unsubscribed': 'unsubscribe() leaves the topic subscribed until UNSUBSCRIBED comes: DELIVERs that arrive meanwhile are still handed out',
} as const;

export type SubscriberDefect = keyof typeof SUBSCRIBER_DEFECTS;

/** Defects the reference pub/sub proxy can be started with (`keelhaul pubsub-proxy --seed-defect <name>`, hidden from help). */
export const PROXY_DEFECTS = {
  'crash-on-malformed': 'the process dies on the first malformed message instead of dropping it',
  'uncapped-ack': 'an ACK (or HELLO position) is taken as it comes, not capped at what was delivered to that subscriber id: an ACK far ahead swallows messages not yet put',
  'accept-ahead': 'a windowed PUT ahead of its publisher stream is accepted at once instead of dropped: a publisher\'s messages can get sequences out of its put() order',
  'never-evict': 'subscriber ids without a session keep their subscriptions forever, whatever --subscriber-eviction says',
  'ignore-sync-errors': 'the journal ignores a failed write or fdatasync and the proxy acknowledges the puts anyway, serving on (as the broker defect of that name)',
} as const;

export type ProxyDefect = keyof typeof PROXY_DEFECTS;

/** `a,b` checked against `known`: an unknown name is an error listing the known ones. */
function parseDefects<D extends string>(text: string, catalogue: Readonly<Record<D, string>>): D[] {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const known = Object.keys(catalogue);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown seeded defect ${unknown.map((name) => `"${name}"`).join(', ')}; known: ${known.join(', ')}`);
  return names as D[];
}

export function parseBrokerDefects(text: string): BrokerDefect[] {
  return parseDefects(text, BROKER_DEFECTS);
}

export function parseClientDefects(text: string): ClientDefect[] {
  return parseDefects(text, CLIENT_DEFECTS);
}

export function parseWorkerDefects(text: string): WorkerDefect[] {
  return parseDefects(text, WORKER_DEFECTS);
}

export function parseProxyDefects(text: string): ProxyDefect[] {
  return parseDefects(text, PROXY_DEFECTS);
}

export function parseSubscriberDefects(text: string): SubscriberDefect[] {
  return parseDefects(text, SUBSCRIBER_DEFECTS);
}

/** The crash a seeded defect causes: an uncaught exception, as the bug it stands for would throw. */
export function crashForDefect(defect: BrokerDefect | ProxyDefect, detail: string): void {
  process.nextTick(() => {
    throw new Error(`seeded defect ${defect}: ${detail}`);
  });
}
