import { entryOf, type CheckerSystem } from './checker-system';
import type { Finding } from './finding';

/**
 * Whether a finding is excused: its entry allows explained findings (`explained`) and this one
 * carries the fault that explains it. An excused finding is listed as evidence but counted and
 * judged against no profile (an exactly-once broker may re-run a job whose worker died mid-job).
 */
export function isExcused<N extends string, P extends string, H, O, F extends Finding<N>>(system: CheckerSystem<N, P, H, O, F>, finding: Finding<N>): boolean {
  return entryOf(system, finding.name)?.explained !== undefined && finding.explainedBy !== undefined;
}
