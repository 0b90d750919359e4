import type { ServicePolicyEvent } from '../../history/event';
import { sharedAnalysis } from '../registry';
import type { Retry, RetryPolicyHistory } from './history';
import { ksBracketed, uniformCdf, type KsResult } from './kolmogorov-smirnov';
import type { RetryPolicyCheckOptions } from './ladder';
import { lagAround, TOLERANCE_MS } from './tolerance';

/** The spread is judged only over at least this many retries of a service, pooled over k. */
export const MIN_RETRIES = 100;
/** A per-k test is made only over at least this many retries with that k. */
export const MIN_RETRIES_PER_K = 20;
/** The false-alarm rate of the jitter judgement of one service, split over its tests (Bonferroni). */
export const JITTER_ALPHA = 0.001;

/** One KS test of a service's retries: pooled (k undefined) or of retry index k. */
export interface JitterTest {
  k?: number;
  retries: Retry[];
  result: KsResult;
  /** JITTER_ALPHA / the number of tests made for the service. */
  alpha: number;
}

export interface ServiceJitter {
  policy: ServicePolicyEvent;
  retries: Retry[];
  /** Empty when there were fewer than MIN_RETRIES retries. */
  tests: JitterTest[];
}

/**
 * Each retry's gap over its ceiling c_k, as the bracket its true delay lies in: late by at most the
 * tolerance (constant + the harness's lag), early by at most the lag (a stall can stamp the
 * attempt-fail late; a timer never fires early).
 */
function bracket(history: RetryPolicyHistory, options: RetryPolicyCheckOptions, retry: Retry): { low: number; high: number } {
  const lag = lagAround(history.harness, retry.fail.t, retry.attempt.t);
  const late = (options.toleranceMs ?? TOLERANCE_MS) + lag;
  return { low: (retry.gapMs - late) / retry.ceilingMs, high: (retry.gapMs + lag) / retry.ceilingMs };
}

/**
 * Per `retry` service declaring `full` or `equal` jitter: its retries (those with c_k > 0), and when
 * there are at least MIN_RETRIES of them, a KS test of the normalised gaps against the declared
 * uniform distribution, pooled and for each k with at least MIN_RETRIES_PER_K retries, each at
 * JITTER_ALPHA divided by the number of tests made. Shared by jitter-missing and too-few-retries.
 */
export const analyseJitter = sharedAnalysis((history: RetryPolicyHistory, options: RetryPolicyCheckOptions): ServiceJitter[] => {
  const services: ServiceJitter[] = [];
  for (const policy of history.policies.values()) {
    if (policy.class !== 'retry' || policy.retry.jitter === 'none') continue;
    const retries = history.retries.filter((retry) => retry.call.policy === policy && retry.ceilingMs > 0);
    const service: ServiceJitter = { policy, retries, tests: [] };
    services.push(service);
    if (retries.length < MIN_RETRIES) continue;
    const byK = new Map<number, Retry[]>();
    for (const retry of retries) byK.set(retry.k, [...(byK.get(retry.k) ?? []), retry]);
    const groups: { k?: number; retries: Retry[] }[] = [{ retries }, ...[...byK].filter(([, group]) => group.length >= MIN_RETRIES_PER_K).map(([k, group]) => ({ k, retries: group }))];
    const cdf = policy.retry.jitter === 'full' ? uniformCdf(0, 1) : uniformCdf(0.5, 1);
    const alpha = JITTER_ALPHA / groups.length;
    service.tests = groups.map((group) => ({ ...group, alpha, result: ksBracketed(group.retries.map((retry) => bracket(history, options, retry)), cdf) }));
  }
  return services;
});
