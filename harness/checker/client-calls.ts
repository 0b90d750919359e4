import type { HistoryEvent } from '../history/event';
import { derivedOnce } from './frozen-history';
import { groupByJob, invokesByJob, isCompletion } from './jobs';

/** A span of time; `to` is Infinity for a call that never ended. */
export interface Span {
  from: number;
  to: number;
}

const overlaps = (a: Span, b: Span): boolean => a.from < b.to && b.from < a.to;

/**
 * When each client had a call open (from its invoke to its first completion, or forever), held as
 * two numbers a call rather than an object, so a summary of every call of a large history
 * (request-reply-in-parts.ts) stays small: 16 bytes a call.
 */
export class ClientCalls {
  private readonly spans = new Map<string, { bounds: Float64Array; count: number }>();

  add(client: string, call: Span): void {
    let held = this.spans.get(client);
    if (held === undefined) this.spans.set(client, (held = { bounds: new Float64Array(64), count: 0 }));
    if (2 * held.count === held.bounds.length) {
      const grown = new Float64Array(held.bounds.length * 2);
      grown.set(held.bounds);
      held.bounds = grown;
    }
    held.bounds[2 * held.count] = call.from;
    held.bounds[2 * held.count + 1] = call.to;
    held.count++;
  }

  /** Every call of `other` added to these. */
  addAll(other: ClientCalls): void {
    for (const [client, { bounds, count }] of other.spans) for (let i = 0; i < count; i++) this.add(client, { from: bounds[2 * i], to: bounds[2 * i + 1] });
  }

  /**
   * Whether the client had a call other than `own` open during `during`. Calls are known by their
   * spans alone: one span equal to `own` is its own call, and any other (even one equal to it) is another.
   */
  otherOverlaps(client: string, own: Span, during: Span): boolean {
    const held = this.spans.get(client);
    if (held === undefined) return false;
    let ownSkipped = false;
    for (let i = 0; i < held.count; i++) {
      const call = { from: held.bounds[2 * i], to: held.bounds[2 * i + 1] };
      if (!ownSkipped && call.from === own.from && call.to === own.to) {
        ownSkipped = true;
        continue;
      }
      if (overlaps(call, during)) return true;
    }
    return false;
  }
}

/** The span of each job's call: from its invoke to its first completion, or forever. */
export function callSpan(events: readonly HistoryEvent[], job: string): Span | undefined {
  const invoke = invokesByJob(events).get(job);
  if (invoke === undefined) return undefined;
  return { from: invoke.t, to: groupByJob(events, isCompletion).get(job)?.[0]?.t ?? Number.POSITIVE_INFINITY };
}

/** Every client's calls over the history (once per frozen history; a part of a large one is seeded with the whole's). */
export function clientCalls(events: readonly HistoryEvent[]): ClientCalls {
  return derivedOnce(events, clientCalls, collectCalls);
}

/** The calls of this history's own jobs only, never a seeded summary: what a part adds to the whole's. */
export function collectCalls(events: readonly HistoryEvent[]): ClientCalls {
  const calls = new ClientCalls();
  for (const [job, invoke] of invokesByJob(events)) calls.add(invoke.process, callSpan(events, job) as Span);
  return calls;
}
