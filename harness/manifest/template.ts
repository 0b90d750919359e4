import { SECURITY_PLACEHOLDERS } from '../systems/node-security';
import { securityPosition } from '../systems/role';
import { ROLE_DECLARATIONS, type ImplementationRole as Role } from '../implementation/roles';

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

const COMMON = ['name', 'heartbeatInterval', 'heartbeatLiveness', 'clientTimeout', 'clientAttempts', 'backoffInitial', 'backoffMax', 'requestExpiry', 'resultGrace'] as const;

/** The placeholders each role's command and environment may use (docs/manifest.md explains each), from the role tables. */
export const PLACEHOLDERS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  ROLE_DECLARATIONS.map((declaration) => [declaration.role, [...COMMON, ...SECURITY_PLACEHOLDERS[securityPosition(declaration)], ...declaration.placeholders]]),
);

/** Placeholder names in `text` that `role` does not know, e.g. a typo such as {{brokr}}. */
export function unknownPlaceholders(text: string, role: Role): string[] {
  const known = new Set(PLACEHOLDERS[role]);
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]).filter((name) => !known.has(name));
}

/** Half-open braces are almost certainly a typo for a placeholder, so they are refused, not passed on. */
export function strayBraces(text: string): boolean {
  return /\{\{|\}\}/.test(text.replace(PLACEHOLDER, ''));
}

/** Fills in every placeholder; the manifest was checked, so an unknown one here is a harness bug. */
export function fillTemplate(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for placeholder {{${name}}}`);
    return String(value);
  });
}
