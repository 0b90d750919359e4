import type { HistoryEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import type { RequestReplyCheck } from './request-reply';

/**
 * A fault whose nemesis said it hit nothing (`effect.hit === false`: no job in flight on the node
 * it killed, no connection to cut) tested nothing; chaos tools that show such runs as green give
 * false confidence. Faults that do not report `hit` are not judged here.
 */
export function checkFaultsHit(events: readonly HistoryEvent[]): Anomaly<'ineffective-fault'>[] {
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start' && event.effect?.hit === false)
    .map((fault) => ({
      name: 'ineffective-fault' as const,
      detail: `fault ${fault.fault} on ${fault.targets.join(', ')} hit nothing (no job in flight, nothing cut): it tested nothing`,
      events: [fault],
    }));
}

export const INEFFECTIVE_FAULT: RequestReplyCheck<'ineffective-fault'> = {
  name: 'ineffective-fault',
  system: 'request-reply',
  forbiddenBy: ['mdp', 'at-least-once', 'exactly-once'],
  undecided: true,
  guard: true,
  describe:
    'A nemesis `start` whose `effect.hit` is `false`: the fault touched nothing (no job in flight on the node it killed or froze, nothing cut), so the run tested nothing under that fault. Faults that do not report `hit` are not judged. **Undecided**: it keeps a scenario from passing but accuses nobody (INCONCLUSIVE, below).',
  check: checkFaultsHit,
};
