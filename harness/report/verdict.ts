import { claims, PROFILES, type Profile } from '../checker/profile';

export { claims };

/**
 * Per-scenario verdicts in the spirit of Autobahn's: PASS and FAIL for a profile the implementation
 * claims, INFO for one it does not claim (the outcome is shown, never counted), ERROR when nothing
 * could be tested because the implementation or the harness did not run.
 */
export type Verdict = 'PASS' | 'FAIL' | 'INFO' | 'ERROR';

export const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'INFO', 'ERROR'];

/** What one scenario showed; written as verdict.json in its folder and gathered into the run's reports. */
export interface ScenarioVerdict {
  scenario: string;
  /** The feature file, relative to the project. */
  feature: string;
  tags: string[];
  /** The guarantee the scenario tests, from its tags. */
  profile?: Profile;
  /** Spec clauses the scenario tests, e.g. `rfc7:heartbeating` (docs/spec-clauses.md). */
  clauses: string[];
  verdict: Verdict;
  /** One line: why this verdict. */
  reason: string;
  /** The step's error message when a step failed. */
  error?: string;
  /** Each anomaly the profile forbids that the history shows, with the jobs and events behind it. */
  anomalies: VerdictAnomaly[];
  durationMs: number;
  /** The scenario's folder (history, logs, timeline), relative to the run's report folder. */
  dir: string;
}

export interface VerdictAnomaly {
  name: string;
  job?: string;
  detail: string;
  /** The history events behind it, as JSON lines are written in history.jsonl. */
  events: object[];
}

/** Cucumber's test case outcome, as its messages name it. */
export type CaseStatus = 'PASSED' | 'FAILED' | 'SKIPPED' | 'PENDING' | 'UNDEFINED' | 'AMBIGUOUS' | 'UNKNOWN';

/** The strongest profile among a scenario's tags (`@exactly-once` over `@at-least-once` over `@mdp`; `@pubsub-exactly-once`). */
export function scenarioProfile(tags: readonly string[]): Profile | undefined {
  const named = PROFILES.filter((profile) => tags.includes(`@${profile}`));
  return named[named.length - 1];
}

/** Tags that name a spec clause: `@rfc7:heartbeating`, `@khx1:accept-before-dispatch`, `@khp1:fan-out`. */
export function clauseTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => /^@(rfc\d+|kh[a-z]\d+):[a-z0-9-]+$/.test(tag)).map((tag) => tag.slice(1));
}

export interface VerdictInput {
  status: CaseStatus;
  /** The failing step's exception class, e.g. NodeStartError. */
  exceptionType?: string;
  profile?: Profile;
  claimed: readonly Profile[];
}

/**
 * Exceptions that are bugs in the harness (a broken build, a wrong call), not a system that broke
 * its promise: blaming the implementation for them would be a false FAIL.
 */
const HARNESS_FAULTS: readonly string[] = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError'];

export function decideVerdict({ status, exceptionType, profile, claimed }: VerdictInput): { verdict: Verdict; reason: string } {
  const isClaimed = profile === undefined || claims(claimed, profile);
  const notClaimed = `the implementation does not claim ${profile}`;
  switch (status) {
    case 'PASSED':
      return isClaimed ? { verdict: 'PASS', reason: profile ? `meets ${profile}` : 'passed' } : { verdict: 'INFO', reason: `passed, though ${notClaimed}` };
    case 'FAILED':
      if (exceptionType === 'NodeStartError') return { verdict: 'ERROR', reason: 'a node could not be started, so nothing was tested' };
      if (exceptionType !== undefined && HARNESS_FAULTS.includes(exceptionType)) return { verdict: 'ERROR', reason: `the harness failed (${exceptionType}), so nothing was judged` };
      return isClaimed ? { verdict: 'FAIL', reason: profile ? `violates ${profile}` : 'failed' } : { verdict: 'INFO', reason: `failed, but ${notClaimed}` };
    case 'UNDEFINED':
    case 'AMBIGUOUS':
    case 'PENDING':
      return { verdict: 'ERROR', reason: `the harness could not run a step (${status.toLowerCase()})` };
    default:
      return { verdict: 'ERROR', reason: `the scenario did not run (${status.toLowerCase()})` };
  }
}

/** Non-zero exactly when a claimed profile failed or something could not be tested. */
export function exitCodeFor(verdicts: readonly Pick<ScenarioVerdict, 'verdict'>[]): number {
  return verdicts.some((v) => v.verdict === 'FAIL' || v.verdict === 'ERROR') ? 1 : 0;
}

export function countVerdicts(verdicts: readonly Pick<ScenarioVerdict, 'verdict'>[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, INFO: 0, ERROR: 0 };
  for (const v of verdicts) counts[v.verdict]++;
  return counts;
}
