import { formatClause } from '../spec/clause-summary';
import { countVerdicts, formatCounts, type ScenarioVerdict } from './verdict';
import type { HarnessHealthSummary } from '../history/harness-health';
import { formatOrphanCount } from '../history/orphan-count';

export interface RunInfo {
  implementation: string;
  claimed: readonly string[];
  seed: string;
  /** The command that replays this run. */
  replay: string;
  /** The part of the selected scenarios the run took (`i/n`, --shard); absent: all of them. */
  shard?: string;
  /** A merged report's runs (keelhaul merge-reports): each replays with its own line. */
  parts?: RunPart[];
  /** The manifest the run verified (absolute); absent: the reference implementation (keelhaul features). */
  manifest?: string;
  /** Where nodes ran: `process` or `docker` (a merged report of runs that differed: both, comma-separated). */
  runtime?: string;
  /** The run's settled time scale, which a replay must repeat. */
  timeScale?: number;
}

/** One of the runs a merged report joins. */
export interface RunPart {
  /** Its run folder, relative to the merged one. */
  dir: string;
  shard?: string;
  seed: string;
  replay: string;
  /** Verdicts it contributed. */
  scenarios: number;
}

const ICON: Record<ScenarioVerdict['verdict'], string> = { PASS: '✅ PASS', FAIL: '❌ FAIL', INFO: 'ℹ️ INFO', ERROR: '💥 ERROR', INCONCLUSIVE: '⚠️ INCONCLUSIVE' };

/** The harness's own health through a scenario, so a reader can tell a starved machine from a slow implementation. */
function healthLine(health: HarnessHealthSummary): string {
  return `Harness health: worst event-loop stall ${health.lagMaxMs} ms, load up to ${health.load1Max} on ${health.cpus} cores (${health.samples} samples).`;
}

/** Table cells cannot hold a pipe or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A run's outcome in two words, for the top of its reports. No verdict at all (no scenario ran: a dry run) is not a pass. */
export function runHeadline(verdicts: readonly Pick<ScenarioVerdict, 'verdict'>[]): 'Failed' | 'Not judged' | 'Nothing ran' | 'Passed' {
  if (verdicts.some((v) => v.verdict === 'FAIL' || v.verdict === 'ERROR')) return 'Failed';
  if (verdicts.some((v) => v.verdict === 'INCONCLUSIVE')) return 'Not judged';
  return verdicts.length === 0 ? 'Nothing ran' : 'Passed';
}

/**
 * A Markdown summary for a CI job summary page (e.g. appended to $GITHUB_STEP_SUMMARY): the counts,
 * a table of every scenario, then what each FAIL and ERROR found, with the jobs behind each anomaly.
 */
export function renderMarkdownSummary(info: RunInfo, verdicts: readonly ScenarioVerdict[]): string {
  const counts = countVerdicts(verdicts);
  const failing = verdicts.filter((v) => v.verdict === 'FAIL' || v.verdict === 'ERROR');
  const inconclusive = verdicts.filter((v) => v.verdict === 'INCONCLUSIVE');
  const headline = runHeadline(verdicts);
  const lines = [
    `# keelhaul verify: ${cell(info.implementation)}`,
    '',
    `**${headline}**: ${formatCounts(counts)}` +
      ` (claims: ${info.claimed.join(', ')}; seed ${info.seed}${info.shard ? `; shard ${info.shard}` : ''}${info.parts ? `; merged from ${info.parts.length} ${info.parts.length === 1 ? 'run' : 'runs'}` : ''})`,
    '',
    '| verdict | scenario | profile | clauses | why |',
    '| --- | --- | --- | --- | --- |',
    ...verdicts.map((v) => `| ${ICON[v.verdict]} | ${cell(v.scenario)} | ${v.profile ?? ''} | ${v.clauses.join(' ')} | ${cell(v.reason)} |`),
  ];
  for (const verdict of failing) {
    lines.push('', `## ${verdict.verdict}: ${cell(verdict.scenario)}`, '', `${verdict.feature} · ${verdict.reason} · files: \`${verdict.dir}\``);
    if (verdict.health) lines.push('', healthLine(verdict.health));
    const broken = verdict.broken ?? [];
    if (broken.length > 0) {
      lines.push('', broken.length === 1 ? 'Breaks:' : 'Breaks one or more of:', '');
      for (const clause of broken) lines.push(`- \`${clause.id}\` ${cell(formatClause(clause).slice(clause.id.length + 1))}`);
    }
    if (verdict.anomalies.length > 0) {
      lines.push('');
      for (const anomaly of verdict.anomalies.slice(0, 20)) lines.push(`- **${anomaly.name}**${anomaly.job ? ` \`${anomaly.job}\`` : ''}: ${cell(anomaly.detail)}`);
      if (verdict.anomalies.length > 20) lines.push(`- ... and ${verdict.anomalies.length - 20} more (see verdict.json)`);
    }
    if (verdict.error) lines.push('', '```', verdict.error.split('\n').slice(0, 15).join('\n'), '```');
  }
  if (inconclusive.length > 0) {
    // Apart from the failures: the harness could not create these scenarios' conditions, so they accuse nobody.
    lines.push('', '## Inconclusive: not judged', '', 'The harness could not create these scenarios\' own conditions, even after retrying; they say nothing against the implementation.', '');
    for (const verdict of inconclusive) {
      lines.push(`- ${cell(verdict.scenario)}: ${cell(verdict.reason)}${verdict.attempts && verdict.attempts > 1 ? ` (${verdict.attempts} attempts)` : ''} · files: \`${verdict.dir}\``);
      if (verdict.health) lines.push(`  ${healthLine(verdict.health)}`);
    }
  }
  const withOrphans = verdicts.filter((v) => v.orphans !== undefined);
  if (withOrphans.length > 0) {
    // Never anomalies: messages the nodes dropped because nothing waited for them any more.
    lines.push('', '## Orphans dropped', '');
    for (const { scenario, orphans } of withOrphans) if (orphans !== undefined) lines.push(`- ${cell(scenario)}: ${formatOrphanCount(orphans)}`);
  }
  const retried = verdicts.filter((v) => v.verdict !== 'INCONCLUSIVE' && (v.attempts ?? 1) > 1);
  if (retried.length > 0) {
    lines.push('', '## Retried after an inconclusive attempt', '');
    for (const verdict of retried) lines.push(`- ${cell(verdict.scenario)}: ${verdict.verdict} on attempt ${verdict.attempts}; before: ${cell((verdict.retried ?? []).join('; '))}`);
  }
  if (info.parts !== undefined) {
    lines.push('', `## Merged from ${info.parts.length} ${info.parts.length === 1 ? 'run' : 'runs'}`, '', '| shard | scenarios | seed | folder | replay |', '| --- | --- | --- | --- | --- |');
    for (const part of info.parts) lines.push(`| ${part.shard ?? 'whole'} | ${part.scenarios} | ${part.seed} | \`${cell(part.dir)}\` | \`${cell(part.replay)}\` |`);
    lines.push('');
    return lines.join('\n');
  }
  lines.push('', `Replay: \`${info.replay}\``, '');
  return lines.join('\n');
}
