import type { HistoryEvent, NemesisEvent } from '../../history/event';
import type { AnomalyCheck, CheckedSystem, Finding } from '../registry';

/**
 * A fault whose nemesis said it hit nothing (`effect.hit === false`: no job in flight on the node
 * it killed, no subscription or message owed on the subscriber it froze, no connection to cut)
 * tested nothing; chaos tools that show such runs as green give false confidence. Faults that do not
 * report `hit` are not judged here. The same rule for every system: each answers `hit` itself
 * (System.faultEffect), so the check reads only nemesis events.
 */
export function checkFaultsHit(events: readonly HistoryEvent[]): Finding<'ineffective-fault'>[] {
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.effect?.hit === false)
    .map((fault) => ({
      name: 'ineffective-fault' as const,
      detail: fault.effect?.messages ? missedMessages(fault) : `fault ${fault.fault} on ${fault.targets.join(', ')} hit nothing (nothing in flight or owed there, nothing cut): it tested nothing`,
      events: [fault],
    }));
}

/** A message fault's end: what it matched, and why it may have matched nothing. */
function missedMessages(fault: NemesisEvent): string {
  const { matched, unparsedStreams, unparsedReason } = fault.effect!.messages!;
  const unread = unparsedStreams > 0 ? `; ${unparsedStreams} stream(s) could not be read (${unparsedReason ?? 'no reason given'})` : '';
  return `fault ${fault.fault} on ${fault.targets.join(', ')} matched ${matched} message(s) and affected none${unread}: it tested nothing`;
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
      'A nemesis `start` whose `effect.hit` is `false`: the fault touched nothing the system carries (no job in flight on the node it killed or froze, no live subscription or owed message on the subscriber, no connection cut), so the run tested nothing under that fault; or a message fault\'s `end` whose `effect.hit` is `false`: its toxics affected no message (`effect.messages` says how many they matched). Faults that do not report `hit` are not judged. **Undecided**: it keeps a scenario from passing but accuses nobody (INCONCLUSIVE, below).',
    check: (history) => checkFaultsHit(events(history)),
  };
}
