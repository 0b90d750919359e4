import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simplify } from '../../harness/shrink/simplify';
import { checkReproductionRule } from '../../harness/shrink/reproduction';

describe('simplify (greedy, over parameters)', () => {
  const simpler = (n: number) => [Math.floor(n / 2), n - 1].filter((m) => m >= 0);

  test('walks down to the least value that still reproduces, trying no candidate twice', async () => {
    const tried: number[] = [];
    const result = await simplify(100, simpler, async (n) => (tried.push(n), n >= 13), { maxTrials: 100 });
    assert.equal(result.simplest, 13);
    assert.equal(result.ended, 'minimal');
    assert.equal(new Set(tried).size, tried.length);
    assert.equal(result.trials, tried.length);
  });

  test('stops at the trial cap with the simplest value that reproduced', async () => {
    const result = await simplify(100, simpler, async (n) => n >= 13, { maxTrials: 2 });
    assert.equal(result.ended, 'max-trials');
    assert.equal(result.simplest, 25);
  });

  test('nothing simpler reproduces: the start stays', async () => {
    const result = await simplify(100, simpler, async () => false, { maxTrials: 10 });
    assert.deepEqual(result, { simplest: 100, trials: 2, ended: 'minimal' });
  });
});

describe('--runs / --needs', () => {
  test('k of m: 1 ≤ k ≤ m ≤ 20, each mistake named', () => {
    assert.deepEqual(checkReproductionRule({ runs: 3, needs: 2 }), { runs: 3, needs: 2 });
    assert.throws(() => checkReproductionRule({ runs: 2, needs: 3 }), /--needs 3 is more than --runs 2/);
    assert.throws(() => checkReproductionRule({ runs: 0, needs: 1 }), /--runs is a whole number from 1 to 20/);
    assert.throws(() => checkReproductionRule({ runs: 21, needs: 1 }), /--runs/);
    assert.throws(() => checkReproductionRule({ runs: 3, needs: 0 }), /--needs is a whole number/);
  });
});
