import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatShard, itemsOfShard, MAX_SHARDS, parseShard, shardFromEnv } from '../../harness/run/shard';
import { runSplit, splitArgs } from '../../harness/cli/run-split';

describe('--shard i/n', () => {
  test('i/n is read as the i-th of n parts, spaces and leading zeros allowed', () => {
    assert.deepEqual(parseShard('1/2'), { index: 1, total: 2 });
    assert.deepEqual(parseShard(' 02/03 '), { index: 2, total: 3 });
    assert.deepEqual(parseShard('1/1'), { index: 1, total: 1 });
    assert.equal(formatShard(parseShard('007/9')), '7/9');
  });

  test('a bad value says which rule it breaks', () => {
    assert.throws(() => parseShard('0/2'), /^Error: a shard's i counts from 1 to n \(here 1 to 2\), not 0 in "0\/2"$/);
    assert.throws(() => parseShard('3/2'), /^Error: a shard's i counts from 1 to n \(here 1 to 2\), not 3 in "3\/2"$/);
    assert.throws(() => parseShard('abc'), /^Error: a shard is written i\/n \(the i-th of n parts, e.g. 1\/2\), not "abc"$/);
    assert.throws(() => parseShard('1/0'), /n \(the number of parts\) is from 1 to 100, not 0/);
    assert.throws(() => parseShard(`1/${MAX_SHARDS + 1}`), /n \(the number of parts\) is from 1 to 100, not 101/);
    for (const text of ['', '1', '1/', '/2', '-1/2', '1.5/2', '1/2/3', '1 / 2']) assert.throws(() => parseShard(text), /a shard is written i\/n/, text);
  });

  test('KEELHAUL_SHARD: unset or empty is the whole run; a bad one names the variable', () => {
    assert.equal(shardFromEnv({}), undefined);
    assert.equal(shardFromEnv({ KEELHAUL_SHARD: '  ' }), undefined);
    assert.deepEqual(shardFromEnv({ KEELHAUL_SHARD: '2/4' }), { index: 2, total: 4 });
    assert.throws(() => shardFromEnv({ KEELHAUL_SHARD: '5/4' }), /^Error: KEELHAUL_SHARD: a shard's i counts from 1 to n/);
  });

  test("the parts (cucumber-js's round robin) hold every item exactly once and differ by at most one", () => {
    const items = Array.from({ length: 37 }, (_, i) => `scenario ${i}`);
    for (const total of [1, 2, 3, 5, 36, 37, 40]) {
      const parts = Array.from({ length: total }, (_, i) => itemsOfShard(items, { index: i + 1, total }));
      assert.deepEqual(parts.flat().sort(), [...items].sort(), `${total} parts cover the items once`);
      const sizes = parts.map((part) => part.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${total} parts: sizes ${sizes.join(', ')}`);
    }
    assert.deepEqual(itemsOfShard(['a', 'b', 'c', 'd', 'e'], { index: 2, total: 2 }), ['b', 'd']);
  });
});

describe('a run split (--shard, --parallel, their variables)', () => {
  test('options win over the variables; parallel 1 is no split', () => {
    assert.deepEqual(runSplit({}, {}), {});
    assert.deepEqual(runSplit({ parallel: 1 }, {}), {});
    assert.deepEqual(runSplit({}, { KEELHAUL_SHARD: '1/3', KEELHAUL_PARALLEL: '2' }), { shard: '1/3', parallel: 2 });
    assert.deepEqual(runSplit({ shard: { index: 2, total: 2 }, parallel: 3 }, { KEELHAUL_SHARD: '1/3', KEELHAUL_PARALLEL: '2' }), { shard: '2/2', parallel: 3 });
    assert.deepEqual(splitArgs({ shard: '2/2', parallel: 3 }), ['--shard', '2/2'], 'a replay repeats the shard, not the parallelism');
  });

  test('bad variables and a shared external fault proxy under --parallel are refused, saying why', () => {
    assert.throws(() => runSplit({}, { KEELHAUL_PARALLEL: '0' }), /^Error: KEELHAUL_PARALLEL: --parallel is a whole number from 1 to 64/);
    assert.throws(() => runSplit({}, { KEELHAUL_SHARD: 'x' }), /^Error: KEELHAUL_SHARD: a shard is written i\/n/);
    assert.throws(() => runSplit({ parallel: 2 }, { TOXIPROXY_URL: 'http://127.0.0.1:8474' }), /--parallel 2 with TOXIPROXY_URL: .*unset TOXIPROXY_URL/);
    assert.deepEqual(runSplit({ parallel: 1 }, { TOXIPROXY_URL: 'http://127.0.0.1:8474' }), {}, 'one scenario at a time may share it');
  });
});
