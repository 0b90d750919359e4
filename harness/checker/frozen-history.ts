import type { HistoryEvent } from '../history/event';

/**
 * A history that can no longer change, so what is derived from it can be derived once: the
 * request-reply checks each group the events by job (invokes, completions, runs), and over a
 * million events doing that once instead of once per check is most of the check's time. Only a
 * frozen array is remembered: a live one (the recorder's, which grows while a scenario runs) is
 * analysed afresh on every call, as before.
 */
const derived = new WeakMap<readonly HistoryEvent[], Map<unknown, unknown>>();

/** The events as a frozen array: the same array when it already is one, else a frozen copy. */
export function frozenHistory(events: readonly HistoryEvent[]): readonly HistoryEvent[] {
  return Object.isFrozen(events) ? events : Object.freeze([...events]);
}

/**
 * `derive(events)`, computed once per frozen history and `key` (the deriving function itself, or
 * a key naming its parameters); callers must treat what it returns as read-only, since every check
 * of the history shares it.
 */
export function derivedOnce<R>(events: readonly HistoryEvent[], key: unknown, derive: (events: readonly HistoryEvent[]) => R): R {
  if (!Object.isFrozen(events)) return derive(events);
  let byKey = derived.get(events);
  if (byKey === undefined) {
    byKey = new Map();
    derived.set(events, byKey);
  }
  if (!byKey.has(key)) byKey.set(key, derive(events));
  return byKey.get(key) as R;
}

/**
 * Sets what `derivedOnce(events, key, ...)` returns for a frozen history, so a check of one part of a
 * large history (request-reply-in-parts.ts) reads a summary of the whole where the part alone would
 * mislead: who the workers are, which worker sat idle when. The value must be what `derive` would
 * give over the whole history, restricted to nothing the part lacks.
 */
export function seedDerived<R>(events: readonly HistoryEvent[], key: unknown, value: R): void {
  if (!Object.isFrozen(events)) throw new Error('seedDerived: only a frozen history keeps what is derived from it');
  let byKey = derived.get(events);
  if (byKey === undefined) {
    byKey = new Map();
    derived.set(events, byKey);
  }
  byKey.set(key, value);
}
