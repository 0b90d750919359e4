import type { HistoryEvent, NemesisEvent } from '../history/event';
import type { Anomaly } from './anomaly';

/**
 * A fault whose nemesis said it hit nothing (`effect.hit === false`: no job in flight on the node
 * it killed, no connection to cut) tested nothing; chaos tools that show such runs as green give
 * false confidence. Faults that do not report `hit` are not judged here.
 */
export function checkFaultsHit(events: readonly HistoryEvent[]): Anomaly[] {
  return events
    .filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start' && event.effect?.hit === false)
    .map((fault) => ({
      name: 'ineffective-fault' as const,
      detail: `fault ${fault.fault} on ${fault.targets.join(', ')} hit nothing (no job in flight, nothing cut): it tested nothing`,
      events: [fault],
    }));
}
