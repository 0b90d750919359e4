import type {
  AttemptEvent,
  AttemptFailEvent,
  DroppedEvent,
  ExecEndEvent,
  ExecStartEvent,
  FailEvent,
  HarnessEvent,
  HistoryEvent,
  InfoEvent,
  InvokeEvent,
  OkEvent,
  RetryPolicy,
  SentEvent,
  ServicePolicyEvent,
} from '../../history/event';
import { faultSpansOf, type FaultSpan } from '../common/fault-spans';

/** One call of a declared service: its invoke, what its client reported of it, and its executions, each list in history order. */
export interface PolicyCall {
  job: string;
  invoke: InvokeEvent;
  policy: ServicePolicyEvent;
  attempts: AttemptEvent[];
  attemptFails: AttemptFailEvent[];
  /** The invoking client's ok, fail and info for the job. */
  outcomes: (OkEvent | FailEvent | InfoEvent)[];
  sends: (SentEvent | DroppedEvent)[];
  execStarts: ExecStartEvent[];
  execEnds: ExecEndEvent[];
}

/**
 * One retry of a `retry` call: attempt-fail n, then attempt n+1 after `gapMs`. `k` = n is the retry's
 * index (k = 1 for the first retry) and `ceilingMs` its declared c_k = min(cap, initial * multiplier^(k-1)).
 */
export interface Retry {
  call: PolicyCall;
  k: number;
  fail: AttemptFailEvent;
  attempt: AttemptEvent;
  gapMs: number;
  ceilingMs: number;
}

/** An event of a client process that moves or reads its retry budget, in that process's order. */
export type BudgetEvent = AttemptEvent | AttemptFailEvent | OkEvent;

/** A history indexed once for every retry-policy check. */
export interface RetryPolicyHistory {
  events: readonly HistoryEvent[];
  /** The first declared policy of each service. */
  policies: Map<string, ServicePolicyEvent>;
  /** Calls of declared services, in invoke order; calls of services nobody declared are not judged. */
  calls: PolicyCall[];
  /** Every retry of a `retry` call whose attempt-fail and next attempt were both reported, in the order of their attempt-fails. */
  retries: Retry[];
  /** Per client process, its attempts, attempt-fails and oks of declared services' calls, in history order (one pipe: real order). */
  budgetEvents: Map<string, BudgetEvent[]>;
  /** The harness's own samples, in history order. */
  harness: HarnessEvent[];
  /** Fault starts, in history order, each with its end when one came. */
  faults: FaultSpan[];
  /** attempt, attempt-fail, sent and dropped events in the history: none means the client reports nothing these checks read. */
  reports: number;
}

/** c_k = min(cap, initial * multiplier^(k-1)): the ceiling of the delay before retry k. */
export function ceilingOf(policy: RetryPolicy, k: number): number {
  return Math.min(policy.cap, policy.initial * policy.multiplier ** (k - 1));
}

export function indexRetryPolicy(events: readonly HistoryEvent[]): RetryPolicyHistory {
  const policies = new Map<string, ServicePolicyEvent>();
  for (const event of events) if (event.type === 'service-policy' && !policies.has(event.service)) policies.set(event.service, event);
  const calls: PolicyCall[] = [];
  const byJob = new Map<string, PolicyCall>();
  const budgetEvents = new Map<string, BudgetEvent[]>();
  const harness: HarnessEvent[] = [];
  let reports = 0;
  const budgetOf = (process: string): BudgetEvent[] => {
    let list = budgetEvents.get(process);
    if (list === undefined) budgetEvents.set(process, (list = []));
    return list;
  };
  for (const event of events) {
    switch (event.type) {
      case 'invoke': {
        const policy = policies.get(event.service);
        if (policy === undefined || byJob.has(event.job)) break;
        const call: PolicyCall = { job: event.job, invoke: event, policy, attempts: [], attemptFails: [], outcomes: [], sends: [], execStarts: [], execEnds: [] };
        calls.push(call);
        byJob.set(event.job, call);
        break;
      }
      case 'attempt':
      case 'attempt-fail': {
        reports++;
        const call = byJob.get(event.job);
        if (call === undefined || call.invoke.process !== event.process) break;
        if (event.type === 'attempt') call.attempts.push(event);
        else call.attemptFails.push(event);
        budgetOf(event.process).push(event);
        break;
      }
      case 'sent':
      case 'dropped': {
        reports++;
        const call = byJob.get(event.job);
        if (call !== undefined && call.invoke.process === event.process) call.sends.push(event);
        break;
      }
      case 'ok':
      case 'fail':
      case 'info': {
        const call = byJob.get(event.job);
        if (call === undefined || call.invoke.process !== event.process) break;
        call.outcomes.push(event);
        if (event.type === 'ok') budgetOf(event.process).push(event);
        break;
      }
      case 'exec-start':
        byJob.get(event.job)?.execStarts.push(event);
        break;
      case 'exec-end':
        byJob.get(event.job)?.execEnds.push(event);
        break;
      case 'harness':
        harness.push(event);
        break;
    }
  }
  return { events, policies, calls, retries: retriesOf(calls), budgetEvents, harness, faults: faultSpansOf(events), reports };
}

/** Each reported attempt n+1 of a `retry` call paired with the call's first reported attempt-fail n. */
function retriesOf(calls: readonly PolicyCall[]): Retry[] {
  const retries: Retry[] = [];
  for (const call of calls) {
    if (call.policy.class !== 'retry') continue;
    for (const attempt of call.attempts) {
      if (attempt.n < 2) continue;
      const fail = call.attemptFails.find((candidate) => candidate.n === attempt.n - 1);
      if (fail === undefined) continue;
      const k = attempt.n - 1;
      retries.push({ call, k, fail, attempt, gapMs: attempt.t - fail.t, ceilingMs: ceilingOf(call.policy.retry, k) });
    }
  }
  return retries.sort((a, b) => a.fail.t - b.fail.t);
}
