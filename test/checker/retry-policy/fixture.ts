import type {
  AttemptEvent,
  AttemptFailEvent,
  DroppedEvent,
  ExecStartEvent,
  FailEvent,
  HarnessEvent,
  InfoEvent,
  InvokeEvent,
  OkEvent,
  RetryPolicy,
  SentEvent,
  ServiceClass,
  ServicePolicyEvent,
} from '../../../harness/history/event';

/** Terse constructors for hand-built retry-policy histories; times are explicit so each test reads as a timeline. */
export const RETRY: RetryPolicy = { attempts: 4, initial: 100, multiplier: 2, cap: 1000, jitter: 'full' };

export const policy = (service: string, cls: ServiceClass, retry: Partial<RetryPolicy> = {}, giveUpMs?: number): ServicePolicyEvent => ({
  type: 'service-policy',
  t: 0,
  service,
  class: cls,
  ...(giveUpMs !== undefined ? { giveUpMs } : {}),
  retry: { ...RETRY, ...retry },
});
export const call = (t: number, job: string, service = 'echo', process = 'client-1'): InvokeEvent => ({ type: 'invoke', t, process, job, service });
export const attempt = (t: number, job: string, n: number, process = 'client-1'): AttemptEvent => ({ type: 'attempt', t, process, job, n });
export const attemptFail = (t: number, job: string, n: number, process = 'client-1', reason = 'timeout'): AttemptFailEvent => ({ type: 'attempt-fail', t, process, job, n, reason });
export const sent = (t: number, job: string, ms = 0.2, process = 'client-1'): SentEvent => ({ type: 'sent', t, process, job, ms });
export const dropped = (t: number, job: string, process = 'client-1'): DroppedEvent => ({ type: 'dropped', t, process, job, reason: 'queue full' });
export const ok = (t: number, job: string, process = 'client-1'): OkEvent => ({ type: 'ok', t, process, job, reply: job });
export const failed = (t: number, job: string, process = 'client-1'): FailEvent => ({ type: 'fail', t, process, job, error: 'gave up: server lost' });
export const infoed = (t: number, job: string, process = 'client-1'): InfoEvent => ({ type: 'info', t, process, job, error: 'gave up: may have run' });
export const started = (t: number, job: string, worker = 'worker-1'): ExecStartEvent => ({ type: 'exec-start', t, worker, job });
export const harness = (t: number, lagMaxMs: number): HarnessEvent => ({ type: 'harness', t, windowMs: 500, lagMaxMs, lagP99Ms: lagMaxMs, load1: 1, cpus: 2 });
