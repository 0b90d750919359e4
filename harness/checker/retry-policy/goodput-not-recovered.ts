import type { NemesisEvent, ServicePolicyEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule } from './ladder';
import { lagAround } from './tolerance';

/** Goodput is counted over windows this long (ms), unless the declaration says otherwise (the harness stretches it with its time scale). */
export const GOODPUT_WINDOW_MS = 1_000;
/**
 * A harness stall of at least this share of a window around the recovery period leaves it unjudged: the
 * `ok`s of a stall are stamped at its end, so a stall of half a window can move half a window's answers out of it.
 */
export const GOODPUT_LAG_LIMIT = 0.5;

/** What one declared service did after the last fault: the evidence of both anomalies. */
export interface GoodputRecovery {
  policy: ServicePolicyEvent;
  /** The last fault's end: recovery is measured from it. */
  faultEnd: NemesisEvent;
  /** Windows may start from faultEnd.t to faultEnd.t + recoverWithinMs; the last one closes at periodEnd. */
  periodEnd: number;
  /** The windows' length (ms). */
  windowMs: number;
  /** fraction × capacityPerSecond per second: the `ok`s one window must hold. */
  needed: number;
  /** The window with the most `ok`s among those allowed to start: its start and count. */
  best: { start: number; oks: number };
  /** `ok`s in consecutive whole windows from the fault's end to periodEnd: the rates a person reads. */
  perWindow: number[];
  /** Per second over the period: invokes plus jobs the workload shed (what the clients were offered). */
  offeredPerSecond: number;
  /** `attempt`s of the service's calls sent in the period. */
  attempts: number;
  /** The worst harness event-loop lag around the period (ms). */
  lagMs: number;
  /** The history's last time: windows after it were not seen. */
  historyEnd: number;
}

/** The first `ok` of each call of `service`, in time order. */
function okTimes(history: RetryPolicyHistory, service: string): number[] {
  const times: number[] = [];
  for (const call of history.calls) {
    if (call.invoke.service !== service) continue;
    const ok = call.outcomes.find((outcome) => outcome.type === 'ok');
    if (ok !== undefined) times.push(ok.t);
  }
  return times.sort((a, b) => a - b);
}

/** How many of the sorted `times` lie in [from, to). */
function countIn(times: readonly number[], from: number, to: number): number {
  return times.filter((t) => t >= from && t < to).length;
}

/**
 * The last fault's end, or why there is none to measure from: no fault at all, or one that never
 * ended (recovery from a fault still in force is no question).
 */
function lastFaultEnd(history: RetryPolicyHistory): NemesisEvent | string {
  if (history.faults.length === 0) return 'the history records no fault: there was nothing to recover from';
  const open = history.faults.find((span) => span.end === undefined);
  if (open !== undefined) return `fault ${open.start.fault} (${open.start.id}), started at ${ms(open.start.t)}, never ended: recovery after it cannot be measured`;
  return history.faults.map((span) => span.end as NemesisEvent).reduce((last, end) => (end.t > last.t ? end : last));
}

/** The recovery of a service declaring `overload`, measured after the last fault; a string says why it cannot be. */
export function goodputRecovery(history: RetryPolicyHistory, policy: ServicePolicyEvent): GoodputRecovery | string {
  const overload = policy.overload;
  if (overload === undefined) return `service ${policy.service} declares no overload`;
  const faultEnd = lastFaultEnd(history);
  if (typeof faultEnd === 'string') return faultEnd;
  const from = faultEnd.t;
  const lastStart = from + overload.recoverWithinMs;
  const windowMs = overload.windowMs ?? GOODPUT_WINDOW_MS;
  const periodEnd = lastStart + windowMs;
  const oks = okTimes(history, policy.service);
  // The fullest window starts at `from` or at an ok: sliding a window's start up to its next ok only drops answers.
  const starts = [from, ...oks.filter((t) => t > from && t <= lastStart)];
  const best = starts.map((start) => ({ start, oks: countIn(oks, start, start + windowMs) })).reduce((a, b) => (b.oks > a.oks ? b : a));
  const perWindow: number[] = [];
  for (let start = from; start < periodEnd; start += windowMs) perWindow.push(countIn(oks, start, Math.min(start + windowMs, periodEnd)));
  const inPeriod = (t: number) => t >= from && t < periodEnd;
  let offered = 0;
  let attempts = 0;
  for (const event of history.events) {
    if (!inPeriod(event.t)) continue;
    if ((event.type === 'invoke' || event.type === 'shed') && event.service === policy.service) offered++;
  }
  for (const call of history.calls) if (call.invoke.service === policy.service) attempts += call.attempts.filter((attempt) => inPeriod(attempt.t)).length;
  return {
    policy,
    faultEnd,
    periodEnd,
    windowMs,
    needed: overload.fraction * overload.capacityPerSecond * (windowMs / 1_000),
    best,
    perWindow,
    offeredPerSecond: offered / ((periodEnd - from) / 1_000),
    attempts,
    lagMs: lagAround(history.harness, from, periodEnd),
    historyEnd: history.events.reduce((last, event) => Math.max(last, event.t), 0),
  };
}

/** Whether the recovery was seen: some allowed window held enough `ok`s. */
export function recovered(recovery: GoodputRecovery): boolean {
  return recovery.best.oks >= recovery.needed;
}

/** Why a recovery that was not seen cannot be judged (the clients offered too little, the run ended, the harness stalled), or undefined. */
export function whyNotJudged(recovery: GoodputRecovery): string | undefined {
  if (recovered(recovery)) return undefined;
  const { policy } = recovery;
  const neededPerSecond = recovery.needed / (recovery.windowMs / 1_000);
  const lagLimit = GOODPUT_LAG_LIMIT * recovery.windowMs;
  if (recovery.historyEnd < recovery.periodEnd) return `the history ends at ${ms(recovery.historyEnd)}, before the last window that may show ${policy.service}'s recovery closes (${ms(recovery.periodEnd)})`;
  if (recovery.offeredPerSecond < neededPerSecond) return `the clients were offered only ${recovery.offeredPerSecond.toFixed(1)} jobs/s of ${policy.service} (invoked or shed) after the fault, below the ${neededPerSecond.toFixed(1)}/s recovery asks for: nothing to recover`;
  if (recovery.lagMs >= lagLimit) return `the harness's own event loop stalled for ${ms(recovery.lagMs)} around the recovery period (>= ${ms(lagLimit)}, half a window): the oks it stamped cannot be placed in their windows`;
  return undefined;
}

/** "window rates 3, 0, 12, 20 oks/s; best 20 from 4310 ms": the evidence of a recovery, for findings and steps. */
export function describeRecovery(recovery: GoodputRecovery): string {
  const overload = recovery.policy.overload;
  const declared = overload === undefined ? '' : `${Math.round(overload.fraction * 100)}% of ${overload.capacityPerSecond.toFixed(1)} jobs/s = ${recovery.needed.toFixed(1)} oks in a ${ms(recovery.windowMs)} window starting within ${ms(overload.recoverWithinMs)}`;
  return `${recovery.policy.service} after the last fault ended at ${ms(recovery.faultEnd.t)}: needed ${declared}; oks per window from then: ${recovery.perWindow.join(', ')}; the best allowed window held ${recovery.best.oks} (from ${ms(recovery.best.start)}); offered ${recovery.offeredPerSecond.toFixed(1)} jobs/s; ${recovery.attempts} attempts sent`;
}

function recoveries(history: RetryPolicyHistory): (GoodputRecovery | { policy: ServicePolicyEvent; why: string })[] {
  return [...history.policies.values()]
    .filter((policy) => policy.overload !== undefined)
    .map((policy) => {
      const recovery = goodputRecovery(history, policy);
      return typeof recovery === 'string' ? { policy, why: recovery } : recovery;
    });
}

/** A service declaring `overload` whose goodput did not come back within its bound though the clients offered enough and the harness kept up. */
export function checkGoodputRecovered(history: RetryPolicyHistory): Finding<'goodput-not-recovered'>[] {
  return recoveries(history).flatMap((recovery): Finding<'goodput-not-recovered'>[] => {
    if ('why' in recovery || recovered(recovery) || whyNotJudged(recovery) !== undefined) return [];
    return [{ name: 'goodput-not-recovered', detail: `goodput did not recover: ${describeRecovery(recovery)}`, events: [recovery.policy, recovery.faultEnd], boundMissed: true }];
  });
}

/** A service declaring `overload` whose recovery could not be judged: no ended fault, too little offered, a run too short, a stalled harness. */
export function checkGoodputJudged(history: RetryPolicyHistory): Finding<'goodput-not-judged'>[] {
  return recoveries(history).flatMap((recovery): Finding<'goodput-not-judged'>[] => {
    const why = 'why' in recovery ? recovery.why : whyNotJudged(recovery);
    if (why === undefined) return [];
    return [{ name: 'goodput-not-judged', detail: `the recovery of ${recovery.policy.service}'s goodput was not judged: ${why}`, events: [recovery.policy] }];
  });
}

export const GOODPUT_NOT_RECOVERED = retryPolicyRule({
  name: 'goodput-not-recovered',
  liveness: true,
  describe: `Only for a service whose \`service-policy\` declares \`overload\` {capacityPerSecond, recoverWithinMs, fraction, windowMs (default ${GOODPUT_WINDOW_MS})}: no window of windowMs starting between the last fault's \`end\` and recoverWithinMs after it holds first \`ok\`s of the service's calls at least fraction × capacityPerSecond per second (a metastable overload: retries keep the system busy, few calls succeed). Not judged (\`goodput-not-judged\`) when the clients were offered less than that (invokes plus \`shed\`), the history ends before the last window closes, or the harness stalled for half a window or more around the period. A missed bound: INCONCLUSIVE when the harness itself starved.`,
  check: checkGoodputRecovered,
});

export const GOODPUT_NOT_JUDGED = retryPolicyRule({
  name: 'goodput-not-judged',
  undecided: true,
  guard: true,
  describe: `A service declaring \`overload\` whose recovery could not be judged: no fault, or one that never ended; the clients offered less than fraction × capacityPerSecond after it (nothing to recover); the history ends before the last window closes; or the harness's event loop lagged half a window or more around the period. **Undecided**: nobody is accused (INCONCLUSIVE).`,
  check: checkGoodputJudged,
});
