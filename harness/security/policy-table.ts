import type { PrincipalRights } from '../history/event';

const COLUMNS = ['principal', 'register', 'call', 'publish', 'subscribe', 'subscriberIds'] as const;

/**
 * A feature's entitlement table (one row per principal; columns `principal`, and any of `register`,
 * `call`, `publish`, `subscribe`, `subscriberIds`, each a comma-separated list of names or patterns;
 * an empty cell or `-` grants nothing) as the rights RunSecurity.grant takes. A column it does not
 * know, or a row without a principal, is an error naming it.
 */
export function parsePolicyTable(rows: readonly Record<string, string>[]): Record<string, PrincipalRights> {
  const table: Record<string, PrincipalRights> = {};
  for (const [index, row] of rows.entries()) {
    const unknown = Object.keys(row).filter((column) => !(COLUMNS as readonly string[]).includes(column));
    if (unknown.length > 0) throw new Error(`policy table: unknown column(s) ${unknown.join(', ')} (known: ${COLUMNS.join(', ')})`);
    const principal = row.principal?.trim() ?? '';
    if (principal === '') throw new Error(`policy table row ${index + 1}: no principal`);
    const rights: PrincipalRights = {};
    for (const column of COLUMNS.slice(1)) {
      const names = (row[column] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '' && name !== '-');
      if (names.length > 0) rights[column as Exclude<(typeof COLUMNS)[number], 'principal'>] = names;
    }
    table[principal] = rights;
  }
  return table;
}
