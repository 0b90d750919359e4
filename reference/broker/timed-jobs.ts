import type { ServiceClass } from '../classes/service-classes';

/**
 * KHT/1 timed jobs (docs/protocol.md, "Timed jobs"): deadlines are Unix epoch ms on the wall clock of
 * the host every node runs on, so they mean the same at the client, the broker and the worker as
 * long as those clocks agree within the margin (a clock-skew fault voids that).
 */

/** A timed job is not dispatched within this many ms of its deadline: room for the REQUEST to reach the worker, and for clocks that differ a little. */
export const DEFAULT_TIMED_MARGIN = 50;

/** The deadline the broker keeps: the client's, or sooner when the service is declared give-up with a shorter F from arrival. */
export function timedDeadline(requested: number, declared: ServiceClass, now: number): number {
  return declared.kind === 'give-up' ? Math.min(requested, now + declared.giveUpMs) : requested;
}

export function tooLateToDispatch(deadline: number, margin: number, now: number): boolean {
  return now >= deadline - margin;
}
