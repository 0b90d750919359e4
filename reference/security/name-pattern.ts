/**
 * A policy's name pattern: an exact name, `prefix*` (every name that starts with the prefix) or `*`
 * (every name). A `*` anywhere but at the end is not a pattern the policy schema accepts.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** True when any of `patterns` matches `name`. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, name));
}
