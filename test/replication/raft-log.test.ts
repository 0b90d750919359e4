import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogEntry } from '../../reference/replication/log-entry';
import { applyChange, inverseChange } from '../../reference/replication/log-entry';
import { RaftLog } from '../../reference/replication/raft-log';
import { bootSnapshot } from '../../reference/replication/snapshot';

const command = (index: number, term: number): LogEntry => ({ index, term, payload: { kind: 'command', data: Buffer.from(`c${index}`) } });
const change = (index: number, term: number, voters: string[]): LogEntry => ({
  index,
  term,
  payload: { kind: 'membership', change: { type: 'add', node: voters[voters.length - 1]! }, voters },
});

describe('raft log', () => {
  test('terms by index around the snapshot and the end', () => {
    const log = new RaftLog(bootSnapshot(['a']), [command(1, 1), command(2, 1), command(3, 2)]);
    assert.equal(log.lastIndex(), 3);
    assert.equal(log.lastTerm(), 2);
    assert.equal(log.termAt(0), 0);
    assert.equal(log.termAt(3), 2);
    assert.equal(log.termAt(4), undefined);
    assert.equal(log.firstIndexOfTermAt(2, 1), 1);
    assert.equal(log.firstIndexOfTermAt(3, 1), 3);
  });

  test('entries that are not contiguous after the snapshot are refused with the index at fault', () => {
    assert.throws(() => new RaftLog(bootSnapshot(['a']), [command(2, 1)]), /entry 0 has index 2/);
    const log = new RaftLog(bootSnapshot(['a']), []);
    assert.throws(() => log.append([command(3, 1)]), /append at 3 after last index 0/);
  });

  test('the configuration is the last membership entry held, and truncating it reverts to the one before', () => {
    const log = new RaftLog(bootSnapshot(['a', 'b', 'c']), [command(1, 1), change(2, 1, ['a', 'b', 'c', 'd']), command(3, 1)]);
    assert.deepEqual(log.voters(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(log.votersBefore(2), ['a', 'b', 'c']);
    assert.equal(log.lastConfigIndex(), 2);
    log.truncateFrom(2);
    assert.deepEqual(log.voters(), ['a', 'b', 'c']);
    assert.equal(log.lastConfigIndex(), 0);
  });

  test('compaction keeps the suffix and the configuration in effect at the cut', () => {
    const log = new RaftLog(bootSnapshot(['a', 'b', 'c']), [command(1, 1), change(2, 1, ['a', 'b', 'c', 'd']), command(3, 2)]);
    log.compact({ index: 2, term: 1, voters: log.votersBefore(3), data: Buffer.from('image') });
    assert.equal(log.termAt(1), undefined);
    assert.equal(log.termAt(2), 1);
    assert.deepEqual(log.voters(), ['a', 'b', 'c', 'd']);
    assert.throws(() => log.slice(1, 3), /compacted/);
    assert.throws(() => log.truncateFrom(2), /compacted up to 2/);
  });

  test("a leader's snapshot keeps the suffix only when the log holds the snapshot's last entry", () => {
    const matching = new RaftLog(bootSnapshot(['a']), [command(1, 1), command(2, 1), command(3, 1)]);
    assert.equal(matching.install({ index: 2, term: 1, voters: ['a'], data: Buffer.alloc(0) }), true);
    assert.equal(matching.lastIndex(), 3);
    const diverged = new RaftLog(bootSnapshot(['a']), [command(1, 1), command(2, 1), command(3, 1)]);
    assert.equal(diverged.install({ index: 2, term: 2, voters: ['a'], data: Buffer.alloc(0) }), false);
    assert.equal(diverged.lastIndex(), 2);
    assert.equal(diverged.termAt(3), undefined);
  });

  test('one-server changes: refusals name the reason; the inverse undoes the change', () => {
    assert.deepEqual(applyChange(['a', 'b'], { type: 'add', node: 'c' }), ['a', 'b', 'c']);
    assert.deepEqual(applyChange(['a', 'b'], { type: 'add', node: 'a' }), { refused: 'a is already a voter' });
    assert.deepEqual(applyChange(['a', 'b'], { type: 'remove', node: 'c' }), { refused: 'c is not a voter' });
    assert.deepEqual(applyChange(['a'], { type: 'remove', node: 'a' }), { refused: 'a is the last voter' });
    const add = { type: 'add', node: 'c' } as const;
    assert.deepEqual(applyChange(applyChange(['a', 'b'], add) as string[], inverseChange(add)), ['a', 'b']);
  });
});
