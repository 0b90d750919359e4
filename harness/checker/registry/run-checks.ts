import type { HistoryEvent } from '../../history/event';
import type { AnomalyCheck } from './anomaly-check';
import type { CheckerSystem } from './checker-system';
import { isExcused } from './excused';
import type { Finding } from './finding';

/** What a system's checks found in one history. */
export interface Findings<N extends string, F extends Finding<N>> {
  /** Every finding, guards' first, then in report order; excused ones included (they carry explainedBy). */
  anomalies: F[];
  /** Per registered name, every name present; excused findings are not counted. */
  counts: Record<N, number>;
  /** Findings a fault explains (see `explained` on an entry): listed, not counted. */
  explained: number;
}

/** Runs every check of the system over one index of the history. */
export function runChecks<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckerSystem<N, P, H, O, F>,
  events: readonly HistoryEvent[],
  options: O,
): Findings<N, F> {
  return runIndexedChecks(system, system.index(events), options);
}

/** runChecks over an index the caller built (and reads again, e.g. for its stats), so it is built once. */
export function runIndexedChecks<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckerSystem<N, P, H, O, F>,
  history: H,
  options: O,
): Findings<N, F> {
  const anomalies = reportOrder(system).flatMap((entry) => [...entry.check(history, options)]);
  return tallyFindings(system, anomalies);
}

/** The system's entries in the order their findings are reported: guards first, then the rest, each in registry order. */
export function reportOrder<N extends string, P extends string, H, O, F extends Finding<N>>(system: CheckerSystem<N, P, H, O, F>): AnomalyCheck<N, P, H, O, F>[] {
  return [...system.checks.filter((entry) => entry.guard === true), ...system.checks.filter((entry) => entry.guard !== true)];
}

/** Findings already made (by runIndexedChecks, or gathered from the parts of a large history), counted. */
export function tallyFindings<N extends string, P extends string, H, O, F extends Finding<N>>(system: CheckerSystem<N, P, H, O, F>, anomalies: F[]): Findings<N, F> {
  const counts = Object.fromEntries(system.names.map((name) => [name, 0])) as Record<N, number>;
  let explained = 0;
  for (const anomaly of anomalies) {
    if (isExcused(system, anomaly)) explained++;
    else counts[anomaly.name]++;
  }
  return { anomalies, counts, explained };
}
