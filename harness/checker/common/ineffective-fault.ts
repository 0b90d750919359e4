import type { HistoryEvent, NemesisEvent } from '../../history/event';
import { satOnNoConnection } from '../../history/untouched-link-fault';
import type { AnomalyCheck, CheckedSystem, Finding } from '../registry';

/**
 * A fault whose nemesis said it hit nothing (`effect.hit === false`: no job in flight on the node
 * it killed, no subscription or message owed on the subscriber it froze, no connection to cut)
 * tested nothing; chaos tools that show such runs as green give false confidence. Faults that do not
 * report `hit` are not judged here. The same rule for every system: each answers `hit` itself
 * (System.faultEffect), so the check reads only nemesis events. Message and connection faults are
 * measured on the fault proxy while in force, so theirs is on the `end` event.
 */
export function checkFaultsHit(events: readonly HistoryEvent[]): Finding<'ineffective-fault'>[] {
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.effect?.hit === false)
    .map((fault) => ({
      name: 'ineffective-fault' as const,
      detail: `fault ${fault.fault} on ${fault.targets.join(', ')} ${whyNothing(fault)}: it tested nothing`,
      events: [fault],
    }));
}

/** Why a fault hit nothing, in the words of what it measured. */
function whyNothing(fault: NemesisEvent): string {
  const { messages, connections, clock, unsynced, disk, trigger, measured } = fault.effect ?? {};
  if (trigger?.fired === false) return `never fired: ${trigger.matched ?? 0} message(s) matched in ${trigger.withinMs} ms, fewer than the ${trigger.nth} it waited for, so "${trigger.then}" never struck`;
  if (messages) {
    const unread = messages.unparsedStreams > 0 ? `; ${messages.unparsedStreams} stream(s) could not be read (${messages.unparsedReason ?? 'no reason given'})` : '';
    return `matched ${messages.matched} message(s) and affected none${unread}`;
  }
  if (connections) {
    const counts = Object.entries(connections).map(([counter, count]) => `${counter} ${count}`);
    return `acted on no connection while in force (${counts.join(', ')})`;
  }
  if (unsynced?.reached === false) return 'did not reach the node: the power-loss ledger library was not loaded in all of its processes (a statically linked program?), so nothing it wrote was seen';
  if (unsynced) return 'had nothing to destroy: the node wrote nothing under its state folder since the last power cut';
  if (disk?.reached === false) return 'did not reach the node: the disk-fault library was not loaded in all of its processes (a statically linked program?)';
  if (disk) return `failed no call while in force (${disk.mode}): the node did not write, sync or change anything under its state folder meanwhile`;
  if (satOnNoConnection(measured)) {
    return 'sat on no connection: none of its links carried one when it began or while it was in force, so the nodes reached each other around the fault proxy (at addresses learnt from the system rather than the routes they were given?) or not at all';
  }
  if (clock?.reached === false) return 'did not reach the node: libfaketime was not loaded in all of its processes (a statically linked program?)';
  return 'hit nothing (nothing in flight or owed there, nothing cut)';
}

/**
 * The `ineffective-fault` entry of a system's registry: undecided under every profile of its ladder
 * (it keeps a scenario from passing but accuses nobody). `events` reads the raw events off the
 * system's own index of the history.
 */
export function ineffectiveFault<P extends string, H, O>(system: CheckedSystem, ladder: readonly P[], events: (history: H) => readonly HistoryEvent[]): AnomalyCheck<'ineffective-fault', P, H, O> {
  return {
    name: 'ineffective-fault',
    system,
    forbiddenBy: ladder,
    undecided: true,
    guard: true,
    describe:
      'A nemesis `start` whose `effect.hit` is `false`: the fault touched nothing the system carries (no job in flight on the node it killed or froze, no live subscription or owed message on the subscriber, no connection cut), so the run tested nothing under that fault; a clock skew that did not reach the node (`effect.clock.reached` false) says so. A power cut (`lose-unsynced-writes`) is judged on its `end` event: ineffective when the node had written nothing under its state folder since the last cut, or the ledger library did not reach it (`effect.unsynced`); one whose writes all proved durable tested them and is not. A disk fault (`disk-full`, `fsync-fails`, `read-only`) is judged on its `end` event: ineffective when the library failed no call of the node meanwhile (`effect.disk`). Or the `end` of a fault measured on the fault proxy while in force whose `effect.hit` is `false`: a message fault whose toxics affected no message (`effect.messages` says how many they matched), a connection fault whose toxics refused, hung, delayed or cut no connection (`effect.connections`), a message-triggered fault (`on-message`) whose message never came within its bound (`effect.trigger.fired` false), so it struck nothing; any other link fault (a partition, latency, bandwidth, ...) that the proxy measured sitting on no connection: none open on its links when it began and none made through them while in force (`effect.measured`), as when nodes reach each other around the proxy. Faults that do not report `hit` are not judged. **Undecided**: it keeps a scenario from passing but accuses nobody (INCONCLUSIVE, below).',
    check: (history) => checkFaultsHit(events(history)),
  };
}
