import type { FaultMeasurement } from './event';

/**
 * Whether the fault proxy measured that a link fault sat on no connection at all: none of its links
 * carried one when it began, and none was made through them while it was in force. Nodes that reach
 * each other around the proxy (a client that connects to addresses it learnt from the system rather
 * than the routes it was given) leave such a fault cutting nothing. Unmeasured faults are not judged.
 */
export function satOnNoConnection(measured: FaultMeasurement | undefined): boolean {
  if (measured === undefined || measured.unmeasured !== undefined || measured.asked === undefined) return false;
  return (measured.openAtStart ?? 0) === 0 && Object.keys(measured.streams ?? {}).length === 0;
}
