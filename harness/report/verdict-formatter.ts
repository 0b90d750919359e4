import type { Envelope } from '@cucumber/messages';
import path from 'node:path';
import { implementationUnderTest } from '../manifest/selected-implementation';
import { defaultReportDir } from '../scenario/scenario';
import { runSeed } from '../util/run-seed';
import { RUN_REPORT_FILES, writeRunReports } from './run-reports';
import { countVerdicts, type ScenarioVerdict } from './verdict';

/** The After hook attaches each scenario's verdict under this media type; the formatter collects them. */
export const VERDICT_MEDIA_TYPE = 'application/vnd.keelhaul.verdict+json';

interface FormatterContext {
  on: (key: 'message', handler: (envelope: Envelope) => void) => void;
  write: (text: string) => void;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
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
  let total = 0;
  const runDir = defaultReportDir();
  const seed = runSeed();

  on('message', (envelope) => {
    if (envelope.testRunStarted) {
      const { implementation, claimed } = implementationUnderTest();
      write(`keelhaul: ${implementation.name} (claims ${claimed.join(', ')}), seed ${seed}, reports in ${runDir}\n`);
    } else if (envelope.pickle) {
      pickles.set(envelope.pickle.id, envelope.pickle.name);
    } else if (envelope.testCase) {
      total++;
      testCasePickle.set(envelope.testCase.id, envelope.testCase.pickleId);
    } else if (envelope.testCaseStarted) {
      startedCase.set(envelope.testCaseStarted.id, envelope.testCaseStarted.testCaseId);
    } else if (envelope.attachment?.mediaType === VERDICT_MEDIA_TYPE && envelope.attachment.testCaseStartedId) {
      verdicts.set(envelope.attachment.testCaseStartedId, JSON.parse(envelope.attachment.body) as ScenarioVerdict);
    } else if (envelope.testCaseFinished && !envelope.testCaseFinished.willBeRetried) {
      const id = envelope.testCaseFinished.testCaseStartedId;
      const verdict = verdicts.get(id);
      const name = pickles.get(testCasePickle.get(startedCase.get(id) ?? '') ?? '') ?? id;
      const position = `[${String(finished.length + 1).padStart(String(total).length)}/${total}]`;
      if (!verdict) {
        write(`${position} ERROR ${name}: no verdict was recorded (did the After hook run?)\n`);
        return;
      }
      finished.push(verdict);
      const anomalies = verdict.anomalies.length > 0 ? ` — ${[...new Set(verdict.anomalies.map((a) => a.name))].join(', ')}` : '';
      write(`${position} ${verdict.verdict.padEnd(5)} ${name} (${seconds(verdict.durationMs)})${verdict.verdict === 'PASS' ? '' : `: ${verdict.reason}${anomalies}`}\n`);
    } else if (envelope.testRunFinished) {
      const counts = countVerdicts(finished);
      const { implementation, claimed } = implementationUnderTest();
      writeRunReports(runDir, { implementation: implementation.name, claimed: [...claimed], seed, replay: process.env.KEELHAUL_REPLAY ?? `KEELHAUL_SEED=${seed} npm run features` }, finished);
      write(`${counts.PASS} pass, ${counts.FAIL} fail, ${counts.INFO} info, ${counts.ERROR} error; ${path.join(runDir, RUN_REPORT_FILES.summary)}\n`);
    }
  });
}

export default { type: 'formatter', formatter: verdictFormatter };
