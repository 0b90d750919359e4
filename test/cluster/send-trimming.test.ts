import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppendPipeline } from '../../reference/cluster/append-pipeline';
import { SnapshotPacing } from '../../reference/cluster/snapshot-pacing';
import type { RaftMessage } from '../../reference/replication/messages';
import { bootSnapshot } from '../../reference/replication/snapshot';

/** An append from b1 to `to` in `term`, after `prevIndex`, with `count` entries: the first of term 1 (an earlier leader's), the rest of `term`. */
function append(to: string, term: number, prevIndex: number, count: number, round = 1): RaftMessage {
  return {
    type: 'append', from: 'b1', to, term, prevIndex, prevTerm: 1, commit: prevIndex, round,
    entries: Array.from({ length: count }, (_, n) => ({ index: prevIndex + 1 + n, term: n === 0 ? 1 : term, payload: { kind: 'noop' as const } })),
  };
}

const shape = (message: RaftMessage): [number, number, number[]] => {
  assert.equal(message.type, 'append');
  if (message.type !== 'append') throw new Error('not an append');
  return [message.prevIndex, message.prevTerm, message.entries.map((entry) => entry.index)];
};

describe('append pipeline: each append carries only what its peer was not sent', () => {
  it('trims a re-send from next to the new entries, with prevTerm from the last entry already sent', () => {
    const pipeline = new AppendPipeline();
    assert.deepEqual(shape(pipeline.trim([append('b2', 3, 4, 2)])[0]), [4, 1, [5, 6]]);
    // The core re-sends from next = 5 with two new entries: only 7 and 8 go, after 6 (term 3).
    assert.deepEqual(shape(pipeline.trim([append('b2', 3, 4, 4)])[0]), [6, 3, [7, 8]]);
  });

  it('turns a pure re-send into an empty append that still carries the commit index and the round', () => {
    const pipeline = new AppendPipeline();
    pipeline.trim([append('b2', 3, 4, 3)]);
    const [heartbeat] = pipeline.trim([{ ...append('b2', 3, 4, 3, 9), commit: 6 } as RaftMessage]);
    assert.deepEqual(shape(heartbeat), [7, 3, []]);
    assert.equal(heartbeat.type === 'append' && heartbeat.commit, 6);
    assert.equal(heartbeat.type === 'append' && heartbeat.round, 9);
  });

  it('sends whole again after the peer refused an append (something in flight was lost)', () => {
    const pipeline = new AppendPipeline();
    pipeline.trim([append('b2', 3, 4, 2)]);
    pipeline.heard({ type: 'append-response', from: 'b2', to: 'b1', term: 3, success: false, matchIndex: 0, conflictIndex: 5, round: 1 });
    assert.deepEqual(shape(pipeline.trim([append('b2', 3, 4, 3)])[0]), [4, 1, [5, 6, 7]]);
  });

  it('keeps peers apart, and starts over in a new term', () => {
    const pipeline = new AppendPipeline();
    pipeline.trim([append('b2', 3, 4, 2)]);
    assert.deepEqual(shape(pipeline.trim([append('b3', 3, 4, 2)])[0]), [4, 1, [5, 6]]);
    assert.deepEqual(shape(pipeline.trim([append('b2', 4, 4, 3)])[0]), [4, 1, [5, 6, 7]]);
  });

  it('leaves an append that starts at or beyond what was sent, and every other message, as they are', () => {
    const pipeline = new AppendPipeline();
    pipeline.trim([append('b2', 3, 4, 2)]);
    const later = append('b2', 3, 6, 1);
    const vote: RaftMessage = { type: 'vote-response', from: 'b1', to: 'b2', term: 3, granted: true };
    assert.deepEqual(pipeline.trim([later, vote]), [later, vote]);
  });
});

describe('snapshot pacing: one snapshot per lagging peer in flight', () => {
  const snapshot = (to: string, index: number): RaftMessage => ({ type: 'snapshot', from: 'b1', to, term: 2, snapshot: { ...bootSnapshot(['b1', 'b2', 'b3']), index, term: 2 }, round: 1 });

  it('drops a repeat of the same snapshot to the same peer within the interval, and sends it again after', () => {
    const pacing = new SnapshotPacing(1000);
    assert.equal(pacing.filter([snapshot('b2', 10)], 0).length, 1);
    assert.equal(pacing.filter([snapshot('b2', 10)], 999).length, 0);
    assert.equal(pacing.filter([snapshot('b2', 10)], 1000).length, 1);
  });

  it('sends a newer snapshot, or one to another peer, at once, and never drops anything else', () => {
    const pacing = new SnapshotPacing(1000);
    pacing.filter([snapshot('b2', 10)], 0);
    const kept = pacing.filter([snapshot('b2', 20), snapshot('b3', 10), append('b2', 2, 20, 1)], 5);
    assert.deepEqual(kept.map((message) => [message.type, message.to]), [['snapshot', 'b2'], ['snapshot', 'b3'], ['append', 'b2']]);
  });
});
