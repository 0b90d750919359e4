import type { ScenarioVerdict } from './verdict';

/**
 * Verdicts in the order one run of the features takes them: feature files by path, scenarios by line
 * (one without a line last in its feature). A run with --parallel finishes them in another order, and
 * merged shards come in parts: sorted this way, both read as one run's table.
 */
export function inRunOrder<T extends Pick<ScenarioVerdict, 'feature' | 'line'>>(verdicts: readonly T[]): T[] {
  return [...verdicts].sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : (a.line ?? Infinity) - (b.line ?? Infinity)));
}
