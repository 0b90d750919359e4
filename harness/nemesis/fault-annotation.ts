import { AsyncLocalStorage } from 'node:async_hooks';
import type { FaultEffect } from '../history/event';

/**
 * What the nemesis learnt before carrying a fault out (a cluster's leader and term, the shape of a
 * partition) and writes on the fault's start event beside what the fault hit. Carried through the
 * fault's own async calls, so faults running at once (a storm) each keep their own.
 */
const annotation = new AsyncLocalStorage<FaultEffect>();

/** Runs `carryOut` with `effect` to be written on the start event of the fault it begins. */
export function withFaultAnnotation<T>(effect: FaultEffect, carryOut: () => Promise<T>): Promise<T> {
  return annotation.run(effect, carryOut);
}

/** The annotation of the fault being carried out, or nothing. */
export function faultAnnotation(): FaultEffect {
  return annotation.getStore() ?? {};
}
