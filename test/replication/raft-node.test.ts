import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppendRequest } from '../../reference/replication/messages';
import { RaftNode } from '../../reference/replication/raft-node';
import type { MembershipEvent } from '../../reference/replication/ready';
import { bootSnapshot } from '../../reference/replication/snapshot';
import { ELECTION_MS, LockstepCluster } from './lockstep-cluster';

const THREE = ['n1', 'n2', 'n3'];

function propose(cluster: LockstepCluster, leader: string, text: string): number {
  const result = cluster.node(leader).propose(Buffer.from(text));
  assert.ok(result.ok, `propose refused: ${JSON.stringify(result)}`);
  cluster.flush(leader);
  cluster.deliverAll();
  return result.index;
}

describe('raft node', () => {
  test('a single voter elects itself and commits in the Ready that persists the entry', () => {
    const cluster = new LockstepCluster(['n1']);
    assert.equal(cluster.electLeader(), 'n1');
    const result = cluster.node('n1').propose(Buffer.from('x'));
    assert.ok(result.ok);
    const ready = cluster.flush('n1');
    assert.deepEqual(ready.log?.entries.map((entry) => entry.index), [result.index]);
    assert.deepEqual(ready.committed.map((entry) => entry.index), [result.index]);
  });

  test('three voters elect one leader and every one applies its proposals in order', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    for (const text of ['a', 'b', 'c']) propose(cluster, leader, text);
    cluster.advance(50);
    for (const id of THREE) assert.deepEqual(cluster.commands(id), ['a', 'b', 'c'], id);
    const follower = THREE.find((id) => id !== leader)!;
    assert.deepEqual(cluster.node(follower).propose(Buffer.from('d')), { ok: false, reason: 'not the leader', leader });
  });

  test('a vote is handed over for persistence in the same Ready as the answer that grants it', () => {
    const cluster = new LockstepCluster(THREE);
    cluster.electLeader();
    const grant = cluster.readies.find(({ ready }) => ready.messages.some((m) => m.type === 'vote-response' && m.granted));
    assert.ok(grant);
    const answer = grant.ready.messages.find((m) => m.type === 'vote-response')!;
    assert.equal(grant.ready.hardState?.votedFor, answer.to);
    assert.equal(grant.ready.hardState?.term, answer.term);
  });

  test('pre-vote: a partitioned follower does not raise its term, and its return does not depose the leader', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    const { term } = cluster.node(leader).leadership();
    const loner = THREE.find((id) => id !== leader)!;
    cluster.cut.add(loner);
    cluster.advance(10 * ELECTION_MS);
    assert.equal(cluster.node(loner).leadership().term, term, 'pre-vote kept the term');
    cluster.cut.delete(loner);
    cluster.advance(5 * ELECTION_MS);
    assert.deepEqual(cluster.node(leader).leadership(), { role: 'leader', term, leader });
  });

  test('fencing: a cut-off leader steps down within an election timeout and confirms no read; on return it learns the new term', () => {
    const cluster = new LockstepCluster(THREE);
    const old = cluster.electLeader();
    const oldTerm = cluster.node(old).leadership().term;
    cluster.cut.add(old);
    assert.equal(cluster.node(old).readIndex('r1'), true);
    cluster.advance(2 * ELECTION_MS + 10);
    assert.equal(cluster.node(old).leadership().role, 'follower', 'check quorum deposed it');
    assert.equal(cluster.readies.filter(({ node, ready }) => node === old && ready.reads.length > 0).length, 0);
    const fresh = cluster.electLeader();
    assert.notEqual(fresh, old);
    cluster.cut.delete(old);
    cluster.advance(3 * ELECTION_MS);
    assert.ok(cluster.node(old).leadership().term > oldTerm);
    assert.equal(cluster.node(old).leadership().leader, fresh);
  });

  test('a leader frozen past the election timeout and resumed is not a second leader: nothing it proposes or reads is confirmed', () => {
    const cluster = new LockstepCluster(THREE);
    const old = cluster.electLeader();
    cluster.cut.add(old);
    cluster.frozen.add(old);
    const fresh = cluster.electLeader();
    assert.notEqual(fresh, old);
    propose(cluster, fresh, 'from-new-leader');
    cluster.cut.delete(old);
    cluster.frozen.delete(old);
    // Resumed, it still believes it leads: it takes a proposal and a read before hearing anyone.
    assert.equal(cluster.node(old).leadership().role, 'leader');
    const stale = cluster.node(old).propose(Buffer.from('from-stale-leader'));
    assert.ok(stale.ok);
    assert.equal(cluster.node(old).readIndex('stale-read'), true);
    cluster.readies.length = 0;
    cluster.flush(old);
    cluster.deliverAll();
    cluster.advance(3 * ELECTION_MS);
    assert.equal(cluster.node(old).leadership().role, 'follower');
    assert.equal(cluster.node(old).leadership().leader, fresh);
    assert.deepEqual(cluster.readies.flatMap(({ ready }) => ready.reads), [], 'the stale read was never confirmed');
    for (const id of THREE) {
      assert.ok(!cluster.commands(id).includes('from-stale-leader'), `${id} applied the stale proposal`);
      assert.ok(cluster.commands(id).includes('from-new-leader'), id);
    }
  });

  test('a stale leader message is refused with the higher term, which is what deposes its sender', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    const follower = THREE.find((id) => id !== leader)!;
    const term = cluster.node(follower).leadership().term;
    const stale: AppendRequest = { type: 'append', from: 'n9', to: follower, term: term - 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, round: 1 };
    cluster.node(follower).step(stale);
    const [answer] = cluster.node(follower).takeReady().messages;
    assert.deepEqual(answer, { type: 'append-response', from: follower, to: 'n9', term, success: false, matchIndex: 0, conflictIndex: 0, round: 1 });
  });

  test('read index: the leader confirms after a majority answers a later heartbeat; a follower refuses', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    const index = propose(cluster, leader, 'a');
    assert.equal(cluster.node(leader).readIndex('r1'), true);
    const asked = cluster.flush(leader);
    assert.deepEqual(asked.reads, [], 'not before a round trip');
    cluster.deliverAll();
    const reads = cluster.readies.filter(({ node }) => node === leader).flatMap(({ ready }) => ready.reads);
    assert.deepEqual(reads, [{ requestId: 'r1', index, term: cluster.node(leader).leadership().term }]);
    assert.equal(cluster.node(THREE.find((id) => id !== leader)!).readIndex('r2'), false);
  });

  test('§5.4.2: an entry of an earlier term on a majority is not committed until one of the current term is', () => {
    const disk = { hardState: { term: 2, votedFor: null }, snapshot: bootSnapshot(THREE) };
    const old = { index: 1, term: 2, payload: { kind: 'command' as const, data: Buffer.from('old') } };
    const leader = new RaftNode({ id: 'n1', electionTimeoutMs: ELECTION_MS, heartbeatIntervalMs: 20, random: () => 0 }, { ...disk, entries: [old] });
    leader.tick(0);
    leader.tick(ELECTION_MS);
    for (const type of ['pre-vote-response', 'vote-response'] as const) {
      const term = leader.leadership().term + (type === 'pre-vote-response' ? 1 : 0);
      leader.takeReady();
      leader.step({ type, from: 'n2', to: 'n1', term, granted: true });
    }
    assert.equal(leader.leadership().role, 'leader');
    const term = leader.leadership().term;
    leader.step({ type: 'append-response', from: 'n2', to: 'n1', term, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
    assert.equal(leader.commit(), 0, 'index 1 (term 2) is on n1 and n2, but is not of term 3');
    leader.step({ type: 'append-response', from: 'n2', to: 'n1', term, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
    assert.equal(leader.commit(), 2);
  });

  test('conflict back-off: a follower with a long divergent suffix converges in one round per term', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    const loner = THREE.find((id) => id !== leader)!;
    cluster.cut.add(leader);
    // The cut leader keeps appending entries of its term that nobody will ever commit.
    for (let i = 0; i < 30; i += 1) cluster.node(leader).propose(Buffer.from(`lost-${i}`));
    cluster.flush(leader);
    const fresh = cluster.electLeader();
    for (const text of ['x', 'y']) propose(cluster, fresh, text);
    cluster.cut.delete(leader);
    cluster.readies.length = 0;
    cluster.advance(3 * ELECTION_MS);
    const rejections = cluster.readies.flatMap(({ ready }) => ready.messages).filter((m) => m.type === 'append-response' && !m.success && m.from === leader);
    assert.ok(rejections.length <= 4, `${rejections.length} rejections`);
    for (const id of THREE) assert.deepEqual(cluster.commands(id).slice(-2), ['x', 'y'], id);
    assert.ok(!cluster.commands(leader).some((text) => text.startsWith('lost-')));
    assert.deepEqual(cluster.commands(loner), cluster.commands(fresh));
  });

  test('a follower behind the compacted log is sent the snapshot, persists it and drops its own log', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    const lagging = THREE.find((id) => id !== leader)!;
    cluster.cut.add(lagging);
    for (const text of ['a', 'b', 'c']) propose(cluster, leader, text);
    const applied = cluster.applied.get(leader)!.length;
    const snapshot = cluster.node(leader).compact(applied, Buffer.from('image-abc'));
    cluster.cut.delete(lagging);
    cluster.advance(3 * ELECTION_MS);
    const installed = cluster.readies.find(({ node, ready }) => node === lagging && ready.snapshot !== undefined);
    assert.ok(installed, 'snapshot installed');
    assert.equal(installed.ready.snapshot!.data.toString(), 'image-abc');
    assert.equal(installed.ready.log?.from, snapshot.index + 1);
    assert.equal(cluster.node(lagging).commit(), cluster.node(leader).commit());
  });

  test('a restarted node remembers its term and vote and does not vote twice in one term', () => {
    const cluster = new LockstepCluster(THREE);
    cluster.electLeader();
    const voter = THREE.find((id) => cluster.disks.get(id)!.load().hardState.votedFor !== null && cluster.node(id).leadership().role !== 'leader')!;
    const { term, votedFor } = cluster.disks.get(voter)!.load().hardState;
    const node = cluster.start(voter);
    assert.equal(node.leadership().term, term);
    const other = THREE.find((id) => id !== voter && id !== votedFor)!;
    node.tick(cluster.now + 10 * ELECTION_MS);
    node.takeReady();
    node.step({ type: 'vote', from: other, to: voter, term: node.leadership().term, lastIndex: 99, lastTerm: 99 });
    const answer = node.takeReady().messages.find((m) => m.type === 'vote-response');
    assert.equal(node.leadership().term, term, 'pre-vote left the term alone');
    assert.ok(answer !== undefined && 'granted' in answer);
    assert.equal(answer.granted, false);
  });

  test('replicate: an answered follower is sent each new entry once, several appends in flight within the window; a lost append falls back to probing', () => {
    const cluster = new LockstepCluster(THREE, { maxEntriesPerAppend: 4, maxInflightEntries: 8 });
    const leader = cluster.electLeader();
    const follower = THREE.find((id) => id !== leader)!;
    const start = cluster.node(leader).lastIndex();
    cluster.readies.length = 0;
    // Six batches and no answer delivered: the follower's appends chain on each other (each starts where the last ended).
    for (let i = 0; i < 6; i += 1) {
      assert.ok(cluster.node(leader).propose(Buffer.from(`p${i}`)).ok);
      cluster.flush(leader);
    }
    const appends = (): AppendRequest[] => cluster.pending().filter((m): m is AppendRequest => m.type === 'append' && m.to === follower);
    assert.deepEqual(appends().map((m) => [m.prevIndex, m.entries.map((entry) => entry.index)]), [0, 1, 2, 3, 4, 5].map((i) => [start + i, [start + i + 1]]));
    // Ten more in one batch: what the 8-entry window has room for, in appends of at most 4.
    for (let i = 6; i < 16; i += 1) cluster.node(leader).propose(Buffer.from(`p${i}`));
    cluster.flush(leader);
    const sent = appends().flatMap((m) => m.entries.map((entry) => entry.index));
    assert.deepEqual(sent, Array.from({ length: 8 }, (_, i) => start + i + 1), 'each entry sent once, none past the window');
    assert.ok(appends().every((m) => m.entries.length <= 4));
    cluster.deliverAll();
    assert.equal(cluster.commands(leader).length, 16, 'the answers opened the window for the rest');
    cluster.advance(50); // the followers learn the last commit index from the heartbeat
    for (const id of THREE) assert.equal(cluster.commands(id).length, 16, id);
    // Appends lost in flight: the next one does not fit the follower's log, it refuses, the leader probes from its hint.
    cluster.node(leader).propose(Buffer.from('lost'));
    cluster.flush(leader);
    cluster.dropPending();
    propose(cluster, leader, 'after');
    cluster.advance(ELECTION_MS);
    for (const id of THREE) assert.deepEqual(cluster.commands(id).slice(-2), ['lost', 'after'], id);
  });

  test('the commit index a leader sends is capped at its own durable log (its appends may leave before their Ready is durable)', () => {
    const cluster = new LockstepCluster(['n1'], {}, ['n2']);
    cluster.electLeader();
    const leader = cluster.node('n1');
    assert.deepEqual(leader.proposeChange({ type: 'add', node: 'n2' }), { ok: true });
    cluster.flush('n1');
    cluster.dropPending();
    const durable = leader.lastIndex();
    const result = leader.propose(Buffer.from('x'));
    assert.ok(result.ok);
    assert.equal(leader.commit(), result.index, 'a single voter commits at once');
    leader.readIndex('r');
    const ready = cluster.flush('n1');
    const toLearner = ready.messages.filter((m): m is AppendRequest => m.type === 'append' && m.to === 'n2');
    assert.ok(toLearner.length > 0);
    for (const m of toLearner) assert.equal(m.commit, durable, 'not the index still being made durable');
    cluster.advance(2 * ELECTION_MS);
    assert.deepEqual(cluster.commands('n2'), ['x'], 'the next append carries it');
  });

  test('bad input: options and misaddressed messages get precise errors', () => {
    const persisted = { hardState: { term: 0, votedFor: null }, snapshot: bootSnapshot(['a']), entries: [] };
    assert.throws(() => new RaftNode({ id: 'a', electionTimeoutMs: 100, heartbeatIntervalMs: 100, random: Math.random }, persisted), /heartbeatIntervalMs \(100\) must be below electionTimeoutMs \(100\)/);
    assert.throws(() => new RaftNode({ id: '', electionTimeoutMs: 100, heartbeatIntervalMs: 10, random: Math.random }, persisted), /id must not be empty/);
    const node = new RaftNode({ id: 'a', electionTimeoutMs: 100, heartbeatIntervalMs: 10, random: Math.random }, persisted);
    assert.throws(() => node.step({ type: 'vote', from: 'b', to: 'c', term: 1, lastIndex: 0, lastTerm: 0 }), /message for c stepped into a/);
    node.tick(50);
    assert.throws(() => node.tick(10), /back in time/);
    assert.throws(() => node.compact(5, Buffer.alloc(0)), /only 0 applied/);
  });
});

describe('raft membership', () => {
  const events = (cluster: LockstepCluster): MembershipEvent[] => cluster.readies.flatMap(({ ready }) => ready.membership);

  test('add: the newcomer catches up as a learner, then the change is appended, committed and in effect everywhere', () => {
    const cluster = new LockstepCluster(THREE, {}, ['n4']);
    const leader = cluster.electLeader();
    propose(cluster, leader, 'a');
    assert.deepEqual(cluster.node(leader).proposeChange({ type: 'add', node: 'n4' }), { ok: true });
    assert.equal(cluster.node(leader).proposeChange({ type: 'remove', node: 'n2' }).ok, false, 'one change at a time');
    cluster.flush(leader);
    cluster.advance(3 * ELECTION_MS);
    assert.deepEqual(events(cluster).map((event) => event.outcome), ['appended']);
    for (const id of [...THREE, 'n4']) assert.deepEqual(cluster.node(id).voters(), ['n1', 'n2', 'n3', 'n4'], id);
    assert.deepEqual(cluster.commands('n4'), ['a']);
  });

  test('a newcomer that never answers is dropped within the catch-up bound, and nothing was appended', () => {
    const cluster = new LockstepCluster(THREE, { catchUpTimeoutMs: 3 * ELECTION_MS }, ['n4']);
    const leader = cluster.electLeader();
    cluster.cut.add('n4');
    assert.equal(cluster.node(leader).proposeChange({ type: 'add', node: 'n4' }).ok, true);
    cluster.advance(4 * ELECTION_MS);
    const [event] = events(cluster);
    assert.equal(event?.outcome, 'aborted');
    assert.deepEqual(cluster.node(leader).voters(), THREE);
    assert.equal(cluster.node(leader).proposeChange({ type: 'remove', node: 'n3' }).ok, true, 'the next change is accepted');
  });

  test('a change that cannot commit (newcomer and an old member die mid-change) is rolled back within the bound', () => {
    const cluster = new LockstepCluster(THREE, { changeTimeoutMs: 3 * ELECTION_MS }, ['n4']);
    const leader = cluster.electLeader();
    const other = THREE.find((id) => id !== leader)!;
    cluster.onReady = (_node, ready) => {
      // The moment the add is in effect, the newcomer dies, and so does one old member: 2 of 4 left.
      if (ready.membership.some((event) => event.outcome === 'appended')) {
        cluster.cut.add('n4');
        cluster.cut.add(other);
      }
    };
    assert.equal(cluster.node(leader).proposeChange({ type: 'add', node: 'n4' }).ok, true);
    cluster.flush(leader);
    cluster.advance(5 * ELECTION_MS);
    assert.deepEqual(events(cluster).map((event) => event.outcome), ['appended', 'rolled-back']);
    assert.deepEqual(cluster.node(leader).voters(), THREE);
    assert.equal(cluster.node(leader).leadership().role, 'leader');
    const index = propose(cluster, leader, 'after');
    assert.ok(cluster.node(leader).commit() >= index, 'the old majority commits again');
  });

  test('replace a dead member: add the newcomer first (3 of 4 alive commit it), then remove the dead one', () => {
    const cluster = new LockstepCluster(THREE, {}, ['n4']);
    const leader = cluster.electLeader();
    const dead = THREE.find((id) => id !== leader)!;
    cluster.cut.add(dead);
    assert.equal(cluster.node(leader).proposeChange({ type: 'add', node: 'n4' }).ok, true);
    cluster.flush(leader);
    cluster.advance(3 * ELECTION_MS);
    assert.equal(cluster.node(leader).commit(), cluster.node(leader).lastIndex(), 'the add committed without the dead member');
    assert.equal(cluster.node(leader).proposeChange({ type: 'remove', node: dead }).ok, true);
    cluster.flush(leader);
    cluster.advance(3 * ELECTION_MS);
    const survivors = THREE.filter((id) => id !== dead).concat('n4').sort();
    for (const id of survivors) assert.deepEqual(cluster.node(id).voters(), survivors, id);
    assert.deepEqual(events(cluster).map((event) => `${event.outcome} ${event.change.type} ${event.change.node}`), ['appended add n4', `appended remove ${dead}`]);
    const index = propose(cluster, leader, 'after');
    assert.ok(cluster.node(leader).commit() >= index);
  });

  test('a leader that removes itself leads until the removal commits, then steps down for good', () => {
    const cluster = new LockstepCluster(THREE);
    const leader = cluster.electLeader();
    propose(cluster, leader, 'a');
    const result = cluster.node(leader).proposeChange({ type: 'remove', node: leader });
    assert.ok(result.ok && result.index !== undefined);
    cluster.flush(leader);
    cluster.deliverAll();
    assert.equal(cluster.node(leader).leadership().role, 'follower');
    const rest = THREE.filter((id) => id !== leader);
    for (const id of rest) assert.deepEqual(cluster.node(id).voters(), rest);
    cluster.advance(5 * ELECTION_MS);
    const next = cluster.leaders();
    assert.equal(next.length, 1);
    assert.notEqual(next[0], leader);
    propose(cluster, next[0]!, 'b');
    assert.equal(cluster.node(leader).leadership().role, 'follower', 'a removed node never campaigns');
  });

  test('a change is refused before the new leader has committed an entry of its term', () => {
    const cluster = new LockstepCluster(THREE);
    const old = cluster.electLeader();
    let refusal: unknown;
    let fresh: string | undefined;
    cluster.onReady = (id, ready) => {
      if (fresh !== undefined || id === old || ready.leadership.role !== 'leader') return;
      fresh = id;
      refusal = cluster.node(id).proposeChange({ type: 'remove', node: old });
    };
    cluster.cut.add(old);
    cluster.advance(4 * ELECTION_MS);
    assert.ok(fresh !== undefined);
    assert.deepEqual(refusal, { ok: false, reason: 'the leader has not yet committed an entry of its term', leader: fresh });
    assert.equal(cluster.node(fresh).proposeChange({ type: 'remove', node: old }).ok, true, 'accepted once its first entry committed');
  });
});
