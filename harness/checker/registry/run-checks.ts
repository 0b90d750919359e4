import type { HistoryEvent } from '../../history/event';
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
  const order = [...system.checks.filter((entry) => entry.guard === true), ...system.checks.filter((entry) => entry.guard !== true)];
  const anomalies = order.flatMap((entry) => [...entry.check(history, options)]);
  const counts = Object.fromEntries(system.names.map((name) => [name, 0])) as Record<N, number>;
  let explained = 0;
  for (const anomaly of anomalies) {
    if (isExcused(system, anomaly)) explained++;
    else counts[anomaly.name]++;
  }
  return { anomalies, counts, explained };
}
