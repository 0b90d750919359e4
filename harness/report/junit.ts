import type { ScenarioVerdict } from './verdict';
import { escapeXml } from '../util/xml';
import { brokenClausesLine } from './broken-clauses';

/** Anomaly lines and the step error, as the body of a JUnit failure. */
export function failureDetails(verdict: ScenarioVerdict): string {
  const lines = [verdict.reason];
  const clauses = brokenClausesLine(verdict);
  if (clauses !== '') lines.push(clauses);
  for (const anomaly of verdict.anomalies) lines.push(`${anomaly.name}${anomaly.job ? ` ${anomaly.job}` : ''}: ${anomaly.detail}`);
  if (verdict.error) lines.push('', verdict.error);
  lines.push('', `history, logs and timeline: ${verdict.dir}`);
  return lines.join('\n');
}

/**
 * JUnit XML as CI systems read it: one testsuite per feature file. FAIL is a failure and ERROR an
 * error; INFO (a profile the implementation does not claim) and INCONCLUSIVE (not judged) are
 * reported as skipped with their reason, so they show without failing the build; the run's exit code
 * still says when something stayed inconclusive.
 */
export function renderJUnit(runName: string, verdicts: readonly ScenarioVerdict[]): string {
  const byFeature = new Map<string, ScenarioVerdict[]>();
  for (const verdict of verdicts) byFeature.set(verdict.feature, [...(byFeature.get(verdict.feature) ?? []), verdict]);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const count = (list: readonly ScenarioVerdict[], kind: string) => list.filter((v) => v.verdict === kind).length;
  const total = verdicts.reduce((sum, v) => sum + v.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(runName)}" tests="${verdicts.length}" failures="${count(verdicts, 'FAIL')}" errors="${count(verdicts, 'ERROR')}" skipped="${count(verdicts, 'INFO') + count(verdicts, 'INCONCLUSIVE')}" time="${seconds(total)}">`,
  ];
  for (const [feature, list] of byFeature) {
    const time = list.reduce((sum, v) => sum + v.durationMs, 0);
    out.push(
      `  <testsuite name="${escapeXml(feature)}" tests="${list.length}" failures="${count(list, 'FAIL')}" errors="${count(list, 'ERROR')}" skipped="${count(list, 'INFO') + count(list, 'INCONCLUSIVE')}" time="${seconds(time)}">`,
    );
    for (const verdict of list) {
      out.push(`    <testcase classname="${escapeXml(feature)}" name="${escapeXml(verdict.scenario)}" time="${seconds(verdict.durationMs)}">`);
      // pytest's order: properties first, then the outcome, then output.
      out.push(`      <properties>`);
      out.push(`        <property name="verdict" value="${verdict.verdict}"/>`);
      if (verdict.profile) out.push(`        <property name="profile" value="${escapeXml(verdict.profile)}"/>`);
      for (const clause of verdict.clauses) out.push(`        <property name="clause" value="${escapeXml(clause)}"/>`);
      if (verdict.attempts !== undefined && verdict.attempts > 1) out.push(`        <property name="attempts" value="${verdict.attempts}"/>`);
      out.push(`      </properties>`);
      if (verdict.verdict === 'FAIL') out.push(`      <failure message="${escapeXml(verdict.reason)}" type="FAIL">${escapeXml(failureDetails(verdict))}</failure>`);
      if (verdict.verdict === 'ERROR') out.push(`      <error message="${escapeXml(verdict.reason)}" type="ERROR">${escapeXml(failureDetails(verdict))}</error>`);
      if (verdict.verdict === 'INFO') out.push(`      <skipped message="${escapeXml(`INFO: ${verdict.reason}`)}"/>`);
      // Not judged is neither a pass nor a failure: JUnit's nearest is skipped, with the reason and the verdict property.
      if (verdict.verdict === 'INCONCLUSIVE') out.push(`      <skipped message="${escapeXml(`INCONCLUSIVE: ${verdict.reason}`)}"/>`);
      out.push(`      <system-out>${escapeXml(`${verdict.verdict}: ${verdict.reason}\nhistory, logs and timeline: ${verdict.dir}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
