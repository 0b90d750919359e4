import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFaultsHit } from '../../harness/checker/common/ineffective-fault';
import type { FaultEffect, NemesisEvent } from '../../harness/history/event';
import { planCutBack, testedAnything, unsyncedEffect } from '../../harness/nemesis/power-loss/cut-back';
import { bytesWritten, parseLedger, replayLedger } from '../../harness/nemesis/power-loss/ledger';

/** The power-loss ledger's reader and the cut-back plan, on ledgers written by hand. */

const ledger = (...lines: string[]): string => lines.map((line) => `${line.replace(/ /g, '\t')}\n`).join('');
const replay = (...lines: string[]) => replayLedger(parseLedger(ledger(...lines)));
const sizes = (table: Record<string, number>) => (file: string) => table[file];
const whole = { torn: false, random: () => 0.5 };

describe('parseLedger', () => {
  test('every kind the library writes, paths decoded', () => {
    const text = ledger('O /s/a 3', 'C /s/b%20c', 'W /s/a 3 4 0', 'W /s/b%20c 0 2 1', 'S /s/a 7', 'D /s', 'T /s/a 5', 'R /s/x /s/y -', 'R /s/y /s/z /s/b/1', 'U /s/z', 'A');
    assert.deepEqual(parseLedger(text), [
      { kind: 'open', path: '/s/a', size: 3 },
      { kind: 'create', path: '/s/b c' },
      { kind: 'write', path: '/s/a', offset: 3, length: 4, synced: false },
      { kind: 'write', path: '/s/b c', offset: 0, length: 2, synced: true },
      { kind: 'sync', path: '/s/a', size: 7 },
      { kind: 'sync-dir', dir: '/s' },
      { kind: 'truncate', path: '/s/a', length: 5 },
      { kind: 'rename', from: '/s/x', to: '/s/y' },
      { kind: 'rename', from: '/s/y', to: '/s/z', replaced: '/s/b/1' },
      { kind: 'unlink', path: '/s/z' },
      { kind: 'sync-all' },
    ]);
  });

  test('a last line without its newline is torn and skipped', () => {
    assert.deepEqual(parseLedger('C\t/s/a\nW\t/s/a\t0\t3'), [{ kind: 'create', path: '/s/a' }]);
  });

  test('a malformed line is an error that names it', () => {
    assert.throws(() => parseLedger('W\t/s/a\t0\n'), /ledger line 1 has 2 field\(s\), expected 4: "W\\t\/s\/a\\t0"/);
    assert.throws(() => parseLedger('C\t/s/a\nX\t/s/a\n'), /ledger line 2 starts with an unknown kind "X"/);
    assert.throws(() => parseLedger('W\t/s/a\tten\t3\t0\n'), /has "ten" where a byte count belongs/);
    assert.throws(() => parseLedger('C\trelative\n'), /where an absolute path belongs/);
  });
});

describe('replayLedger and planCutBack', () => {
  test('a write after the last fsync is cut back to the synced length', () => {
    const files = replay('O /s/j 0', 'W /s/j 0 5 0', 'S /s/j 5', 'W /s/j 5 6 0');
    const steps = planCutBack(files, sizes({ '/s/j': 11 }), whole);
    assert.deepEqual(steps, [{ action: 'truncate', path: '/s/j', keep: 5, dropped: 6 }]);
    assert.deepEqual(unsyncedEffect(steps, '/s', 11), { files: { j: 6 }, bytes: 6, written: 11 });
  });

  test('writes through an O_DSYNC descriptor are durable as they return', () => {
    const files = replay('O /s/j 0', 'W /s/j 0 7 1', 'W /s/j 7 3 1');
    assert.deepEqual(planCutBack(files, sizes({ '/s/j': 10 }), whole), []);
  });

  test('a file created and never made durable by its folder\'s fsync is removed, even if the file itself was synced', () => {
    const files = replay('C /s/new', 'W /s/new 0 8 0', 'S /s/new 8');
    const steps = planCutBack(files, sizes({ '/s/new': 8 }), whole);
    assert.deepEqual(steps, [{ action: 'remove', path: '/s/new', dropped: 8 }]);
    const effect = unsyncedEffect(steps, '/s', 8);
    assert.deepEqual(effect, { files: { new: 8 }, bytes: 8, written: 8, removed: ['new'] });
    assert.equal(testedAnything(effect), true);
  });

  test("the folder's fsync makes a creation durable; its data still needs its own", () => {
    const files = replay('C /s/new', 'W /s/new 0 8 0', 'D /s');
    assert.deepEqual(planCutBack(files, sizes({ '/s/new': 8 }), whole), [{ action: 'truncate', path: '/s/new', keep: 0, dropped: 8 }]);
  });

  test('a rename without the folder\'s fsync is undone; with it, it stays', () => {
    const undone = replay('O /s/a 4', 'R /s/a /s/b -');
    assert.deepEqual(planCutBack(undone, sizes({ '/s/b': 4 }), whole), [{ action: 'rename-back', path: '/s/b', to: '/s/a' }]);
    const durable = replay('O /s/a 4', 'R /s/a /s/b -', 'D /s');
    assert.deepEqual(planCutBack(durable, sizes({ '/s/b': 4 }), whole), []);
  });

  test('a new file renamed over a journal without any fsync is removed (write-temp-rename without syncs)', () => {
    const files = replay('C /s/j.rewrite', 'W /s/j.rewrite 0 9 0', 'R /s/j.rewrite /s/j -');
    assert.deepEqual(planCutBack(files, sizes({ '/s/j': 9 }), whole), [{ action: 'remove', path: '/s/j', dropped: 9 }]);
  });

  test('write-temp-fsync-rename, cut before the folder\'s fsync: the new file goes and the one it replaced comes back', () => {
    const files = replay('C /s/j.rewrite', 'W /s/j.rewrite 0 9 0', 'S /s/j.rewrite 9', 'R /s/j.rewrite /s/j /k/1');
    const steps = planCutBack(files, sizes({ '/s/j': 9 }), whole);
    assert.deepEqual(steps, [
      { action: 'remove', path: '/s/j', dropped: 9 },
      { action: 'restore', path: '/s/j', from: '/k/1' },
    ]);
    assert.deepEqual(unsyncedEffect(steps, '/s', 9), { files: { j: 9 }, bytes: 9, written: 9, removed: ['j'], restored: ['j'] });
    // After the folder's fsync the rename is durable: nothing comes back, nothing goes.
    assert.deepEqual(planCutBack(replay('C /s/j.rewrite', 'W /s/j.rewrite 0 9 0', 'S /s/j.rewrite 9', 'R /s/j.rewrite /s/j /k/1', 'D /s'), sizes({ '/s/j': 9 }), whole), []);
  });

  test('torn: every earlier write kept, and part of the last one (at least a byte, never all)', () => {
    const files = replay('O /s/j 0', 'S /s/j 0', 'W /s/j 0 4 0', 'W /s/j 4 10 0');
    const low = planCutBack(files, sizes({ '/s/j': 14 }), { torn: true, random: () => 0 });
    assert.deepEqual(low, [{ action: 'truncate', path: '/s/j', keep: 5, dropped: 9 }]);
    const high = planCutBack(files, sizes({ '/s/j': 14 }), { torn: true, random: () => 0.9999 });
    assert.deepEqual(high, [{ action: 'truncate', path: '/s/j', keep: 13, dropped: 1 }]);
  });

  test('nothing undurable: no step; the cut tested the node if it wrote anything, and not if it wrote nothing', () => {
    const entries = parseLedger(ledger('O /s/j 3', 'W /s/j 3 2 0', 'S /s/j 5'));
    const steps = planCutBack(replayLedger(entries), sizes({ '/s/j': 5 }), whole);
    assert.deepEqual(steps, []);
    assert.equal(bytesWritten(entries), 2);
    assert.equal(testedAnything(unsyncedEffect(steps, '/s', bytesWritten(entries))), true);
    assert.equal(testedAnything(unsyncedEffect([], '/s', 0)), false);
  });

  test('sync() makes everything durable; a file gone since is skipped; a truncation lowers the durable length', () => {
    assert.deepEqual(planCutBack(replay('C /s/a', 'W /s/a 0 3 0', 'A'), sizes({ '/s/a': 3 }), whole), []);
    assert.deepEqual(planCutBack(replay('C /s/a', 'W /s/a 0 3 0'), sizes({}), whole), []);
    const files = replay('O /s/a 10', 'T /s/a 2', 'W /s/a 2 5 0');
    assert.deepEqual(planCutBack(files, sizes({ '/s/a': 7 }), whole), [{ action: 'truncate', path: '/s/a', keep: 2, dropped: 5 }]);
  });

  test('an unlinked file is forgotten', () => {
    assert.deepEqual(planCutBack(replay('C /s/a', 'U /s/a'), sizes({ '/s/a': 3 }), whole), []);
  });
});

describe('a power cut judged by ineffective-fault', () => {
  const end = (unsynced: NonNullable<FaultEffect['unsynced']>, hit: boolean): NemesisEvent => ({ type: 'nemesis', phase: 'end', id: 'lose-unsynced-writes-1', fault: 'lose-unsynced-writes', targets: ['broker'], effect: { unsynced, hit }, t: 10 });

  test('a node that wrote nothing under its state folder was not tested', () => {
    const [finding] = checkFaultsHit([end({ files: {}, bytes: 0, written: 0, reached: true }, false)]);
    assert.match(finding?.detail ?? '', /fault lose-unsynced-writes on broker had nothing to destroy: the node wrote nothing under its state folder since the last power cut: it tested nothing/);
  });

  test('a node the ledger library did not reach was not tested', () => {
    const [finding] = checkFaultsHit([end({ files: {}, bytes: 0, written: 0, reached: false }, false)]);
    assert.match(finding?.detail ?? '', /did not reach the node: the power-loss ledger library was not loaded in all of its processes/);
  });

  test('writes that all proved durable are a test passed, not an ineffective fault', () => {
    assert.deepEqual(checkFaultsHit([end({ files: {}, bytes: 0, written: 408, reached: true }, true)]), []);
  });
});
