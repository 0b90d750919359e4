import { partOf } from '../../harness/history/partitioned-history';

/** The smallest number of parts that puts the keys of each group in parts of their own: so a test's anomaly is only seen across parts. */
export function partsSeparating(groups: readonly (readonly string[])[]): number {
  for (let parts = 2; parts < 200; parts++) {
    if (groups.every((group) => new Set(group.map((key) => partOf(key, parts))).size === group.length)) return parts;
  }
  throw new Error('no number of parts below 200 separates the keys');
}
