import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimOptions } from './sim/sim-cluster';
import { describeFailure, runSeeds, seedsToRun } from './seed-runs';

/**
 * Thousands of seeded runs of the real RaftNode under a lossy, duplicating, reordering network with
 * crashes, freezes, partitions and membership changes; every invariant is checked after every event,
 * and after the heal a leader must have a proposal applied on every member within the bound.
 */
const SUITES: { name: string; seeds: number; options: Omit<SimOptions, 'seed'> }[] = [
  { name: '3 voters, mixed faults', seeds: 800, options: { voters: 3 } },
  { name: '5 voters, mixed faults', seeds: 300, options: { voters: 5 } },
  { name: '3 voters and 2 spares, membership changes under faults', seeds: 600, options: { voters: 3, spares: 2, membership: true } },
  { name: '5 voters, crash loop', seeds: 300, options: { voters: 5, nemesis: 'crash-loop' } },
  { name: '5 voters, 2 down for good after the faults', seeds: 200, options: { voters: 5, minorityStaysDown: true } },
  {
    name: '3 voters and 3 spares, membership changes on a bad network (20% drops, 10% duplicates, 40 ms delays)',
    seeds: 150,
    options: { voters: 3, spares: 3, membership: true, network: { dropRate: 0.2, duplicateRate: 0.1, minDelayMs: 1, maxDelayMs: 40, straggleRate: 0.1 } },
  },
];

describe('raft under simulation', () => {
  for (const suite of SUITES) {
    test(`${suite.name}: safety after every event, liveness after the heal`, () => {
      const seeds = seedsToRun(suite.seeds);
      const run = runSeeds(suite.options, seeds);
      const failures = run.results.filter((result) => result.violation !== null);
      assert.equal(failures.length, 0, failures.slice(0, 3).map((result) => describeFailure(suite.name, suite.options, result)).join('\n'));
      // Not vacuous: the faults and features the suite is named for happened (not asked of a one-seed replay).
      if (seeds.length > 20) {
        assert.ok(run.totals.committed > seeds.length * 10, `only ${run.totals.committed} entries committed`);
        assert.ok(run.totals.crashes > 0 && run.totals.readsConfirmed > 0 && run.totals.elections >= seeds.length, JSON.stringify(run.totals));
        assert.ok(run.totals.snapshotsInstalled > 0, 'no snapshot was ever installed');
        assert.ok(run.totals.crashesBeforeDurable > 0, 'no leader crashed between its early appends and its persist');
        if (suite.options.nemesis !== 'crash-loop') assert.ok(run.totals.partitions > 0 && run.totals.freezes > 0, JSON.stringify(run.totals));
        if (suite.options.membership === true) {
          assert.ok(run.totals.changesAppended > 0 && run.totals.changesAborted > 0 && run.totals.changesRolledBack > 0, JSON.stringify(run.totals));
        }
      }
      const bound = 30 * 100;
      assert.ok(run.maxRecoveryMs <= bound, `recovery took ${run.maxRecoveryMs} ms`);
      console.log(`# ${suite.name}: ${seeds.length} seeds, ${JSON.stringify(run.totals)}, slowest recovery ${run.maxRecoveryMs} ms`);
    });
  }
});
