import type { HistoryEvent, NemesisEvent } from '../../history/event';

/** A fault from its nemesis start to its end (the same `id`), when one came. */
export interface FaultSpan {
  start: NemesisEvent;
  end?: NemesisEvent;
}

/** Every fault of the history, in the order of their starts, each with its end when one came. */
export function faultSpansOf(events: readonly HistoryEvent[]): FaultSpan[] {
  const spans: FaultSpan[] = [];
  const open = new Map<string, FaultSpan>();
  for (const event of events) {
    if (event.type !== 'nemesis') continue;
    if (event.phase === 'start') {
      const span: FaultSpan = { start: event };
      spans.push(span);
      open.set(event.id, span);
    } else {
      const span = open.get(event.id);
      if (span !== undefined) span.end = event;
    }
  }
  return spans;
}
