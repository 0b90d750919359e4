import type { HistoryEvent, NemesisEvent } from '../../history/event';

/**
 * What a careful system does while its disk refuses writes (docs/disk-faults.md), read off the
 * history: it refuses new work with a definite failure instead of taking what it cannot keep, and
 * takes work again by itself once the disk does. Pure: throws an Error saying what the history lacks.
 */

/** The last disk fault's start and end events (`disk-full`, `read-only`, `fsync-fails`). */
export function lastDiskFault(events: readonly HistoryEvent[]): { start: NemesisEvent; end: NemesisEvent } {
  const nemesis = events.filter((event): event is NemesisEvent => event.type === 'nemesis' && ['disk-full', 'read-only', 'fsync-fails'].includes(event.fault));
  const start = nemesis.filter((event) => event.phase === 'start').at(-1);
  const end = start && nemesis.find((event) => event.phase === 'end' && event.id === start.id);
  if (!start || !end) throw new Error('no disk fault began and ended in this run');
  return { start, end };
}

/**
 * No call failed before the disk fault began; every call made while it lasted failed definitely (the
 * system refused what it could not keep) or was answered; and every call made after it ended was
 * answered: the refusals were the disk's, and they stopped with it.
 */
export function expectRefusedDuringThenAnswered(events: readonly HistoryEvent[]): void {
  const { start, end } = lastDiskFault(events);
  const outcome = new Map<string, 'ok' | 'fail' | 'info'>();
  for (const event of events) if (event.type === 'ok' || event.type === 'fail' || event.type === 'info') outcome.set(event.job, event.type);
  const failedBefore = events.filter((event) => event.type === 'fail' && event.t < start.t);
  if (failedBefore.length > 0) throw new Error(`${failedBefore.length} call(s) failed before the ${start.fault} fault began: the refusals cannot be told from other failures`);
  const invoked = events.filter((event) => event.type === 'invoke');
  const during = invoked.filter((event) => event.t >= start.t && event.t <= end.t);
  const unsettled = during.filter((event) => outcome.get(event.job) !== 'ok' && outcome.get(event.job) !== 'fail').map((event) => event.job);
  if (unsettled.length > 0) throw new Error(`${unsettled.length} call(s) made while the ${start.fault} fault lasted neither failed definitely nor were answered (e.g. ${unsettled.slice(0, 3).join(', ')})`);
  const after = invoked.filter((event) => event.t > end.t);
  if (after.length === 0) throw new Error(`no call was made after the ${start.fault} fault ended: nothing shows the system took work again`);
  const unanswered = after.filter((event) => outcome.get(event.job) !== 'ok').map((event) => event.job);
  if (unanswered.length > 0) throw new Error(`${unanswered.length} of ${after.length} calls made after the ${start.fault} fault ended were not answered (e.g. ${unanswered.slice(0, 3).join(', ')}): the system did not take work again by itself`);
}

/** At least one call failed definitely while the last disk fault lasted: the system said no rather than take what it could not keep. */
export function expectRefusalsDuring(events: readonly HistoryEvent[]): void {
  const { start, end } = lastDiskFault(events);
  const refused = events.filter((event) => event.type === 'fail' && event.t >= start.t && event.t <= end.t);
  if (refused.length === 0) throw new Error(`no call failed definitely while the ${start.fault} fault lasted (${Math.round(start.t)}–${Math.round(end.t)} ms): the calls made meanwhile were not refused`);
}
