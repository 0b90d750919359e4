import { callBound } from '../../reference/client';
import { formatRetryPolicy, parseRetryPolicy } from '../../reference/classes/retry-policy';
import { formatServiceClasses, parseServiceClasses, type ServiceClass } from '../../reference/classes/service-classes';

/**
 * Every interval a scenario runs with. Scenarios scale them down (a 50 ms heartbeat) so that a
 * fault scenario takes seconds; the bounds the checkers enforce are derived from the same numbers.
 */
export interface Timing {
  heartbeatInterval: number;
  heartbeatLiveness: number;
  /** Client: reply timeout per attempt, attempts per call, backoff between attempts. */
  clientTimeout: number;
  clientAttempts: number;
  backoffInitial: number;
  backoffMax: number;
  /** Broker: how long a request may wait for a worker. */
  requestExpiry: number;
  /**
   * Broker (KHX/1): how long the job of a worker that fell silent waits for that worker to hand in
   * its result before another worker runs it. Longer than a worker needs to notice a dead link
   * (a liveness period), back off (backoffMax) and register again after a short partition.
   */
  resultGrace: number;
  /** Worker: simulated work per job, unless a scenario asks for another. */
  workMs: number;
  /**
   * Broker: how long one worker may hold one job before the broker takes it back (the processing
   * timeout, docs/protocol.md KHX/1 broker rule 9). Undefined: off, as the reference broker's default.
   */
  processingTimeout?: number;
  /**
   * Broker (KHX/1): how long a completed job is remembered to answer retries from its record (broker
   * rule 7). Undefined: the broker's own default (REFERENCE_RETENTION_MS in `{{retentionMs}}`).
   */
  retentionMs?: number;
  /**
   * Broker and client: declared classes of service (`--service-class`, docs/protocol.md KHX/1 rule 10),
   * e.g. `echo=retry,step=give-up:800,log=best-effort`. Undefined: none (`off`), every service retry.
   */
  serviceClasses?: string;
  /**
   * Client: the retry policy (`--retry`, docs/drivers.md). Undefined: derived from clientAttempts,
   * backoffInitial and backoffMax with doubling, equal jitter and no budget. Its ms (initial, cap) scale
   * with the time scale, as a give-up service's F in serviceClasses does.
   */
  retryPolicy?: string;
}

/** `{{retryPolicy}}` when a scenario sets none: today's curve; attempts, initial and cap come from the client's own flags. */
export const DERIVED_RETRY_POLICY = 'multiplier=2,jitter=equal,budget=off';

export const SCENARIO_TIMING: Timing = {
  heartbeatInterval: 50,
  heartbeatLiveness: 3,
  clientTimeout: 400,
  clientAttempts: 8,
  backoffInitial: 20,
  backoffMax: 200,
  requestExpiry: 3_000,
  resultGrace: 1_000,
  workMs: 2,
};

/**
 * Every interval multiplied by `scale` (the harness's one time scale); counts (liveness, attempts)
 * stay as they are, so a slow machine gets the same protocol with more time per step.
 */
export function scaleTiming(timing: Timing, scale: number): Timing {
  if (scale === 1) return timing;
  const s = (ms: number) => Math.max(1, Math.round(ms * scale));
  return {
    ...timing,
    heartbeatInterval: s(timing.heartbeatInterval),
    clientTimeout: s(timing.clientTimeout),
    backoffInitial: s(timing.backoffInitial),
    backoffMax: s(timing.backoffMax),
    requestExpiry: s(timing.requestExpiry),
    resultGrace: s(timing.resultGrace),
    workMs: timing.workMs === 0 ? 0 : s(timing.workMs),
    ...(timing.processingTimeout === undefined ? {} : { processingTimeout: s(timing.processingTimeout) }),
    ...(timing.retentionMs === undefined ? {} : { retentionMs: s(timing.retentionMs) }),
    ...(timing.serviceClasses === undefined ? {} : { serviceClasses: scaleServiceClasses(timing.serviceClasses, s) }),
    ...(timing.retryPolicy === undefined ? {} : { retryPolicy: scaleRetryPolicy(timing, s) }),
  };
}

/** A give-up service's F is an interval like any other: it scales. */
export function scaleServiceClasses(spec: string, s: (ms: number) => number): string {
  const scaled = new Map<string, ServiceClass>();
  for (const [service, klass] of parseServiceClasses(spec).services) scaled.set(service, klass.kind === 'give-up' ? { kind: 'give-up', giveUpMs: s(klass.giveUpMs) } : klass);
  return formatServiceClasses({ services: scaled });
}

/** The policy's initial and cap scale (its attempts, multiplier, jitter and budget are counts and shapes); keys it did not set stay unset. */
export function scaleRetryPolicy(timing: Timing, s: (ms: number) => number): string {
  const text = timing.retryPolicy ?? '';
  const policy = parseRetryPolicy(text, { attempts: timing.clientAttempts, initial: timing.backoffInitial, cap: timing.backoffMax });
  const given = new Set(text.split(',').map((entry) => entry.split('=')[0].trim()));
  const full = formatRetryPolicy({ ...policy, initial: s(policy.initial), cap: s(policy.cap) }).split(',');
  const kept = full.filter((entry) => given.has(entry.split('=')[0]));
  return kept.length === 0 ? 'off' : kept.join(',');
}

/** How long a peer may be silent before it is taken for dead. */
export function livenessPeriod(timing: Timing): number {
  return timing.heartbeatInterval * timing.heartbeatLiveness;
}

/**
 * How long the harness's own event loop may stall before a missed bound proves nothing against the
 * implementation: half a liveness period. The harness only measures itself; the nodes share its cores,
 * and one of them stalled twice as long as the harness (a worker silent past its liveness, expired
 * with no fault) is what a loaded machine looks like.
 */
export function starvationSlack(timing: Timing): number {
  return livenessPeriod(timing) / 2;
}

/**
 * How long after a revocation a secure server may still serve the revoked principal: one tick (a
 * heartbeat interval: the server checks its policy file on each) plus a liveness period of
 * tolerance for the reload itself and for the harness learning of deliveries from node reports.
 */
export function revocationBound(timing: Timing): number {
  return timing.heartbeatInterval + livenessPeriod(timing);
}

/** The longest one client call may take before the stuck checker flags it; a scenario's retry policy counts (its attempts and cap may exceed the flags'). */
export function clientCallBound(timing: Timing): number {
  const defaults = { attempts: timing.clientAttempts, initial: timing.backoffInitial, cap: timing.backoffMax };
  return callBound({
    timeout: timing.clientTimeout,
    attempts: timing.clientAttempts,
    backoffInitial: timing.backoffInitial,
    backoffMax: timing.backoffMax,
    checkService: true,
    ...(timing.retryPolicy === undefined ? {} : { retryPolicy: parseRetryPolicy(timing.retryPolicy, defaults) }),
  });
}

/**
 * After the last fault heals, the system must make progress within this bound: a worker notices a
 * dead broker within a liveness period, backs off at most backoffMax, a job held by a lost worker
 * waits out the result grace, and a client's next attempt starts within one timeout plus one backoff.
 */
export function recoveryBound(timing: Timing): number {
  return 2 * livenessPeriod(timing) + timing.resultGrace + timing.clientTimeout + 2 * timing.backoffMax + 500;
}

/**
 * How soon after a worker got stuck on a job (heartbeating, never finishing) its call must have its
 * reply, with the broker's processing timeout on: the timeout, one heartbeat tick for the broker to see
 * it, then recovery as after any fault (a KILL and its ack, or the worker's loss and the result grace).
 */
export function takeOverBound(timing: Timing): number {
  if (timing.processingTimeout === undefined) throw new Error('no processing timeout is set: a stuck job is never taken over');
  return timing.processingTimeout + timing.heartbeatInterval + recoveryBound(timing);
}

/**
 * Clients that try each call once and wait past the recovery bound for its reply: no retry of theirs
 * can complete a job the system lost, so only the broker's own recovery (re-sending a dead worker's
 * request) can. Changes `timing` in place, as the other client-timing steps do.
 */
export function singleAttemptPastRecovery(timing: Timing): void {
  timing.clientTimeout = recoveryBound(timing) + livenessPeriod(timing);
  timing.clientAttempts = 1;
}

/** What the request-reply checkers need of the timing: the liveness bounds and the clients' retries. */
export function requestReplyCheckBounds(timing: Timing): { callBound: number; recoveryBound: number; clientTimeout: number; clientAttempts: number; livenessPeriod: number } {
  return { callBound: clientCallBound(timing), recoveryBound: recoveryBound(timing), clientTimeout: timing.clientTimeout, clientAttempts: timing.clientAttempts, livenessPeriod: livenessPeriod(timing) };
}

/**
 * Declares the classes of service and the clients' retry policy from a scenario's own words, after the
 * timing was scaled: a give-up service's F and the policy's initial and cap stretch with `scale` as
 * scaleTiming would have stretched them. Changes `timing` in place, as the other client-timing steps do.
 */
export function declareClassesAndPolicy(timing: Timing, serviceClasses: string, retryPolicy: string, scale: number): void {
  const stretched = scaleTiming({ ...timing, serviceClasses, retryPolicy }, scale);
  timing.serviceClasses = stretched.serviceClasses;
  timing.retryPolicy = stretched.retryPolicy;
}
