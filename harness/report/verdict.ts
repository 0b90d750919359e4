import { claims, PROFILES, type Profile } from '../checker/profile';
import { INCONCLUSIVE_EXCEPTION } from '../verdict/inconclusive';
import { STALL_PROOF_EXCEPTION } from '../verdict/stall-proof-failure';
import type { HarnessHealthSummary } from '../history/harness-health';
import type { ClauseSummary } from '../spec/clause-summary';
import type { OrphanCount } from '../history/orphan-count';
import { RUN_EXIT } from './run-exit';

export { clauseTags } from '../spec/clause';

export { claims };

/**
 * Per-scenario verdicts in the spirit of Autobahn's: PASS and FAIL for a profile the implementation
 * claims, INFO for one it does not claim (the outcome is shown, never counted), ERROR when nothing
 * could be tested because the implementation or the harness did not run, INCONCLUSIVE when the
 * harness could not create the scenario's own condition (a fault that touched nothing, a workload that
 * ended before the fault, a machine too slow to judge): never an accusation, tried again before it is
 * reported.
 */
export type Verdict = 'PASS' | 'FAIL' | 'INFO' | 'ERROR' | 'INCONCLUSIVE';

export const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'INFO', 'ERROR', 'INCONCLUSIVE'];

/** What one scenario showed; written as verdict.json in its folder and gathered into the run's reports. */
export interface ScenarioVerdict {
  scenario: string;
  /** The feature file, relative to the project. */
  feature: string;
  /** Where in it the scenario starts (an outline's example: its row), so `<feature>:<line>` names it alone. */
  line?: number;
  tags: string[];
  /** The guarantee the scenario tests, from its tags. */
  profile?: Profile;
  /** Spec clauses the scenario tests, e.g. `rfc7:heartbeating` (docs/spec-clauses.md). */
  clauses: string[];
  /** On a FAIL: the clauses the scenario checks, with their level and text, which the evidence shows broken. */
  broken?: ClauseSummary[];
  verdict: Verdict;
  /** One line: why this verdict. */
  reason: string;
  /** The step's error message when a step failed. */
  error?: string;
  /** Attempts this verdict took: earlier ones were INCONCLUSIVE and retried (1 when it came first time). */
  attempts?: number;
  /** Why each earlier attempt was INCONCLUSIVE, in order. */
  retried?: string[];
  /** The harness's own health through the scenario: its event-loop lag and the system load. */
  health?: HarnessHealthSummary;
  /** Each anomaly the profile forbids that the history shows, with the jobs and events behind it. */
  anomalies: VerdictAnomaly[];
  /** Messages the nodes dropped because nothing waited for them any more (`orphan` events): counted, never anomalies. Absent: none. */
  orphans?: OrphanCount;
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


export interface VerdictInput {
  status: CaseStatus;
  /** The failing step's exception class, e.g. NodeStartError. */
  exceptionType?: string;
  /** The failing step's message (an Inconclusive's reason). */
  error?: string;
  profile?: Profile;
  claimed: readonly Profile[];
  /**
   * Set when the harness itself was starved while the scenario ran (its event loop stalled longer than
   * the slack of the bounds it judges by): a failure then cannot be pinned on the implementation.
   */
  starved?: string;
  /**
   * Set when the history's only forbidden findings are of the kind the harness could not rule on (a
   * subscriber still catching up at the bound): a failure is then INCONCLUSIVE, with this reason.
   */
  undecided?: string;
  /**
   * The history itself shows a forbidden anomaly that is no matter of timing (a duplicate, a lost or
   * stale reply, a skipped message): the failure stands whatever else went wrong in the run.
   */
  accused?: boolean;
}

/**
 * Exceptions that are bugs in the harness (a broken build, a wrong call), not a system that broke
 * its promise: blaming the implementation for them would be a false FAIL.
 */
const HARNESS_FAULTS: readonly string[] = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError'];

export function decideVerdict({ status, exceptionType, error, profile, claimed, starved, undecided, accused }: VerdictInput): { verdict: Verdict; reason: string } {
  const isClaimed = profile === undefined || claims(claimed, profile);
  const notClaimed = `the implementation does not claim ${profile}`;
  switch (status) {
    case 'PASSED':
      return isClaimed ? { verdict: 'PASS', reason: profile ? `meets ${profile}` : 'passed' } : { verdict: 'INFO', reason: `passed, though ${notClaimed}` };
    case 'FAILED':
      if (exceptionType === 'NodeStartError') return { verdict: 'ERROR', reason: 'a node could not be started, so nothing was tested' };
      if (exceptionType !== undefined && HARNESS_FAULTS.includes(exceptionType)) return { verdict: 'ERROR', reason: `the harness failed (${exceptionType}), so nothing was judged` };
      if (accused || exceptionType === STALL_PROOF_EXCEPTION) return isClaimed ? { verdict: 'FAIL', reason: profile ? `violates ${profile}` : 'failed' } : { verdict: 'INFO', reason: `failed, but ${notClaimed}` };
      if (exceptionType === INCONCLUSIVE_EXCEPTION) return { verdict: 'INCONCLUSIVE', reason: firstLine(error) ?? 'the scenario could not create its own condition' };
      if (undecided !== undefined) return { verdict: 'INCONCLUSIVE', reason: undecided };
      if (starved !== undefined) return { verdict: 'INCONCLUSIVE', reason: `the machine was too slow to judge: ${starved}` };
      return isClaimed ? { verdict: 'FAIL', reason: profile ? `violates ${profile}` : 'failed' } : { verdict: 'INFO', reason: `failed, but ${notClaimed}` };
    case 'UNDEFINED':
    case 'AMBIGUOUS':
    case 'PENDING':
      return { verdict: 'ERROR', reason: `the harness could not run a step (${status.toLowerCase()})` };
    default:
      return { verdict: 'ERROR', reason: `the scenario did not run (${status.toLowerCase()})` };
  }
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n')[0]?.trim();
  return line ? line : undefined;
}

export { RUN_EXIT };

export function exitCodeFor(verdicts: readonly Pick<ScenarioVerdict, 'verdict'>[]): number {
  if (verdicts.some((v) => v.verdict === 'FAIL' || v.verdict === 'ERROR')) return RUN_EXIT.failed;
  return verdicts.some((v) => v.verdict === 'INCONCLUSIVE') ? RUN_EXIT.inconclusive : RUN_EXIT.passed;
}

export function countVerdicts(verdicts: readonly Pick<ScenarioVerdict, 'verdict'>[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, INFO: 0, ERROR: 0, INCONCLUSIVE: 0 };
  for (const v of verdicts) counts[v.verdict]++;
  return counts;
}

/** `3 pass, 0 fail, 0 info, 0 error, 1 inconclusive`: the one-line count every front end prints. */
export function formatCounts(counts: Record<Verdict, number>): string {
  return `${counts.PASS} pass, ${counts.FAIL} fail, ${counts.INFO} info, ${counts.ERROR} error, ${counts.INCONCLUSIVE} inconclusive`;
}
