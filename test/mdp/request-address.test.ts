import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestAddresses } from '../../reference/mdp/request-address';

describe('RequestAddresses', () => {
  test('every address is 0x00 and 16 bytes, and no two of 10,000 (40 pool refills) are the same', () => {
    const addresses = new RequestAddresses();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const address = addresses.next();
      assert.equal(address.length, 17);
      assert.equal(address[0], 0);
      seen.add(address.toString('hex'));
    }
    assert.equal(seen.size, 10_000);
  });

  test('an address keeps its bytes when the pool is refilled (a copy, not a view of the pool)', () => {
    const addresses = new RequestAddresses();
    const first = addresses.next();
    const kept = Buffer.from(first);
    for (let i = 0; i < 1_000; i++) addresses.next();
    assert.deepEqual(first, kept);
  });

  test('the random bytes are not constant across addresses (the pool is filled, not left zeroed)', () => {
    const addresses = new RequestAddresses();
    const tails = new Set<string>();
    for (let i = 0; i < 300; i++) tails.add(addresses.next().subarray(1, 3).toString('hex'));
    // 300 draws of 2 random bytes: fewer than 250 distinct values would be astronomically unlikely.
    assert.ok(tails.size > 250, `only ${tails.size} distinct 2-byte prefixes`);
  });
});
