import type { HistoryEvent, RetryJitter, RetryPolicy, ServicePolicyEvent, UnstampedEvent } from '../../../harness/history/event';
import { seededRandom, type Random } from '../../../harness/util/random';

/**
 * A seeded simulator of retry-policy histories, pure and fast, for measuring the checkers' false
 * alarms on CORRECT clients and their power on broken ones. Several clients make calls one after
 * another to a retry service, a give-up service and a best-effort service; attempts time out at
 * random, and the broker goes away now and then (short restarts, and one long outage): attempts in
 * flight then fail together ("unreachable"), which is what gathers cohorts for the lockstep check.
 * A correct client draws each delay from the declared jitter with a seeded PRNG, is late by a little
 * (now and then by up to 20 ms, within the 25 ms tolerance), honours its retry budget and never
 * retries a give-up call. The harness's stamping is simulated too: every event is stamped a little
 * after it happened, much later inside a stall that the harness's own `harness` sample reports.
 */

/** A way to break the client, each one rule of the policy. */
export type ClientDefect = 'fixed-backoff' | 'no-budget' | 'retry-give-up';

export interface SimulationOptions {
  seed: number;
  /** The jitter the policy declares (default: drawn from the seed, full or equal). */
  jitter?: Exclude<RetryJitter, 'none'>;
  defect?: ClientDefect;
  clients?: number;
  callsPerClient?: number;
  /**
   * Every client starts its i-th call at the same moment (a round every ROUND_MS), and the broker
   * restarts just after some rounds begin: the clients' first attempts fail together, so the
   * lockstep check sees many cohorts, as after a real broker restart under synchronized load.
   */
  synchronized?: boolean;
}

const TIMEOUT_MS = 200;
const GIVE_UP_MS = 300;
const TIMEOUT_CHANCE = 0.35;
const ROUND_MS = 4000;

interface Outage {
  from: number;
  to: number;
  id: string;
}

/** The events of one client process, in the order it wrote them: (true time, event without its stamp). */
type Written = { at: number; event: UnstampedEvent };

function uniform(random: Random, from: number, to: number): number {
  return from + random() * (to - from);
}

/** A client timer's lateness: usually a millisecond or two, now and then up to 20 ms (within the 25 ms tolerance). */
function lateness(random: Random): number {
  return random() < 0.9 ? uniform(random, 0, 2) : uniform(random, 0, 20);
}

function ceiling(policy: RetryPolicy, k: number): number {
  return Math.min(policy.cap, policy.initial * policy.multiplier ** (k - 1));
}

function delay(random: Random, policy: RetryPolicy, k: number, defect: ClientDefect | undefined): number {
  const c = ceiling(policy, k);
  if (defect === 'fixed-backoff') return c;
  return policy.jitter === 'full' ? uniform(random, 0, c) : policy.jitter === 'equal' ? uniform(random, c / 2, c) : c;
}

function outageAt(outages: readonly Outage[], t: number): Outage | undefined {
  return outages.find((outage) => t >= outage.from && t < outage.to);
}

/** The first outage that begins within (from, to]: an attempt in flight then fails as it begins. */
function outageDuring(outages: readonly Outage[], from: number, to: number): Outage | undefined {
  return outages.filter((outage) => outage.from > from && outage.from <= to).sort((a, b) => a.from - b.from)[0];
}

export function simulateHistory(options: SimulationOptions): HistoryEvent[] {
  const random = seededRandom(`retry-policy-sim:${options.seed}`);
  const jitter = options.jitter ?? (random() < 0.5 ? 'full' : 'equal');
  const retry: RetryPolicy = { attempts: 5, initial: 100, multiplier: 2, cap: 1000, jitter, budget: { maxTokens: 20, ratio: 0.5 } };
  const policies: ServicePolicyEvent[] = [
    { type: 'service-policy', t: 0, service: 'echo', class: 'retry', retry },
    { type: 'service-policy', t: 0, service: 'step', class: 'give-up', giveUpMs: GIVE_UP_MS, retry },
    { type: 'service-policy', t: 0, service: 'log', class: 'best-effort', retry },
  ];
  const clients = options.clients ?? 10;
  const callsPerClient = options.callsPerClient ?? 70;

  const outages = options.synchronized === true ? roundOutages(random, callsPerClient) : spreadOutages(random);
  const written: Written[][] = [];
  const workerEvents: Written[] = [];
  for (let c = 1; c <= clients; c++) {
    const process = `client-${c}`;
    const out: Written[] = [];
    const write = (at: number, event: Written['event']): void => void out.push({ at, event });
    let now = uniform(random, 0, 50);
    let tokens = retry.budget?.maxTokens ?? 0;
    const budgetAllows = (): boolean => options.defect === 'no-budget' || retry.budget === undefined || tokens > retry.budget.maxTokens / 2;
    for (let i = 0; i < callsPerClient; i++) {
      const job = `${process}:${i}`;
      if (options.synchronized === true) now = Math.max(now, i * ROUND_MS + uniform(random, 0, 0.3));
      const roll = random();
      const service = roll < 0.7 ? 'echo' : roll < 0.85 ? 'step' : 'log';
      write(now, { type: 'invoke', process, job, service });
      let t = now + uniform(random, 0.05, 0.5);
      if (service === 'log') {
        write(t, { type: 'attempt', process, job, n: 1 });
        const done = t + uniform(random, 0.1, 2);
        if (outageAt(outages, t) !== undefined) write(done, { type: 'dropped', process, job, reason: 'unreachable' });
        else {
          write(done, { type: 'sent', process, job, ms: Number((done - t).toFixed(3)) });
          if (random() < 0.95) {
            const start = done + uniform(random, 0.2, 1);
            workerEvents.push({ at: start, event: { type: 'exec-start', worker: 'worker-1', job } }, { at: start + uniform(random, 0.2, 2), event: { type: 'exec-end', worker: 'worker-1', job } });
          }
        }
        now = done + uniform(random, 5, 30);
        continue;
      }
      const maxAttempts = service === 'echo' || options.defect === 'retry-give-up' ? retry.attempts : 1;
      for (let n = 1; ; n++) {
        write(t, { type: 'attempt', process, job, n });
        const down = outageAt(outages, t);
        const cut = down === undefined ? outageDuring(outages, t, t + TIMEOUT_MS) : undefined;
        let failedAt: number | undefined;
        let reason = 'timeout';
        if (down !== undefined) [failedAt, reason] = [t + uniform(random, 0.5, 3), 'unreachable'];
        else if (cut !== undefined && cut.from < t + 20) [failedAt, reason] = [cut.from + uniform(random, 0, 2), 'unreachable'];
        else if (random() < TIMEOUT_CHANCE) failedAt = t + TIMEOUT_MS + uniform(random, 0, 1);
        if (failedAt === undefined) {
          const start = t + uniform(random, 0.2, 1);
          const end = start + uniform(random, 0.5, 15);
          workerEvents.push({ at: start, event: { type: 'exec-start', worker: 'worker-1', job } }, { at: end, event: { type: 'exec-end', worker: 'worker-1', job } });
          t = end + uniform(random, 0.1, 1);
          write(t, { type: 'ok', process, job, reply: job });
          if (retry.budget !== undefined) tokens = Math.min(retry.budget.maxTokens, tokens + retry.budget.ratio);
          break;
        }
        write(failedAt, { type: 'attempt-fail', process, job, n, reason });
        t = failedAt;
        if (service === 'step' && options.defect !== 'retry-give-up') {
          t += uniform(random, 0.05, 0.5);
          write(t, reason === 'unreachable' ? { type: 'fail', process, job, error: 'server lost before it took the job' } : { type: 'info', process, job, error: 'gave up: may have run' });
          break;
        }
        if (service === 'echo') tokens = Math.max(0, tokens - 1);
        if (n >= maxAttempts || (service === 'echo' && !budgetAllows())) {
          t += uniform(random, 0.05, 0.5);
          write(t, { type: 'info', process, job, error: n >= maxAttempts ? `no answer after ${n} attempts` : 'retry budget exhausted' });
          break;
        }
        t += delay(random, retry, n, options.defect) + lateness(random);
      }
      now = t + uniform(random, 5, 30);
    }
    written.push(out);
  }
  const end = Math.max(...written.map((out) => out[out.length - 1]?.at ?? 0), ...outages.map((outage) => outage.to)) + 100;
  return stamp(random, policies, outages, [...written, workerEvents], end);
}

/** Six short broker restarts, spread out, and one long outage that exhausts the retry budgets. */
function spreadOutages(random: Random): Outage[] {
  const outages: Outage[] = [];
  let cursor = 300;
  for (let i = 0; i < 6; i++) {
    cursor += uniform(random, 600, 1400);
    const length = uniform(random, 40, 250);
    outages.push({ from: cursor, to: cursor + length, id: `restart-${i}` });
    cursor += length;
  }
  const longFrom = uniform(random, 1500, cursor - 500);
  outages.push({ from: longFrom, to: longFrom + uniform(random, 1800, 2600), id: 'outage' });
  return outages;
}

/** A broker restart 2-4 ms into every third round, while the round's first attempts are in flight. */
function roundOutages(random: Random, rounds: number): Outage[] {
  const outages: Outage[] = [];
  for (let round = 1; round < rounds; round += 3) {
    const from = round * ROUND_MS + uniform(random, 2, 4);
    outages.push({ from, to: from + uniform(random, 150, 1200), id: `restart-${round}` });
  }
  return outages;
}

/**
 * Stamps every event as the harness would: a little after it happened, never before the previous
 * event of its pipe; inside a stall window (one 500 ms window in 20), up to the stall's length later.
 * The harness's own samples report each window's worst lag.
 */
function stamp(random: Random, policies: readonly ServicePolicyEvent[], outages: readonly Outage[], pipes: readonly Written[][], end: number): HistoryEvent[] {
  const windowMs = 500;
  const stalls: number[] = [];
  for (let w = 0; w * windowMs < end; w++) stalls.push(random() < 0.05 ? uniform(random, 20, 60) : uniform(random, 0.5, 6));
  const lagAt = (t: number): number => stalls[Math.min(stalls.length - 1, Math.floor(t / windowMs))];
  const events: HistoryEvent[] = [...policies];
  for (const pipe of pipes) {
    let last = 0;
    for (const { at, event } of [...pipe].sort((a, b) => a.at - b.at)) {
      const lag = lagAt(at);
      const t = Math.max(last, at + (lag > 10 ? uniform(random, 0, lag) : uniform(random, 0, 0.5)));
      last = t;
      events.push({ ...event, t } as HistoryEvent);
    }
  }
  for (const outage of outages) {
    events.push({ type: 'nemesis', t: outage.from, phase: 'start', id: outage.id, fault: 'kill', targets: ['broker'] });
    events.push({ type: 'nemesis', t: outage.to, phase: 'end', id: outage.id, fault: 'kill', targets: ['broker'] });
  }
  stalls.forEach((lag, w) => events.push({ type: 'harness', t: (w + 1) * windowMs, windowMs, lagMaxMs: Number(lag.toFixed(1)), lagP99Ms: Number(lag.toFixed(1)), load1: 1, cpus: 2 }));
  return events.sort((a, b) => a.t - b.t);
}
