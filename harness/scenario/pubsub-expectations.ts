import type { HistoryEvent, NemesisEvent, PutFailEvent } from '../history/event';

/**
 * Pub/sub scenario claims about a history, beyond the pubsub-exactly-once checks: that a fault on a
 * subscriber actually held something back, and that a bounded backlog was enforced by refusals.
 * Pure functions; each returns a line for the report or throws saying what the history lacks.
 */

/** The first fault on `node`, from its start to its end. */
function faultWindow(events: readonly HistoryEvent[], node: string): { start: number; end: number } {
  const faults = events.filter((e): e is NemesisEvent => e.type === 'nemesis' && e.targets.includes(node));
  const start = faults.find((e) => e.phase === 'start');
  const end = start && faults.find((e) => e.phase === 'end' && e.id === start.id);
  if (!start || !end) throw new Error(`no fault on ${node} started and ended`);
  return { start: start.t, end: end.t };
}

/**
 * Messages accepted while `subscriber` was faulted reached it only after the fault: the fault held
 * something back, so the scenario's exactly-once check was not passed vacuously.
 */
export function expectCaughtUpAfterFault(events: readonly HistoryEvent[], subscriber: string): string {
  const { start, end } = faultWindow(events, subscriber);
  const deliveredAt = new Map(events.flatMap((e) => (e.type === 'deliver' && e.subscriber === subscriber ? [[e.msg, e.t] as const] : [])));
  const caughtUp = events.filter((e) => e.type === 'put-ok' && e.t >= start && e.t <= end && (deliveredAt.get(e.msg) ?? -1) > end);
  if (caughtUp.length === 0) {
    throw new Error(`no message accepted during the fault on ${subscriber} (${Math.round(start)}-${Math.round(end)} ms) reached it after the fault: the fault held nothing back`);
  }
  return `${caughtUp.length} messages accepted while ${subscriber} was faulted reached it after the fault`;
}

/**
 * While `subscriber` was frozen the proxy refused puts as busy (its backlog is bounded), it refused
 * none before, and accepted puts again after the subscriber came back.
 */
export function expectRefusedWhileFrozen(events: readonly HistoryEvent[], subscriber: string): string {
  const { start, end } = faultWindow(events, subscriber);
  const refused = events.filter((e): e is PutFailEvent => e.type === 'put-fail' && /busy/.test(e.error));
  if (refused.length === 0) throw new Error(`no put was refused while ${subscriber} was frozen: the proxy kept accepting what ${subscriber} could not take`);
  const before = refused.filter((e) => e.t < start);
  if (before.length > 0) throw new Error(`${before.length} puts were refused before ${subscriber} was frozen, e.g. ${before[0].msg}: ${before[0].error}`);
  const acceptedAfter = events.filter((e) => e.type === 'put-ok' && e.t > end).length;
  if (acceptedAfter === 0) throw new Error(`no put was accepted after ${subscriber} resumed: the refusals never ended`);
  return `${acceptedAfter} puts accepted after ${subscriber} resumed; ${refused.length} refused as busy, the first at ${Math.round(refused[0].t)} ms (${subscriber} frozen ${Math.round(start)}-${Math.round(end)} ms)`;
}
