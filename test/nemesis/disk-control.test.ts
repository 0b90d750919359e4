import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countersSince, decodeDiskCounters, DISK_CONTROL_BYTES, encodeDiskMode } from '../../harness/nemesis/power-loss/disk-control';
import { parseLedger, replayLedger } from '../../harness/nemesis/power-loss/ledger';

/** The disk-fault switch's layout (as unsynced.c maps it) and the ledger's failed-sync rule, without a process. */

const ledger = (...lines: string[]): string => lines.map((line) => `${line.replace(/ /g, '\t')}\n`).join('');
const durableOf = (file: string, ...lines: string[]) => replayLedger(parseLedger(ledger(...lines))).files.get(file)?.durable;

describe('the disk-fault switch', () => {
  test('each mode is the number unsynced.c knows, the short writes beside it, little-endian', () => {
    assert.deepEqual([...encodeDiskMode(undefined)], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...encodeDiskMode('disk-full', 2)], [1, 0, 0, 0, 2, 0, 0, 0]);
    assert.deepEqual([...encodeDiskMode('fsync-fails')].slice(0, 4), [2, 0, 0, 0]);
    assert.deepEqual([...encodeDiskMode('read-only')].slice(0, 4), [3, 0, 0, 0]);
  });

  test('a negative or fractional number of short writes is refused', () => {
    assert.throws(() => encodeDiskMode('disk-full', -1), /short writes must be a whole number/);
    assert.throws(() => encodeDiskMode('disk-full', 1.5), /short writes must be a whole number/);
  });

  test('counters read in the library order from byte 8; the difference between two readings keeps attached as it is', () => {
    const bytes = Buffer.alloc(DISK_CONTROL_BYTES);
    [2, 9, 4, 3, 1, 1, 1].forEach((value, index) => bytes.writeBigUInt64LE(BigInt(value), 8 + index * 8));
    const after = decodeDiskCounters(bytes);
    assert.deepEqual(after, { attached: 2, failedCalls: 9, writes: 4, syncs: 3, opens: 1, metadata: 1, shortWrites: 1 });
    const before = { attached: 1, failedCalls: 2, writes: 2, syncs: 0, opens: 0, metadata: 0, shortWrites: 0 };
    assert.deepEqual(countersSince(before, after), { attached: 2, failedCalls: 7, writes: 2, syncs: 3, opens: 1, metadata: 1, shortWrites: 1 });
  });

  test('a file too short to hold the counters is an error saying so', () => {
    assert.throws(() => decodeDiskCounters(Buffer.alloc(16)), /holds 64 bytes, got 16/);
  });
});

describe('a failed sync in the ledger (fsyncgate)', () => {
  test('E parses to sync-failed', () => {
    assert.deepEqual(parseLedger(ledger('E /s/j')), [{ kind: 'sync-failed', path: '/s/j' }]);
  });

  test('nothing past the durable length at the failure becomes durable, whatever later syncs and synced writes say', () => {
    assert.equal(durableOf('/s/j', 'C /s/j', 'D /s', 'W /s/j 0 10 1', 'W /s/j 10 5 0', 'E /s/j', 'W /s/j 15 5 1', 'S /s/j 20'), 10);
  });

  test('without a failure the same writes are durable to the end', () => {
    assert.equal(durableOf('/s/j', 'C /s/j', 'D /s', 'W /s/j 0 10 1', 'W /s/j 10 5 0', 'W /s/j 15 5 1', 'S /s/j 20'), 20);
  });

  test('a truncation below the failure lowers the cap with it', () => {
    assert.equal(durableOf('/s/j', 'O /s/j 10', 'E /s/j', 'T /s/j 4', 'W /s/j 4 6 1'), 4);
  });

  test('a file replaced by a rename leaves its failure behind: the new one is judged on its own syncs', () => {
    assert.equal(durableOf('/s/j', 'O /s/j 10', 'E /s/j', 'C /s/t', 'W /s/t 0 30 1', 'R /s/t /s/j -', 'D /s'), 30);
  });

  test('a failure on a file the ledger never met caps nothing', () => {
    assert.equal(durableOf('/s/j', 'E /s/j', 'W /s/j 0 5 1'), 5);
  });
});
