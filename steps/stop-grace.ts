import { scaled } from '../harness/util/time-scale';
import type { Timing } from '../harness/timing/timing';

/**
 * How long a node stopped gracefully (SIGTERM, stdin closed) has to exit before the harness kills it:
 * as long as a node may take to say goodbye.
 */
export const STOP_GRACE_MS = scaled(2_000);

/**
 * The grace of a client or publisher, which may first end the calls or puts it has open: one reply
 * timeout more. The system is healthy while it stops, so an open call needs no retry to end.
 */
export function callerStopGrace(timing: Timing): number {
  return STOP_GRACE_MS + timing.clientTimeout;
}
