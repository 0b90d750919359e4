import type { Envelope } from '@cucumber/messages';
import path from 'node:path';
import { implementationUnderTest } from '../manifest/selected-implementation';
import { defaultReportDir } from '../scenario/scenario';
import { runSeed } from '../util/run-seed';
import { runConfig } from '../run/run-config';
import { RUN_REPORT_FILES, writeRunReports } from './run-reports';
import { brokenClausesLine } from './broken-clauses';
import { countVerdicts, formatCounts, type ScenarioVerdict, type VerdictAnomaly } from './verdict';
import type { RunInfo } from './markdown-summary';
import { timeScale } from '../util/time-scale';

/** The After hook attaches each scenario's verdict under this media type; the formatter collects them. */
export const VERDICT_MEDIA_TYPE = 'application/vnd.keelhaul.verdict+json';

interface FormatterContext {
  on: (key: 'message', handler: (envelope: Envelope) => void) => void;
  write: (text: string) => void;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** How many jobs the progress line names per anomaly; the rest are counted (summary.md lists them all). */
const JOBS_NAMED = 3;

/** `duplicate-execution of client-1:a:1, client-1:a:2`: each anomaly once, with the jobs it names, so a CI log shows what to look for. */
export function anomalyList(anomalies: readonly VerdictAnomaly[]): string {
  const jobsByName = new Map<string, string[]>();
  const firstDetail = new Map<string, string>();
  for (const anomaly of anomalies) {
    const jobs = jobsByName.get(anomaly.name) ?? [];
    if (anomaly.job !== undefined && !jobs.includes(anomaly.job)) jobs.push(anomaly.job);
    jobsByName.set(anomaly.name, jobs);
    if (!firstDetail.has(anomaly.name)) firstDetail.set(anomaly.name, anomaly.detail);
  }
  return [...jobsByName]
    .map(([name, jobs]) => {
      // An anomaly about no job (nothing succeeded, no progress after a heal) is only read through its detail.
      if (jobs.length === 0) return firstDetail.get(name) ? `${name} (${firstDetail.get(name)})` : name;
      const more = jobs.length > JOBS_NAMED ? ` and ${jobs.length - JOBS_NAMED} more` : '';
      return `${name} of ${jobs.slice(0, JOBS_NAMED).join(', ')}${more}`;
    })
    .join('; ');
}

/**
 * A Cucumber formatter plugin: one line per scenario as it finishes (the progress display), then the
 * counts; at the end it writes verdicts.json, junit.xml and summary.md into the run's report folder.
 * Use it as `--format ./dist/harness/report/verdict-formatter.js`.
 */
function verdictFormatter({ on, write }: FormatterContext): void {
  const pickles = new Map<string, string>();
  const testCasePickle = new Map<string, string>();
  const startedCase = new Map<string, string>();
  const verdicts = new Map<string, ScenarioVerdict>();
  const finished: ScenarioVerdict[] = [];
  /** Scenarios Cucumber skipped without running a step (--dry-run, --fail-fast): not judged, so no verdict. */
  const notRun: string[] = [];
  /** Started test cases in which some step (hooks included) was not skipped. */
  const ran = new Set<string>();
  let total = 0;
  const runDir = defaultReportDir();
  const seed = runSeed();

  const caseOfStarted = (startedId: string): string => startedCase.get(startedId) ?? startedId;
  /** Test cases whose verdict is final although Cucumber retries them (a FAIL is not retried away). */
  const decided = new Set<string>();
  /** Why each earlier attempt of a test case was INCONCLUSIVE. */
  const retried = new Map<string, string[]>();

  const report = (startedId: string, verdict: ScenarioVerdict | undefined): void => {
    const name = pickles.get(testCasePickle.get(caseOfStarted(startedId)) ?? '') ?? startedId;
    const position = `[${String(finished.length + notRun.length + 1).padStart(String(total).length)}/${total}]`;
    if (!verdict && !ran.has(startedId)) {
      notRun.push(name);
      write(`${position} NOT RUN ${name}: Cucumber skipped every step (--dry-run, or --fail-fast after a failure)\n`);
      return;
    }
    if (!verdict) {
      // Counted as an ERROR, so a run that judged nothing never exits 0.
      const missing: ScenarioVerdict = { scenario: name, feature: '', tags: [], clauses: [], verdict: 'ERROR', reason: 'no verdict was recorded (the After hook did not run)', anomalies: [], durationMs: 0, dir: '' };
      finished.push(missing);
      write(`${position} ERROR ${name}: ${missing.reason}\n`);
      return;
    }
    const earlier = retried.get(caseOfStarted(startedId)) ?? [];
    const final: ScenarioVerdict = earlier.length > 0 ? { ...verdict, attempts: earlier.length + 1, retried: earlier } : verdict;
    finished.push(final);
    const anomalies = final.anomalies.length > 0 ? ` — ${anomalyList(final.anomalies)}` : '';
    const attempts = earlier.length > 0 ? ` [attempt ${earlier.length + 1}]` : '';
    const clauses = final.verdict === 'FAIL' && brokenClausesLine(final) !== '' ? ` · ${brokenClausesLine(final)}` : '';
    write(`${position} ${final.verdict.padEnd(5)} ${name} (${seconds(final.durationMs)})${attempts}${final.verdict === 'PASS' ? '' : `: ${final.reason}${anomalies}${clauses}`}\n`);
  };

  on('message', (envelope) => {
    if (envelope.testRunStarted) {
      const { implementation, claimed } = implementationUnderTest();
      write(`keelhaul: ${implementation.name} (claims ${claimed.join(', ')}), seed ${seed}, time scale ${timeScale()}, reports in ${runDir}\n`);
    } else if (envelope.pickle) {
      pickles.set(envelope.pickle.id, envelope.pickle.name);
    } else if (envelope.testCase) {
      total++;
      testCasePickle.set(envelope.testCase.id, envelope.testCase.pickleId);
    } else if (envelope.testCaseStarted) {
      startedCase.set(envelope.testCaseStarted.id, envelope.testCaseStarted.testCaseId);
    } else if (envelope.testStepFinished && envelope.testStepFinished.testStepResult.status !== 'SKIPPED') {
      ran.add(envelope.testStepFinished.testCaseStartedId);
    } else if (envelope.attachment?.mediaType === VERDICT_MEDIA_TYPE && envelope.attachment.testCaseStartedId) {
      verdicts.set(envelope.attachment.testCaseStartedId, JSON.parse(envelope.attachment.body) as ScenarioVerdict);
    } else if (envelope.testCaseFinished) {
      const id = envelope.testCaseFinished.testCaseStartedId;
      const testCase = caseOfStarted(id);
      const verdict = verdicts.get(id);
      if (decided.has(testCase)) return; // the attempt after a final FAIL/ERROR, skipped by the Before hook
      if (envelope.testCaseFinished.willBeRetried) {
        if (verdict?.verdict === 'INCONCLUSIVE') {
          const name = pickles.get(testCasePickle.get(testCase) ?? '') ?? id;
          retried.set(testCase, [...(retried.get(testCase) ?? []), verdict.reason]);
          write(`       retry ${name}: INCONCLUSIVE, ${verdict.reason}\n`);
          return;
        }
        // A FAIL or ERROR is final: Cucumber's retry is only for what the harness could not judge.
        decided.add(testCase);
      }
      report(id, verdict);
    } else if (envelope.testRunFinished) {
      const counts = countVerdicts(finished);
      const { implementation, claimed } = implementationUnderTest();
      const { replay, shard, impl, runtime } = runConfig();
      const info: RunInfo = {
        implementation: implementation.name,
        claimed: [...claimed],
        seed,
        replay: replay ?? `KEELHAUL_SEED=${seed} npm run features -- --time-scale ${timeScale()}${shard ? ` --shard ${shard}` : ''}`,
        ...(shard ? { shard } : {}),
        ...(impl ? { manifest: impl } : {}),
        runtime,
        timeScale: timeScale(),
      };
      writeRunReports(runDir, info, finished, { selected: total, notRun });
      write(`${formatCounts(counts)}${notRun.length > 0 ? `, ${notRun.length} not run` : ''}; ${path.join(runDir, RUN_REPORT_FILES.summary)}\n`);
    }
  });
}

export default { type: 'formatter', formatter: verdictFormatter };
