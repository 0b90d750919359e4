/** The smallest number of `voters` that forms a majority. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index that at least `needed` of `matches` have reached: sort descending and take the
 * `needed`-th. 0 when there are fewer matches than needed.
 */
export function quorumIndex(matches: readonly number[], needed: number): number {
  if (needed <= 0 || matches.length < needed) return 0;
  return [...matches].sort((a, b) => b - a)[needed - 1]!;
}
