import { LEVELS, SPECS, type SpecCatalogue } from './clause';
import { percent, type ClauseCoverage, type CoverageReport, type Evidence, type LevelOrAll, type SpecOrAll, type Tally } from './coverage';

const NOT_COVERED = 'NOT COVERED';

/** One line naming a piece of evidence, as the CLI prints it. */
export function describeEvidence(evidence: Evidence): string {
  switch (evidence.kind) {
    case 'scenario':
      return `scenario "${evidence.name}" (${evidence.file})`;
    case 'probe':
      return `probe "${evidence.name}" (in scenario "${evidence.scenario}")`;
    case 'test':
      return `unit test "${evidence.name}" (${evidence.file}; reference only)`;
  }
}

/** The markdown cell naming what tests a clause: scenarios and probes by name, unit tests by file. */
function evidenceCell(entry: ClauseCoverage): string {
  if (entry.evidence.length === 0) return `**${NOT_COVERED}**`;
  const scenarios = entry.evidence.flatMap((e) => (e.kind === 'scenario' ? [`"${e.name}"`] : []));
  const probes = entry.evidence.flatMap((e) => (e.kind === 'probe' ? [`probe "${e.name}"`] : []));
  const tests = [...new Set(entry.evidence.flatMap((e) => (e.kind === 'test' ? [`\`${e.file}\``] : [])))];
  return [...scenarios, ...probes, ...(tests.length > 0 ? [`unit: ${tests.join(', ')}`] : [])].join('; ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The markdown table of one spec's clauses: id, level, the rule with its section, what tests it. */
export function renderClauseTable(report: CoverageReport, spec: SpecCatalogue): string {
  const rows = report.clauses
    .filter((entry) => entry.spec === spec.spec)
    .map((entry) => {
      const { clause } = entry;
      const text = clause.paraphrased ? clause.text : `"${clause.text}"`;
      const note = clause.note ? ` (${clause.note})` : '';
      return `| \`${clause.id}\` | ${clause.level} | ${cell(text)} [${cell(clause.section)}]${cell(note)} | ${cell(evidenceCell(entry))} |`;
    });
  return ['| clause | level | the rule (quoted, or paraphrased without quotes) [section] | tested by |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The markdown table of one spec's group tags and their members. */
export function renderGroupTable(spec: SpecCatalogue): string {
  if (spec.groups.length === 0) return '(none)';
  const rows = spec.groups.map((group) => `| \`${group.id}\` | ${cell(group.text)} [${cell(group.section)}] | ${group.members.map((id) => `\`${id}\``).join(', ')} |`);
  return ['| group tag | what it names [section] | clauses |', '| --- | --- | --- |', ...rows].join('\n');
}

function tallyCell(tally: Tally, count: (t: Tally) => number): string {
  return tally.total === 0 ? '-' : `${count(tally)}/${tally.total} ${percent(count(tally), tally.total)}%`;
}

function matrix(report: CoverageReport, count: (t: Tally) => number): string[] {
  const columns: LevelOrAll[] = [...LEVELS, 'all'];
  const rows: SpecOrAll[] = [...SPECS, 'all'];
  const table = [['spec', ...columns], ...rows.map((spec) => [spec, ...columns.map((level) => tallyCell(report.tallies[spec][level], count))])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((text, i) => text.padEnd(widths[i])).join('  ').trimEnd());
}

/** The per-spec, per-level percentages `keelhaul coverage` ends with (and the README shows). */
export function renderSummary(report: CoverageReport): string {
  return [
    'Clauses covered by a scenario, a probe or a unit test of the reference:',
    ...matrix(report, (t) => t.covered),
    '',
    'Clauses covered by a scenario or a probe (what keelhaul verify checks on any implementation):',
    ...matrix(report, (t) => t.byVerify),
  ].join('\n');
}

/** The clause table as the CLI prints it: one line per clause, then one indented line per piece of evidence. */
export function renderClauseList(entries: readonly ClauseCoverage[]): string {
  const idWidth = Math.max(0, ...entries.map((entry) => entry.clause.id.length));
  const levelWidth = Math.max(...LEVELS.map((level) => level.length));
  return entries
    .flatMap((entry) => {
      const head = `${entry.clause.id.padEnd(idWidth)}  ${entry.clause.level.padEnd(levelWidth)}`;
      if (entry.evidence.length === 0) return [`${head}  ${NOT_COVERED}`];
      const [first, ...rest] = entry.evidence.map(describeEvidence);
      return [`${head}  ${first}`, ...rest.map((line) => `${' '.repeat(idWidth + levelWidth + 4)}${line}`)];
    })
    .join('\n');
}

/** The gaps, as `--uncovered` prints them: id, level, section and the rule. */
export function renderUncovered(entries: readonly ClauseCoverage[]): string {
  const gaps = entries.filter((entry) => entry.evidence.length === 0);
  if (gaps.length === 0) return 'Every clause is covered.';
  return gaps.map((entry) => `${entry.clause.id} (${entry.clause.level}, ${entry.clause.section}): ${entry.clause.text}`).join('\n');
}
