import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogEntry } from '../../reference/replication/log-entry';
import type { RaftMessage } from '../../reference/replication/messages';
import { RaftDriver, type PersistBatch, type RaftHost } from '../../reference/replication/raft-driver';
import { RaftNode } from '../../reference/replication/raft-node';
import { bootSnapshot } from '../../reference/replication/snapshot';

/** A host whose syncs finish when the test says, recording the order of everything it is asked to do. */
class ScriptedHost implements RaftHost {
  readonly journal: string[] = [];
  readonly applied: LogEntry[] = [];
  private syncs: { resolve: () => void; reject: (error: Error) => void }[] = [];

  persist(batch: PersistBatch): Promise<void> {
    this.journal.push(`persist${batch.hardState ? ' hard' : ''}${batch.log ? ` log@${batch.log.from}x${batch.log.entries.length}` : ''}`);
    return new Promise((resolve, reject) => this.syncs.push({ resolve, reject }));
  }

  send(messages: readonly RaftMessage[]): void {
    this.journal.push(`send ${messages.map((m) => m.type).join(',')}`);
  }

  apply(_snapshot: unknown, committed: readonly LogEntry[]): void {
    this.journal.push(`apply ${committed.map((entry) => entry.index).join(',')}`);
    this.applied.push(...committed);
  }

  get pendingSyncs(): number {
    return this.syncs.length;
  }

  async finishSync(error?: Error): Promise<void> {
    const sync = this.syncs.shift();
    assert.ok(sync, 'no sync in progress');
    if (error === undefined) sync.resolve();
    else sync.reject(error);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function singleVoter(): RaftNode {
  return new RaftNode({ id: 'n1', electionTimeoutMs: 100, heartbeatIntervalMs: 20, random: () => 0 }, { hardState: { term: 0, votedFor: null }, snapshot: bootSnapshot(['n1']), entries: [] });
}

function threeVoters(): RaftNode {
  return new RaftNode({ id: 'n1', electionTimeoutMs: 100, heartbeatIntervalMs: 20, random: () => 0 }, { hardState: { term: 0, votedFor: null }, snapshot: bootSnapshot(['n1', 'n2', 'n3']), entries: [] });
}

async function elect(driver: RaftDriver, host: ScriptedHost): Promise<void> {
  await driver.tick(0);
  const elected = driver.tick(200);
  await new Promise((resolve) => setImmediate(resolve));
  await host.finishSync();
  await elected;
}

describe('raft driver', () => {
  test('messages leave only after the batch they depend on is synced', async () => {
    const host = new ScriptedHost();
    const driver = new RaftDriver(threeVoters(), host);
    await driver.tick(0);
    await driver.tick(200); // pre-vote: no state changes, messages go at once
    assert.deepEqual(host.journal, ['send pre-vote,pre-vote']);
    const granted = driver.step({ type: 'pre-vote-response', from: 'n2', to: 'n1', term: 1, granted: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(host.journal.slice(1), ['persist hard'], 'the vote for itself is being synced; no vote request has left');
    await host.finishSync();
    await granted;
    assert.deepEqual(host.journal.slice(1), ['persist hard', 'send vote,vote']);
  });

  test("a leader's appends leave while its batch syncs; an answer to them waits for the sync; a commit already durable is applied before it", async () => {
    const host = new ScriptedHost();
    const node = threeVoters();
    const driver = new RaftDriver(node, host);
    await driver.tick(0);
    await driver.tick(200);
    const voted = driver.step({ type: 'pre-vote-response', from: 'n2', to: 'n1', term: 1, granted: true });
    await new Promise((resolve) => setImmediate(resolve));
    await host.finishSync();
    await voted;
    const elected = driver.step({ type: 'vote-response', from: 'n2', to: 'n1', term: 1, granted: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(node.leadership().role, 'leader');
    assert.deepEqual(host.journal.slice(-2), ['send append,append', 'persist log@1x1'], 'the no-op goes to the followers before it is durable here');
    const answered = driver.step({ type: 'append-response', from: 'n2', to: 'n1', term: 1, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
    const proposed = driver.submit((n) => n.propose(Buffer.from('a')));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(node.commit(), 0, "n2's answer is not fed while the entry is still being made durable here");
    await host.finishSync();
    await elected;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(node.commit(), 1);
    // To n2 only: n3 never answered, so it is still probed (by the heartbeat), not streamed to.
    assert.deepEqual(host.journal.slice(-3), ['send append', 'apply 1', 'persist log@2x1'], 'the new entry is sent and the commit applied while the next sync runs');
    await host.finishSync();
    await Promise.all([answered, proposed]);
  });

  test('inputs that arrive during a sync wait, then share one sync (group commit)', async () => {
    const host = new ScriptedHost();
    const node = singleVoter();
    const driver = new RaftDriver(node, host);
    await elect(driver, host);
    const first = driver.submit((n) => n.propose(Buffer.from('a')));
    await new Promise((resolve) => setImmediate(resolve));
    const second = driver.submit((n) => n.propose(Buffer.from('b')));
    const third = driver.submit((n) => n.propose(Buffer.from('c')));
    assert.equal(host.pendingSyncs, 1);
    await host.finishSync();
    const a = await first;
    assert.ok(a.ok);
    assert.equal(host.pendingSyncs, 1, 'b and c in one sync');
    assert.match(host.journal[host.journal.length - 1]!, /^persist log@\d+x2$/);
    await host.finishSync();
    const [b, c] = await Promise.all([second, third]);
    assert.ok(b.ok && c.ok);
    assert.deepEqual(host.applied.filter((entry) => entry.payload.kind === 'command').map((entry) => entry.index), [a.index, b.index, c.index]);
  });

  test('a failed sync stops the driver: the inputs of that batch and every later one reject with the cause', async () => {
    const host = new ScriptedHost();
    const driver = new RaftDriver(singleVoter(), host);
    await elect(driver, host);
    const lost = driver.submit((n) => n.propose(Buffer.from('a')));
    await new Promise((resolve) => setImmediate(resolve));
    const queued = driver.submit((n) => n.propose(Buffer.from('b')));
    const checks = [
      assert.rejects(lost, /raft driver stopped: persisting failed \(EIO: disk gone\); restart the node from its disk/),
      assert.rejects(queued, /EIO: disk gone/),
    ];
    await host.finishSync(new Error('EIO: disk gone'));
    await Promise.all(checks);
    await assert.rejects(driver.tick(1_000), /EIO: disk gone/);
    assert.equal(driver.failed?.message, 'EIO: disk gone');
    assert.ok(!host.journal.some((line) => line.startsWith('apply') && line.includes(',')), 'nothing applied from the failed batch');
  });

  test('an input the node refuses rejects alone; the driver goes on', async () => {
    const host = new ScriptedHost();
    const driver = new RaftDriver(singleVoter(), host);
    await assert.rejects(driver.step({ type: 'vote', from: 'n2', to: 'n9', term: 1, lastIndex: 0, lastTerm: 0 }), /message for n9 stepped into n1/);
    await driver.tick(0);
    assert.equal(driver.failed, null);
  });
});
