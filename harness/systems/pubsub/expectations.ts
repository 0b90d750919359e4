import type { HistoryEvent, NemesisEvent, PutFailEvent, PutOkEvent } from '../../history/event';
import { Inconclusive } from '../../verdict/inconclusive';

/**
 * Pub/sub scenario claims about a history, beyond the pubsub-exactly-once checks: that a fault on a
 * subscriber actually held something back, that a restarted proxy had messages to retain, and that
 * a bounded backlog was enforced by refusals.
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
  const acceptedDuring = events.filter((e): e is PutOkEvent => e.type === 'put-ok' && e.t >= start && e.t <= end);
  if (acceptedDuring.length === 0) {
    // Nothing was put while the fault lasted: the scenario did not create its condition; nobody is to blame.
    throw new Inconclusive(`no message was accepted while ${subscriber} was faulted (${Math.round(start)}-${Math.round(end)} ms): the fault held nothing back, so it tested nothing`);
  }
  const caughtUp = acceptedDuring.filter((e) => (deliveredAt.get(e.msg) ?? -1) > end);
  if (caughtUp.length === 0) {
    throw new Error(`no message accepted during the fault on ${subscriber} (${Math.round(start)}-${Math.round(end)} ms) reached it after the fault: the fault held nothing back`);
  }
  return `${caughtUp.length} messages accepted while ${subscriber} was faulted reached it after the fault`;
}

/**
 * A proxy killed and restarted after the last put still delivered what it had accepted before the
 * crash: some messages whose put-ok came before the kill were handed to subscribers only after the
 * restart, so they came from the restarted proxy's journal (retained messages), and no put came
 * after the kill that could have carried them. Whether every owed message arrived is the pub/sub
 * check's `lost`; this says the scenario created its condition.
 *
 * Every message delivered before the proxy was back (the subscribers kept up), or a put after the
 * kill (the harness started the crash too early), is the scenario missing its condition
 * (Inconclusive), never the proxy's fault.
 */
export function expectRetainedAcrossRestart(events: readonly HistoryEvent[], proxy: string): string {
  const { start, end } = faultWindow(events, proxy);
  const putAfter = events.find((e) => e.type === 'put' && e.t >= start);
  if (putAfter !== undefined && putAfter.type === 'put') {
    throw new Inconclusive(`message ${putAfter.msg} was put at ${Math.round(putAfter.t)} ms, after ${proxy} was killed (${Math.round(start)} ms): the scenario is about a restart with no puts after it`);
  }
  const acceptedBefore = new Set(events.flatMap((e) => (e.type === 'put-ok' && e.t < start ? [e.msg] : [])));
  const retainedBy = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'deliver' && e.t > end && acceptedBefore.has(e.msg)) retainedBy.set(e.subscriber, (retainedBy.get(e.subscriber) ?? 0) + 1);
  }
  if (retainedBy.size === 0) {
    throw new Inconclusive(
      `every message accepted before ${proxy} was killed (${Math.round(start)} ms) was delivered before it was back (${Math.round(end)} ms): nothing was retained across the restart, so it tested nothing`,
    );
  }
  const counts = [...retainedBy].map(([subscriber, count]) => `${subscriber} ${count}`).join(', ');
  return `messages accepted before ${proxy} was killed and handed out only after its restart, with no put after the kill: ${counts}`;
}

/** The most accepted-but-undelivered messages any subscriber had at history time `t`: its backlog as the history shows it. */
function largestBacklog(events: readonly HistoryEvent[], t: number): { subscriber: string; backlog: number } {
  const topicsOf = new Map<string, Set<string>>();
  for (const e of events) if (e.type === 'subscribed' && e.t <= t) topicsOf.set(e.subscriber, (topicsOf.get(e.subscriber) ?? new Set()).add(e.topic));
  let worst = { subscriber: '', backlog: 0 };
  for (const [subscriber, topics] of topicsOf) {
    const accepted = events.filter((e) => e.type === 'put-ok' && e.t <= t && topics.has(e.topic)).length;
    const delivered = events.filter((e) => e.type === 'deliver' && e.t <= t && e.subscriber === subscriber).length;
    if (accepted - delivered > worst.backlog) worst = { subscriber, backlog: accepted - delivered };
  }
  return worst;
}

/**
 * While `subscriber` was frozen the proxy refused puts as busy (its backlog of at most `maxPending`
 * is bounded), it refused none before, and accepted puts again after the subscriber came back.
 *
 * Not every miss is the proxy's: refusals before the freeze while some live subscriber had a backlog
 * (a slow one acknowledging in batches can fill the bound) and a freeze during which too few puts
 * arrived to fill the bound are the scenario failing its own condition (Inconclusive). A refusal with
 * no backlog at all, accepting more than the bound while frozen, or never accepting again after the
 * resume, is the proxy's.
 */
export function expectRefusedWhileFrozen(events: readonly HistoryEvent[], subscriber: string, maxPending: number): string {
  const { start, end } = faultWindow(events, subscriber);
  const refused = events.filter((e): e is PutFailEvent => e.type === 'put-fail' && /busy/.test(e.error));
  const before = refused.filter((e) => e.t < start);
  if (before.length > 0) {
    const { subscriber: slow, backlog } = largestBacklog(events, before[0].t);
    if (backlog === 0) throw new Error(`${before.length} puts were refused as busy before ${subscriber} was frozen, the first (${before[0].msg}: ${before[0].error}) while no subscriber had anything undelivered`);
    throw new Inconclusive(
      `${before.length} puts were refused before ${subscriber} was frozen, while ${slow}, alive but behind, had ${backlog} accepted messages not yet delivered: the bound of ${maxPending} filled before the fault, so the scenario could not create its condition`,
    );
  }
  const during = refused.filter((e) => e.t >= start && e.t <= end);
  if (during.length === 0) {
    const acceptedWhileFrozen = events.filter((e) => e.type === 'put-ok' && e.t >= start && e.t <= end).length;
    const backlogAtStart = events.filter((e) => e.type === 'put-ok' && e.t < start).length - events.filter((e) => e.type === 'deliver' && e.t < start && e.subscriber === subscriber).length;
    if (acceptedWhileFrozen + Math.max(0, backlogAtStart) > maxPending) {
      throw new Error(`no put was refused while ${subscriber} was frozen: the proxy accepted ${acceptedWhileFrozen} messages it could not deliver (with ${backlogAtStart} already pending), more than its bound of ${maxPending}`);
    }
    throw new Inconclusive(`only ${acceptedWhileFrozen} puts were accepted while ${subscriber} was frozen (${Math.round(start)}-${Math.round(end)} ms), too few to fill the bound of ${maxPending}: the scenario did not create its condition`);
  }
  const acceptedAfter = events.filter((e) => e.type === 'put-ok' && e.t > end).length;
  if (acceptedAfter === 0) throw new Error(`no put was accepted after ${subscriber} resumed: the refusals never ended`);
  return `${acceptedAfter} puts accepted after ${subscriber} resumed; ${refused.length} refused as busy, the first at ${Math.round(refused[0].t)} ms (${subscriber} frozen ${Math.round(start)}-${Math.round(end)} ms)`;
}
