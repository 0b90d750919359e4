import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ddmin, partition, type Oracle } from '../../harness/shrink/ddmin';
import { reproduces, type ReproductionRule, type RunOutcome } from '../../harness/shrink/reproduction';
import { prng } from '../support/prng';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A failure that needs every one of `culprits`: the usual shape of "these faults together break it". */
function needsAll(culprits: readonly number[]): Oracle<number> & { calls: string[] } {
  const calls: string[] = [];
  const oracle = async (subset: readonly number[]) => {
    calls.push(subset.join(','));
    return culprits.every((c) => subset.includes(c));
  };
  return Object.assign(oracle, { calls });
}

describe('partition', () => {
  test('cuts a list into n runs of nearly equal length, in order, none empty', () => {
    assert.deepEqual(partition(range(7), 3), [[0, 1], [2, 3], [4, 5, 6]]);
    assert.deepEqual(partition(range(2), 4), [[0], [1]]);
    assert.deepEqual(partition(range(20), 2).map((p) => p.length), [10, 10]);
  });
});

describe('ddmin with an exact oracle', () => {
  test('one culprit among 20 is found alone, proven 1-minimal, in far fewer trials than one per subset', async () => {
    const oracle = needsAll([13]);
    const result = await ddmin(range(20), oracle, { maxTrials: 100 });
    assert.deepEqual(result.minimal, [13]);
    assert.equal(result.ended, 'minimal');
    assert.ok(result.trials <= 12, `${result.trials} trials`);
    assert.equal(result.trials, oracle.calls.length);
  });

  test('the empty subset is tried first: a failure that needs no fault ends the search at once', async () => {
    const oracle = needsAll([]);
    const result = await ddmin(range(20), oracle, { maxTrials: 100 });
    assert.deepEqual(result.minimal, []);
    assert.equal(result.trials, 1);
    assert.deepEqual(oracle.calls, ['']);
  });

  test('for any set of culprits, the result is exactly that set (random cases, seeded)', async () => {
    const random = prng(22);
    for (let case_ = 0; case_ < 200; case_++) {
      const size = 1 + Math.floor(random() * 25);
      const count = 1 + Math.floor(random() * Math.min(4, size));
      const culprits = [...new Set(Array.from({ length: count }, () => Math.floor(random() * size)))].sort((a, b) => a - b);
      const oracle = needsAll(culprits);
      const result = await ddmin(range(size), oracle, { maxTrials: 1000 });
      assert.deepEqual(result.minimal, culprits, `case ${case_}: ${size} items, culprits ${culprits}`);
      assert.equal(result.ended, 'minimal');
      assert.equal(new Set(oracle.calls).size, oracle.calls.length, `case ${case_}: a subset was run twice`);
    }
  });

  test('elements that are equal stay distinct: subsets are positions, not values', async () => {
    const items = ['crash broker', 'crash broker', 'freeze worker-1', 'crash broker'];
    let calls = 0;
    const result = await ddmin(items, async (subset) => (calls++, subset.filter((item) => item === 'crash broker').length >= 2), { maxTrials: 50 });
    assert.deepEqual(result.minimal, ['crash broker', 'crash broker']);
    assert.equal(result.trials, calls);
  });

  test('the trial cap ends the search with the smallest subset seen to reproduce', async () => {
    const oracle = needsAll([3]);
    const result = await ddmin(range(20), oracle, { maxTrials: 3 });
    assert.equal(result.ended, 'max-trials');
    assert.equal(result.trials, 3);
    assert.ok(result.minimal.includes(3) && result.minimal.length < 20, `minimal ${result.minimal}`);
    const reproducing = await needsAll([3])(result.minimal);
    assert.ok(reproducing, 'what is returned reproduces');
  });

  test('asked to stop, it stops before the next trial and returns what reproduced so far', async () => {
    let stop = false;
    let calls = 0;
    const result = await ddmin(range(16), async (subset) => ((calls += 1), (stop = calls === 2), subset.includes(9)), { maxTrials: 100, shouldStop: () => stop });
    assert.equal(result.ended, 'stopped');
    assert.equal(calls, 2);
    assert.ok(result.minimal.includes(9));
  });
});

describe('ddmin with a flaky oracle, counted k of m (reproduces)', () => {
  /**
   * A storm-like oracle: a candidate holding the culprit FAILs a run with probability `power`, one
   * without it FAILs anyway with probability `falseAlarm` (another, rarer bug), and some runs are
   * INCONCLUSIVE. One run per candidate is then easily fooled both ways.
   */
  function flaky(culprit: number, random: () => number, power: number, falseAlarm: number): (subset: readonly number[]) => RunOutcome {
    return (subset) => {
      if (random() < 0.05) return 'INCONCLUSIVE';
      const fails = subset.includes(culprit) ? random() < power : random() < falseAlarm;
      return fails ? 'FAIL' : 'PASS';
    };
  }

  async function shrinkRate(rule: ReproductionRule, seeds: number): Promise<number> {
    let exact = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const random = prng(seed);
      const run = flaky(11, random, 0.8, 0.15);
      const result = await ddmin(range(16), async (subset) => (await reproduces(async () => run(subset), rule)).reproduced, { maxTrials: 200 });
      if (result.minimal.length === 1 && result.minimal[0] === 11) exact += 1;
    }
    return exact / seeds;
  }

  test('2 of 3 finds the one culprit far more often than 1 of 1, which a single lucky or unlucky run misleads', async () => {
    const once = await shrinkRate({ runs: 1, needs: 1 }, 200);
    const twoOfThree = await shrinkRate({ runs: 3, needs: 2 }, 200);
    assert.ok(twoOfThree >= 0.6, `2 of 3: ${twoOfThree}`);
    assert.ok(twoOfThree > once + 0.15, `2 of 3: ${twoOfThree}, 1 of 1: ${once}`);
  });

  test('a candidate counts only with k FAILs: INCONCLUSIVE and ERROR runs are not FAILs, and runs stop once the answer is settled', async () => {
    const sequence = (outcomes: RunOutcome[]) => {
      let i = 0;
      return async () => outcomes[i++];
    };
    assert.deepEqual(await reproduces(sequence(['FAIL', 'FAIL', 'PASS']), { runs: 3, needs: 2 }), { reproduced: true, outcomes: ['FAIL', 'FAIL'] });
    assert.deepEqual(await reproduces(sequence(['PASS', 'INCONCLUSIVE', 'FAIL']), { runs: 3, needs: 2 }), { reproduced: false, outcomes: ['PASS', 'INCONCLUSIVE'] });
    assert.deepEqual(await reproduces(sequence(['FAIL', 'ERROR', 'FAIL']), { runs: 3, needs: 2 }), { reproduced: true, outcomes: ['FAIL', 'ERROR', 'FAIL'] });
    assert.deepEqual(await reproduces(sequence(['INCONCLUSIVE', 'INCONCLUSIVE', 'INCONCLUSIVE']), { runs: 3, needs: 1 }), { reproduced: false, outcomes: ['INCONCLUSIVE', 'INCONCLUSIVE', 'INCONCLUSIVE'] });
    assert.deepEqual(await reproduces(sequence(['FAIL']), { runs: 1, needs: 1 }), { reproduced: true, outcomes: ['FAIL'] });
  });

  test('asked to stop, no further run starts and the candidate does not count', async () => {
    let runs = 0;
    const result = await reproduces(async () => ((runs += 1), 'FAIL'), { runs: 3, needs: 2 }, () => runs >= 1);
    assert.deepEqual(result, { reproduced: false, outcomes: ['FAIL'] });
  });
});
