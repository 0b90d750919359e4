import type { RegistryRules } from './anomaly-check';

/** A Markdown table cell: a `|` inside would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** `| name | definition |`, one row per entry in report order, from each entry's `describe`. */
export function renderAnomalyTable(system: RegistryRules): string {
  return ['| name | definition |', '|------|------------|', ...system.checks.map((entry) => `| \`${entry.name}\` | ${cell(entry.describe)} |`)].join('\n');
}

type Ruling = 'forbidden' | 'allowed' | 'undecided';

/**
 * `| anomaly | <profile> ... |`: what each profile of the ladder rules on each anomaly. Anomalies with
 * the same rulings share a row (in order of first appearance); an anomaly a fault can excuse gets a
 * row for findings with no excusing cause and one for those explained by an excusing cause, the
 * second allowed everywhere.
 */
export function renderProfileTable(system: RegistryRules): string {
  const rows = new Map<string, { labels: string[]; rulings: Ruling[] }>();
  const addRow = (label: string, rulings: Ruling[], own: boolean): void => {
    const key = own ? `own:${label}` : rulings.join(',');
    const row = rows.get(key);
    if (row === undefined) rows.set(key, { labels: [label], rulings });
    else row.labels.push(label);
  };
  for (const entry of system.checks) {
    const rulings = system.profiles.map((profile): Ruling => (!entry.forbiddenBy.includes(profile) ? 'allowed' : entry.undecided === true ? 'undecided' : 'forbidden'));
    if (entry.explained === undefined) {
      addRow(`\`${entry.name}\``, rulings, false);
    } else {
      const excusing = entry.explained.excusingCauses.map((cause) => `\`${cause}\``).join(', ');
      addRow(`\`${entry.name}\` (unexplained, or any other cause)`, rulings, true);
      addRow(`\`${entry.name}\` (explained by ${excusing})`, system.profiles.map((): Ruling => 'allowed'), true);
    }
  }
  const headers = system.profiles.map((profile) => `\`${profile}\``);
  return [
    `| anomaly | ${headers.join(' | ')} |`,
    `|---------|${headers.map((header) => `:${'-'.repeat(header.length)}:`).join('|')}|`,
    ...[...rows.values()].map((row) => `| ${row.labels.join(', ')} | ${row.rulings.join(' | ')} |`),
  ].join('\n');
}
