import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { Retry, RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';
import { lagAround } from './tolerance';

/** Attempt-fails (and then next attempts) of different clients this close together are bunched (ms). */
export const LOCKSTEP_WINDOW_MS = 5;
/** A cohort is attempt-fails of at least this many different clients within the window. */
export const COHORT_CLIENTS = 3;
/** Lockstep is judged over at least this many cohorts. */
export const MIN_COHORTS = 5;
/** The most probability the declared jitter leaves for so many cohorts staying bunched by chance. */
export const LOCKSTEP_ALPHA = 0.001;
/** A cohort larger than this is cut to its first members, which keeps the binomial coefficients of the bound finite. */
const MAX_COHORT = 60;

interface Cohort {
  /** One retry per client, the first in the window. */
  members: Retry[];
  /** The members whose next attempts were again within the window (at least the quorum of clients), when they were. */
  bunched?: Retry[];
  /** Upper bound of the probability that the cohort stays bunched under the declared jitter. */
  chance: number;
}

/** The width of the declared delay's range before a retry: c_k (full), c_k/2 (equal). */
function spread(retry: Retry): number {
  return retry.call.policy.retry.jitter === 'full' ? retry.ceilingMs : retry.ceilingMs / 2;
}

/** How many of a cohort's m clients must send their next attempts within the window again: two thirds, and at least COHORT_CLIENTS. */
export function bunchedQuorum(members: number): number {
  return Math.max(COHORT_CLIENTS, Math.ceil((2 * members) / 3));
}

/** The first run of `retries` of at least `quorum` clients whose `at` lie within `window` of each other. */
function bunchedRun(retries: readonly Retry[], at: (retry: Retry) => number, window: number, quorum: number): Retry[] | undefined {
  const sorted = [...retries].sort((a, b) => at(a) - at(b));
  for (let first = 0; first < sorted.length; first++) {
    const run = sorted.slice(first).filter((retry) => at(retry) - at(sorted[first]) <= window);
    if (new Set(run.map((retry) => retry.call.invoke.process)).size >= quorum) return run;
  }
  return undefined;
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/**
 * An upper bound of P(the next attempts of `quorum` of the members fall within `window`) under the
 * declared jitter, by the union bound over the C(m, quorum) subsets: in a subset, each member but its
 * anchor lands within ±window of the anchor with probability at most 2·window / its delay range (a
 * uniform draw's density, which the client's own lateness only smooths); the quorum-1 largest such
 * factors bound every subset's product.
 */
function chanceOfBunching(members: readonly Retry[], window: number, quorum: number): number {
  const factors = members.map((retry) => Math.min(1, (2 * window) / spread(retry))).sort((a, b) => b - a);
  const product = factors.slice(0, quorum - 1).reduce((all, factor) => all * factor, 1);
  return Math.min(1, binomial(members.length, quorum) * product);
}

/** P(at least `count` successes) of independent Bernoulli trials with the given chances (Poisson binomial tail). */
export function tailAtLeast(chances: readonly number[], count: number): number {
  let distribution = [1];
  for (const p of chances) {
    const next = new Array<number>(distribution.length + 1).fill(0);
    distribution.forEach((mass, successes) => {
      next[successes] += mass * (1 - p);
      next[successes + 1] += mass * p;
    });
    distribution = next;
  }
  return distribution.slice(count).reduce((sum, mass) => sum + mass, 0);
}

/**
 * The cohorts: attempt-fails of `retry` calls declaring `full` or `equal` jitter, taken in time order;
 * a window of LOCKSTEP_WINDOW_MS from an attempt-fail holding attempt-fails of at least COHORT_CLIENTS
 * clients is a cohort (one retry per client), and the next cohort starts after it. A cohort stays
 * bunched when the next attempts of two thirds of its clients (at least COHORT_CLIENTS) are again
 * within the window. The harness's lag around the retries widens the window the chance is reckoned over: a stall
 * can stamp attempts written apart at one moment.
 */
function cohortsOf(history: RetryPolicyHistory): Cohort[] {
  const retries = history.retries.filter((retry) => retry.call.policy.retry.jitter !== 'none' && retry.ceilingMs > 0);
  const cohorts: Cohort[] = [];
  let index = 0;
  while (index < retries.length) {
    const start = retries[index].fail.t;
    let end = index;
    while (end < retries.length && retries[end].fail.t - start <= LOCKSTEP_WINDOW_MS) end++;
    const byClient = new Map<string, Retry>();
    for (const retry of retries.slice(index, end)) if (!byClient.has(retry.call.invoke.process)) byClient.set(retry.call.invoke.process, retry);
    if (byClient.size < COHORT_CLIENTS) {
      index++;
      continue;
    }
    const members = [...byClient.values()].slice(0, MAX_COHORT);
    const quorum = bunchedQuorum(members.length);
    const lag = lagAround(history.harness, start, Math.max(...members.map((retry) => retry.attempt.t)));
    const bunched = bunchedRun(members, (retry) => retry.attempt.t, LOCKSTEP_WINDOW_MS, quorum);
    cohorts.push({ members, ...(bunched !== undefined ? { bunched } : {}), chance: chanceOfBunching(members, LOCKSTEP_WINDOW_MS + lag, quorum) });
    index = end;
  }
  return cohorts;
}

/**
 * Retries of different clients that stay bunched (aws-cdk-cli#1942): at least MIN_COHORTS cohorts,
 * more than half of them bunched again at their next attempts, and that many bunched by chance under
 * the declared jitter has probability at most LOCKSTEP_ALPHA. One finding for the history.
 */
export function checkLockstep(history: RetryPolicyHistory): Finding<'lockstep'>[] {
  const cohorts = cohortsOf(history);
  const bunched = cohorts.filter((cohort) => cohort.bunched !== undefined);
  if (cohorts.length < MIN_COHORTS || bunched.length * 2 <= cohorts.length) return [];
  const chance = tailAtLeast(
    cohorts.map((cohort) => cohort.chance),
    bunched.length,
  );
  if (chance > LOCKSTEP_ALPHA) return [];
  const example = bunched[0].bunched ?? [];
  const jitters = [...new Set(cohorts.flatMap((cohort) => cohort.members.map((retry) => retry.call.policy.retry.jitter)))].join(' and ');
  return [
    {
      name: 'lockstep',
      detail: `retries of different clients moved in lockstep: ${bunched.length} of ${cohorts.length} cohorts (attempt-fails of >= ${COHORT_CLIENTS} clients within ${LOCKSTEP_WINDOW_MS} ms) had two thirds of their clients send their next attempts within ${LOCKSTEP_WINDOW_MS} ms of each other again; under the declared jitter ${jitters} that many stay bunched by chance with probability <= ${chance.toPrecision(2)} (< ${LOCKSTEP_ALPHA}, widened by the harness's lag); e.g. ${example.map((retry) => `${retry.call.invoke.process} (call ${retry.call.job}) attempt-fail ${retry.fail.n} at ${ms(retry.fail.t)}, attempt ${retry.attempt.n} at ${ms(retry.attempt.t)}`).join('; ')}`,
      events: [...new Set(example.map((retry) => retry.call.policy)), ...example.flatMap((retry) => [retry.fail, retry.attempt])].sort((a, b) => a.t - b.t),
    },
  ];
}

export const LOCKSTEP = retryPolicyRule({
  name: 'lockstep',
  describe: `Retries of different clients bunched: a cohort is the attempt-fails of at least ${COHORT_CLIENTS} clients within ${LOCKSTEP_WINDOW_MS} ms (of \`retry\` calls declaring jitter \`full\` or \`equal\`); it stays bunched when the next attempts of two thirds of its clients (at least ${COHORT_CLIENTS}) are again within ${LOCKSTEP_WINDOW_MS} ms. Flagged when there are at least ${MIN_COHORTS} cohorts, more than half stay bunched, and the declared jitter gives that many a chance of at most ${LOCKSTEP_ALPHA} (each cohort's chance bounded by a union over its client subsets, the window widened by the harness's lag).`,
  check: checkLockstep,
});
