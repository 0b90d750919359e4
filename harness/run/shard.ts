/**
 * `--shard i/n` (and KEELHAUL_SHARD): one of n parts of a run's selected scenarios, for splitting a
 * run across CI machines.
 *
 * The split itself is cucumber-js's own `--shard` (added in 12.2; docs/sharding.md there): after tag, name and path
 * filtering, the i-th shard takes the selected scenarios at positions i-1, i-1+n, i-1+2n... of the
 * run's order (feature files sorted by path, scenarios in file order). So it is deterministic (every
 * machine with the same features and selection computes the same parts), each scenario is in exactly
 * one shard, and shards differ by at most one scenario. Balanced by count, not by duration: the
 * round robin spreads a feature's slow scenarios over the shards rather than handing one shard a
 * whole slow feature. Cucumber's own option accepts any text and silently runs nothing for a bad
 * one (0/2, 3/2, abc), so the value is checked here first.
 */
export interface Shard {
  /** 1-based: 1 to total. */
  index: number;
  total: number;
}

export const SHARD_ENV = 'KEELHAUL_SHARD';

/** More parts than this is surely a typo (a CI matrix of a hundred machines for a few dozen scenarios). */
export const MAX_SHARDS = 100;

/** `i/n`, both whole numbers, 1 <= i <= n <= MAX_SHARDS; the error says which rule the text broke. */
export function parseShard(text: string): Shard {
  const trimmed = text.trim();
  const match = /^(\d+)\/(\d+)$/.exec(trimmed);
  if (!match) throw new Error(`a shard is written i/n (the i-th of n parts, e.g. 1/2), not "${text}"`);
  const index = Number(match[1]);
  const total = Number(match[2]);
  if (total < 1 || total > MAX_SHARDS) throw new Error(`a shard's n (the number of parts) is from 1 to ${MAX_SHARDS}, not ${total} in "${text}"`);
  if (index < 1 || index > total) throw new Error(`a shard's i counts from 1 to n (here 1 to ${total}), not ${index} in "${text}"`);
  return { index, total };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.total}`;
}

/** KEELHAUL_SHARD, checked; undefined when unset or empty (the whole selection). */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  const text = env[SHARD_ENV]?.trim();
  if (!text) return undefined;
  try {
    return parseShard(text);
  } catch (error) {
    throw new Error(`${SHARD_ENV}: ${(error as Error).message}`);
  }
}

/** The items of `shard`, the same round robin cucumber-js's --shard applies to the selected scenarios. */
export function itemsOfShard<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, position) => position % shard.total === shard.index - 1);
}
