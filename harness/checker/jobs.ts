import { derivedOnce } from './frozen-history';
import type { ClientEvent, ExecEndEvent, ExecStartEvent, HistoryEvent, InvokeEvent, OkEvent } from '../history/event';

/** Events that end a client call. */
export type CompletionEvent = Exclude<ClientEvent, InvokeEvent>;

export function isCompletion(event: HistoryEvent): event is CompletionEvent {
  return event.type === 'ok' || event.type === 'fail' || event.type === 'info';
}

export const isOk = (event: HistoryEvent): event is OkEvent => event.type === 'ok';
export const isExecStart = (event: HistoryEvent): event is ExecStartEvent => event.type === 'exec-start';
export const isExecEnd = (event: HistoryEvent): event is ExecEndEvent => event.type === 'exec-end';

/** The invoke of each job. Job ids are unique per run; if one repeats, the first invoke counts. */
export function invokesByJob(events: readonly HistoryEvent[]): ReadonlyMap<string, InvokeEvent> {
  return derivedOnce(events, invokesByJob, collectInvokes);
}

function collectInvokes(events: readonly HistoryEvent[]): Map<string, InvokeEvent> {
  const invokes = new Map<string, InvokeEvent>();
  for (const event of events) {
    if (event.type === 'invoke' && !invokes.has(event.job)) invokes.set(event.job, event);
  }
  return invokes;
}

/** Events narrowed by `accept`, grouped by their job in history order (once per frozen history and `accept`). */
export function groupByJob<E extends HistoryEvent & { job: string }>(
  events: readonly HistoryEvent[],
  accept: (event: HistoryEvent) => event is E,
): ReadonlyMap<string, readonly E[]> {
  return derivedOnce(events, accept, (all) => collectByJob(all, accept));
}

function collectByJob<E extends HistoryEvent & { job: string }>(events: readonly HistoryEvent[], accept: (event: HistoryEvent) => event is E): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  for (const event of events) {
    if (!accept(event)) continue;
    const group = groups.get(event.job);
    if (group === undefined) groups.set(event.job, [event]);
    else group.push(event);
  }
  return groups;
}

/** Events sorted by t; stable, so equal stamps keep history order. */
export function byTime<E extends HistoryEvent>(events: readonly E[]): E[] {
  return [...events].sort((a, b) => a.t - b.t);
}
