import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RAFT_DEFECTS, type RaftDefect } from '../../reference/replication/raft-defects';
import type { InvariantName } from './sim/invariants';
import { simulate, type SimOptions } from './sim/sim-cluster';
import { describeFailure } from './seed-runs';

/**
 * Each seeded defect of the core (raft-defects.ts) breaks a named invariant within a bounded number
 * of seeds, and the same seeds without it break nothing: the simulator can tell right from wrong.
 */
const CASES: { defect: RaftDefect; within: number; options: Omit<SimOptions, 'seed'>; breaks: InvariantName[] }[] = [
  { defect: 'commitWithMinority', within: 30, options: { voters: 3 }, breaks: ['state-machine-safety', 'leader-completeness', 'committed-lost'] },
  { defect: 'keepLeadingOnHigherTerm', within: 60, options: { voters: 3 }, breaks: ['election-safety', 'log-matching', 'stale-read'] },
  { defect: 'voteNotPersisted', within: 60, options: { voters: 5, nemesis: 'crash-loop' }, breaks: ['election-safety'] },
  { defect: 'readWithoutQuorum', within: 60, options: { voters: 3 }, breaks: ['stale-read'] },
];

describe('seeded raft defects are caught', () => {
  test('every defect of the core has its case here', () => {
    assert.deepEqual(CASES.map((c) => c.defect).sort(), [...RAFT_DEFECTS].sort());
  });

  for (const { defect, within, options, breaks } of CASES) {
    test(`${defect}: an invariant breaks within ${within} seeds, and not without the defect`, () => {
      let caught: { seed: number; invariant: InvariantName; detail: string; report: string } | undefined;
      for (let seed = 1; seed <= within && caught === undefined; seed += 1) {
        const result = simulate({ ...options, seed, defects: { [defect]: true } });
        const { violation } = result;
        if (violation !== null) caught = { seed, invariant: violation.invariant, detail: violation.detail, report: describeFailure(defect, options, result) };
      }
      assert.ok(caught !== undefined, `${defect} went unnoticed for ${within} seeds`);
      assert.ok(breaks.includes(caught.invariant), `${defect} broke ${caught.invariant}: ${caught.detail}`);
      assert.match(caught.report, new RegExp(`seed ${caught.seed} broke ${caught.invariant}[\\s\\S]*RAFT_SEED=${caught.seed} `), 'the failure names the seed that replays it');
      const control = simulate({ ...options, seed: caught.seed });
      assert.equal(control.violation, null, `seed ${caught.seed} without the defect: ${JSON.stringify(control.violation)}`);
      console.log(`# ${defect}: seed ${caught.seed} broke ${caught.invariant}: ${caught.detail}`);
    });
  }
});
