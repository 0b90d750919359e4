import { entryOf, type CheckerSystem } from './checker-system';
import type { Finding } from './finding';

/**
 * Whether a finding is excused: it carries the fault that caused it, of a cause its entry lists in
 * `explained.excusingCauses`. An excused finding is listed as evidence but counted and judged
 * against no profile (an exactly-once broker may re-run a job whose worker died mid-job, not one it
 * forgot because it crashed itself).
 */
export function isExcused<N extends string, P extends string, H, O, F extends Finding<N>>(system: CheckerSystem<N, P, H, O, F>, finding: Finding<N>): boolean {
  const excusing = entryOf(system, finding.name)?.explained?.excusingCauses;
  return excusing !== undefined && finding.explainedBy !== undefined && finding.cause !== undefined && excusing.includes(finding.cause);
}
