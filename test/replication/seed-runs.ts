import { simulate, type SimOptions, type SimResult, type SimStats } from './sim/sim-cluster';

/**
 * Runs a simulation over a range of seeds. `RAFT_SEED=<n>` replays one seed only;
 * `RAFT_SEEDS=<factor>` scales the number of seeds (e.g. 10 for a long soak).
 */
export interface SeedRun {
  results: SimResult[];
  totals: SimStats & { committed: number; elections: number };
  maxRecoveryMs: number;
}

export function seedCount(base: number): number {
  const factor = Number(process.env.RAFT_SEEDS ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

export function seedsToRun(base: number): number[] {
  const only = process.env.RAFT_SEED;
  if (only !== undefined && only !== '') return [Number(only)];
  return Array.from({ length: seedCount(base) }, (_, i) => i + 1);
}

export function runSeeds(options: Omit<SimOptions, 'seed'>, seeds: readonly number[]): SeedRun {
  const results = seeds.map((seed) => simulate({ ...options, seed }));
  const totals = { crashes: 0, freezes: 0, partitions: 0, changesAppended: 0, changesAborted: 0, changesRolledBack: 0, snapshotsInstalled: 0, readsConfirmed: 0, crashesBeforeDurable: 0, committed: 0, elections: 0 };
  for (const result of results) {
    for (const key of Object.keys(result.stats) as (keyof SimStats)[]) totals[key] += result.stats[key];
    totals.committed += result.committed;
    totals.elections += result.elections;
  }
  return { results, totals, maxRecoveryMs: Math.max(0, ...results.map((result) => result.recoveryMs ?? 0)) };
}

/** The line a failure prints: the seed, what broke, and how to replay it. */
export function describeFailure(name: string, options: Omit<SimOptions, 'seed'>, result: SimResult): string {
  const violation = result.violation!;
  return (
    `${name}: seed ${result.seed} broke ${violation.invariant} at ${violation.atMs} ms: ${violation.detail}\n` +
    `  replay: RAFT_SEED=${result.seed} node --test dist/test/replication/ (options ${JSON.stringify(options)})`
  );
}
