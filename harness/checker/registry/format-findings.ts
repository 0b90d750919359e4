import type { CheckerSystem } from './checker-system';
import { isExcused } from './excused';
import type { Finding } from './finding';
import { forbiddenNames, judgeFindings } from './judge';
import type { Findings } from './run-checks';

const MAX_EXAMPLES = 10;

export interface FormatOptions<P extends string> {
  /** Judge against this profile: a verdict line, forbidden counts marked, violations first among the examples. */
  profile?: P;
  /** List every registered name with its count, zeros included; otherwise only the non-zero ones. */
  allCounts?: boolean;
  maxExamples?: number;
}

/**
 * The body of a check summary, one string per line, in the registry's report order: the verdict
 * (with a profile), each anomaly's count, each entry's excused findings, and the first few details.
 * A system's formatter puts its own stats line above it.
 */
export function formatFindings<N extends string, P extends string, H, O, F extends Finding<N>>(
  system: CheckerSystem<N, P, H, O, F>,
  result: Pick<Findings<N, F>, 'anomalies' | 'counts'>,
  { profile, allCounts = false, maxExamples = MAX_EXAMPLES }: FormatOptions<P> = {},
): string[] {
  const lines: string[] = [];
  const forbidden = new Set<string>(profile === undefined ? [] : forbiddenNames(system, profile));
  const judgement = profile === undefined ? undefined : judgeFindings(system, result.anomalies, profile);
  if (judgement !== undefined) lines.push(`verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)`);

  for (const name of system.names) {
    const count = result.counts[name];
    if (count > 0 || allCounts) lines.push(`  ${name}: ${count}${forbidden.has(name) ? ' (forbidden)' : ''}`);
  }
  for (const entry of system.checks) {
    if (entry.explained === undefined) continue;
    const excused = result.anomalies.filter((anomaly) => anomaly.name === entry.name && isExcused(system, anomaly)).length;
    if (excused > 0 || allCounts) lines.push(`  explained ${entry.explained.label}: ${excused} (allowed)`);
  }
  if (result.anomalies.length === 0) lines.push('  no anomalies');

  const violations = new Set<F>(judgement?.violations ?? []);
  const examples = [...violations, ...result.anomalies.filter((anomaly) => !violations.has(anomaly))];
  for (const anomaly of examples.slice(0, maxExamples)) lines.push(`  - [${anomaly.name}] ${anomaly.detail}`);
  if (examples.length > maxExamples) lines.push(`  ... and ${examples.length - maxExamples} more`);
  return lines;
}
