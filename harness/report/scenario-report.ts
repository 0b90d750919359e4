import fs from 'node:fs';
import path from 'node:path';
import { undecidedReason, type Judgement, type Profile } from '../checker/profile';
import { starvationSlack } from '../timing/timing';
import { starvation, summarizeHealth } from '../history/harness-health';
import type { HistoryEvent } from '../history/event';
import { countOrphans } from '../history/orphan-count';
import type { Scenario } from '../scenario/scenario';
import { clauseSummary } from '../spec/clause-summary';
import { brokenClauseIds } from './broken-clauses';
import { renderTimeline } from './timeline';
import { INCONCLUSIVE_EXCEPTION } from '../verdict/inconclusive';
import { clauseTags, decideVerdict, scenarioProfile, type CaseStatus, type ScenarioVerdict, type VerdictAnomaly } from './verdict';

export interface ScenarioOutcome {
  name: string;
  feature: string;
  line?: number;
  tags: readonly string[];
  status: CaseStatus;
  exceptionType?: string;
  /** The failing step's own message (an Inconclusive's reason); `error` is Cucumber's full text. */
  exceptionMessage?: string;
  error?: string;
  durationMs: number;
  claimed: readonly Profile[];
}

/** Events are kept in the verdict so a reader sees the evidence; a storm's thousands are not. */
const MAX_ANOMALIES = 50;
const MAX_EVENTS_PER_ANOMALY = 12;

/**
 * What a failed scenario's history shows against its profile. The step that failed may have been
 * an earlier, narrower one, so the whole history is checked here, not only at the check step.
 */
function anomaliesFor(judgement: Judgement | undefined): VerdictAnomaly[] {
  return [...(judgement?.violations ?? []), ...(judgement?.undecided ?? [])].slice(0, MAX_ANOMALIES).map((anomaly) => ({
    name: anomaly.name,
    job: anomaly.job,
    detail: anomaly.detail,
    events: anomaly.events.slice(0, MAX_EVENTS_PER_ANOMALY),
  }));
}

/** A check of the whole history when no step made one; none for a history without the profile's operations. */
function checkAfterwards(scenario: Scenario, profile: Profile): Pick<NonNullable<Scenario['lastCheck']>, 'result' | 'judgement'> | undefined {
  // The scenario may have stopped before deliveries caught up: what was accepted within the recovery bound of the end is not called lost.
  return scenario.checkWhole(profile);
}

/**
 * What a history the harness cut short shows of itself: a scenario a step ended INCONCLUSIVE (the
 * harness could not create its condition) before any check step judged it stops with calls open, jobs
 * run and not yet answered, messages not yet delivered. Checked afterwards, those read as these
 * findings; they accuse nobody there. A duplicate or a stale reply seen before the stop still does.
 */
const CUT_SHORT_FINDINGS: ReadonlySet<string> = new Set(['no-success', 'lost', 'stuck', 'no-delivery', 'undelivered-at-bound', 'empty-history', 'kill-unanswered', 'give-up-late', 'best-effort-blocked', 'goodput-not-recovered']);

/**
 * What the history says about whose fault a failure is. Content anomalies (a duplicate, a stale reply,
 * a definite failure of a job that ran, a skipped message) accuse whatever the load; a failure made
 * only of missed bounds (a stuck call, a client that gave up) is the machine's doing when the harness
 * itself stalled longer than `slackMs`; undecided findings accuse nobody.
 */
export function blame(
  events: readonly HistoryEvent[],
  judgement: Judgement | undefined,
  slackMs: number,
  { cutShort = false }: { cutShort?: boolean } = {},
): { accused: boolean; starved?: string; undecided?: string } {
  const accused = (judgement?.violations ?? []).some((anomaly) => !anomaly.boundMissed && !(cutShort && CUT_SHORT_FINDINGS.has(anomaly.name)));
  return {
    accused,
    starved: accused ? undefined : starvation(events, slackMs),
    undecided: judgement?.verdict === 'INCONCLUSIVE' ? undecidedReason(judgement) : undefined,
  };
}

/**
 * The profile whose check step ended the scenario: a scenario may check several (retry-policy, then
 * exactly-once), and the verdict must name, and be claimed by, the one that found the anomaly, not
 * the strongest of its tags: an implementation that claims retry-policy only is not accused by an
 * exactly-once check. Undefined when no check step judged the failure (a narrower step failed).
 */
export function failedCheckProfile(scenario: Pick<Scenario, 'lastCheck'>, outcome: Pick<ScenarioOutcome, 'status'>): Profile | undefined {
  const check = scenario.lastCheck;
  return outcome.status === 'FAILED' && check !== undefined && check.judgement.verdict !== 'PASS' ? check.profile : undefined;
}

/**
 * Writes a finished scenario's verdict.json and timeline.svg next to its history and logs, and
 * returns the verdict. Called after teardown, so the history is final.
 */
export function writeScenarioReport(scenario: Scenario, outcome: ScenarioOutcome, runDir: string): ScenarioVerdict {
  const profile = failedCheckProfile(scenario, outcome) ?? scenarioProfile(outcome.tags);
  const events = scenario.history.events();
  // Checked also for a pass: the timeline marks what the checkers found, explained re-runs included.
  // Cut short: a step ended the scenario INCONCLUSIVE before any check step judged it (checkAfterwards sets lastCheck, so read it first).
  const cutShort = scenario.lastCheck === undefined && outcome.exceptionType === INCONCLUSIVE_EXCEPTION;
  const check = scenario.lastCheck ?? (profile ? checkAfterwards(scenario, profile) : undefined);
  const judgement = outcome.status === 'PASSED' ? undefined : check?.judgement;
  const { verdict, reason } = decideVerdict({
    status: outcome.status,
    exceptionType: outcome.exceptionType,
    error: outcome.exceptionMessage ?? outcome.error,
    profile,
    claimed: outcome.claimed,
    ...blame(events, judgement, starvationSlack(scenario.timing), { cutShort }),
  });
  const orphans = countOrphans(events);
  const result: ScenarioVerdict = {
    scenario: outcome.name,
    feature: outcome.feature,
    ...(outcome.line !== undefined ? { line: outcome.line } : {}),
    tags: [...outcome.tags],
    profile,
    clauses: clauseTags(outcome.tags),
    ...(verdict === 'FAIL' ? { broken: brokenClauseIds(clauseTags(outcome.tags), outcome.error).map(clauseSummary) } : {}),
    verdict,
    reason,
    error: outcome.error,
    anomalies: verdict === 'PASS' ? [] : anomaliesFor(judgement),
    ...(orphans !== undefined ? { orphans } : {}),
    durationMs: Math.round(outcome.durationMs),
    health: summarizeHealth(events),
    dir: path.relative(runDir, scenario.dir) || '.',
  };
  fs.writeFileSync(path.join(scenario.dir, 'verdict.json'), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(scenario.dir, 'timeline.svg'), renderTimeline(events, { title: `${verdict}: ${outcome.name}`, anomalies: check?.result.anomalies }));
  return result;
}
