import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MajordomoClient } from '../../reference/client';
import type { MajordomoWorker } from '../../reference/worker';
import { decodeKhrJobReply, encodeClientRequest, encodeKhrJobRequest, KhxStatus } from '../../reference/mdp/codec';
import { RawMdpPeer, sleep } from '../reference/helpers';
import { countingWorker, TestCluster } from './cluster-processes';
import { TermFence } from '../../reference/cluster/term-fence';

/**
 * The reference broker in cluster mode (KHR/1), as real processes on real sockets: elections,
 * redirects, exactly-once across a leader's SIGKILL, and a frozen old leader that resumes deposed.
 */

/** Runs `jobs` calls, `parallel` at a time, each on its own client with every endpoint; resolves to each job's reply or error. */
async function submit(endpoints: string, jobs: string[], parallel: number): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  const queue = [...jobs];
  const lane = async (): Promise<void> => {
    const client = new MajordomoClient({ broker: endpoints, checkService: false, timeout: 700, attempts: 8, backoffInitial: 50, backoffMax: 300 });
    try {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        try {
          const reply = await client.request('echo', [Buffer.from(job)], { job });
          outcomes.set(job, `ok:${reply[0]?.toString()}`);
        } catch (error) {
          outcomes.set(job, `error:${(error as Error).message}`);
        }
      }
    } finally {
      client.close();
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return outcomes;
}

function jobIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, n) => `${prefix}-${n + 1}`);
}

function duplicates(executions: Map<string, number>): string[] {
  return [...executions].filter(([, runs]) => runs > 1).map(([job]) => job);
}

describe('reference broker cluster (KHR/1)', { timeout: 60_000 }, () => {
  const clusters: TestCluster[] = [];
  const workers: MajordomoWorker[] = [];
  // Each test's brokers and workers go when it ends: the next test has the machine's two cores to itself.
  afterEach(async () => {
    for (const worker of workers.splice(0)) worker.close();
    for (const cluster of clusters.splice(0)) await cluster.stop();
  });

  it('elects one leader, and a follower answers a KHRC01 job 307 with the leader endpoint and id, and mmi.khr with the term, the leader and the voters', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    const { broker: leader, status } = await cluster.leader();
    assert.equal(status.members.filter((member) => member.voter).length, 3);
    const follower = cluster.brokers.find((broker) => broker !== leader)!;
    const peer = new RawMdpPeer(follower.client);
    try {
      await peer.send(encodeKhrJobRequest('echo', 'redirected-1', [Buffer.from('x')]));
      const redirect = await peer.receive(2_000);
      assert.ok(redirect, 'the follower answers');
      const reply = decodeKhrJobReply(redirect);
      assert.equal(reply.status, KhxStatus.Redirect);
      // Revision 2: the leader's endpoint, then its node id (a peer's route to it).
      assert.deepEqual(reply.body.map(String), [leader.client, leader.id]);
      assert.ok(reply.term >= status.term, `the follower's term ${reply.term} is its own, at least the leader's ${status.term}`);
      await peer.send(encodeClientRequest('mmi.khr', [Buffer.from('KHR/1')]));
      const answer = await peer.receive(2_000);
      assert.ok(answer, 'the follower answers mmi.khr');
      // Revision 2 appends the leader's node id and the voters, each at its client endpoint.
      const members = [...cluster.brokers].sort((a, b) => a.id.localeCompare(b.id)).map((broker) => `${broker.id}=${broker.client}`).join(',');
      assert.deepEqual(answer.slice(3).map(String), ['200', String(status.term), leader.client, follower.id, leader.id, members]);
    } finally {
      peer.close();
    }
  });

  it('completes every job once through three endpoints, and after the leader is SIGKILLed mid-run every accepted job completes and none runs twice', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    const { broker: first, status } = await cluster.leader();
    const executions = new Map<string, number>();
    workers.push(countingWorker(cluster.endpoints, executions));
    const warmUp = await submit(cluster.endpoints, jobIds('warm', 10), 2);
    assert.deepEqual([...warmUp.values()].filter((outcome) => !outcome.startsWith('ok:')), [], 'before any fault every job succeeds');
    const jobs = jobIds('kill', 60);
    const running = submit(cluster.endpoints, jobs, 4);
    await sleep(250);
    cluster.kill(first);
    const { status: second } = await cluster.leader({ except: first, aboveTerm: status.term });
    const outcomes = await running;
    const failed = [...outcomes].filter(([, outcome]) => !outcome.startsWith('ok:'));
    assert.deepEqual(failed, [], 'every call ends ok: each was accepted by a leader or retried until one accepted it');
    for (const job of jobs) assert.equal(outcomes.get(job), `ok:${job}`);
    assert.deepEqual(duplicates(executions), [], 'no job ran twice');
    assert.ok(second.term > status.term);
    // The killed broker restarts from its data dir and rejoins as a follower with the committed log.
    cluster.launch(first);
    const deadline = Date.now() + 5_000;
    let rejoined = await cluster.statusOf(first);
    while ((rejoined?.role !== 'follower' || rejoined.applied < second.commit) && Date.now() < deadline) {
      await sleep(100);
      rejoined = await cluster.statusOf(first);
    }
    assert.equal(rejoined?.role, 'follower');
    assert.ok((rejoined?.applied ?? 0) >= second.commit, 'the restarted broker applied everything committed before it came back');
  });

  it('a leader frozen past the election timeout and resumed does not dispatch or answer: it is deposed, and jobs meanwhile run once', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    const { broker: frozen, status } = await cluster.leader();
    const executions = new Map<string, number>();
    workers.push(countingWorker(cluster.endpoints, executions));
    assert.deepEqual([...(await submit(cluster.endpoints, jobIds('before', 5), 1)).values()].filter((o) => !o.startsWith('ok:')), []);
    cluster.freeze(frozen);
    const { status: next } = await cluster.leader({ except: frozen, aboveTerm: status.term });
    const during = await submit(cluster.endpoints, jobIds('frozen', 20), 2);
    assert.deepEqual([...during.values()].filter((o) => !o.startsWith('ok:')), [], 'the new leader serves while the old one is frozen');
    cluster.resume(frozen);
    // Resumed, it learns the higher term from its peers at once: a job sent to it is redirected, never accepted.
    const peer = new RawMdpPeer(frozen.client);
    try {
      const answered = await stalePeerAnswer(peer, 'after-resume-1');
      assert.ok(answered.status === KhxStatus.Redirect || answered.status === KhxStatus.Unavailable, `the resumed broker refuses (307 or 503), got ${answered.status}`);
      // Still at its old term, a client that has heard the new leader drops even that refusal.
      const fence = new TermFence();
      fence.admit(next.term);
      assert.equal(fence.admit(answered.term), answered.term >= next.term);
    } finally {
      peer.close();
    }
    const deadline = Date.now() + 3_000;
    let resumed = await cluster.statusOf(frozen);
    while ((resumed === undefined || resumed.term < next.term) && Date.now() < deadline) {
      await sleep(50);
      resumed = await cluster.statusOf(frozen);
    }
    assert.notEqual(resumed?.role, 'leader');
    assert.ok((resumed?.term ?? 0) >= next.term, 'the resumed broker learnt the new term');
    assert.deepEqual(duplicates(executions), [], 'no job ran twice');
  });

  it('keelhaul cluster add makes a --join broker a voter, and remove takes one out, one server at a time', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    await cluster.leader();
    const newcomer = await cluster.launchJoining('b4');
    const added = await cluster.operator(['add', `${newcomer.id}=${newcomer.client}+${newcomer.replication}`]);
    assert.equal(added.code, 0, added.stdout);
    assert.match(added.stdout, /added b4/);
    const removed = await cluster.operator(['remove', 'b1']);
    assert.equal(removed.code, 0, removed.stdout);
    const status = await cluster.operator(['status']);
    assert.equal(status.code, 0);
    const view = JSON.parse(status.stdout) as { members: { id: string; voter: boolean }[] };
    assert.deepEqual(view.members.filter((member) => member.voter).map((member) => member.id), ['b2', 'b3', 'b4'], status.stdout);
  });

  for (const defect of [false, true]) {
    it(defect ? 'with the seeded defect ack-before-commit, a leader cut off from its majority still answers 200' : 'a leader cut off from its majority never answers 200 (nothing it cannot commit is acknowledged)', async () => {
      const cluster = await TestCluster.start(3, defect ? ['--seed-defect', 'ack-before-commit'] : []);
      clusters.push(cluster);
      const { broker: leader } = await cluster.leader();
      const executions = new Map<string, number>();
      workers.push(countingWorker(leader.client, executions));
      assert.deepEqual([...(await submit(cluster.endpoints, jobIds(`warm-${defect}`, 2), 1)).values()].filter((o) => !o.startsWith('ok:')), []);
      for (const broker of cluster.brokers) if (broker !== leader) cluster.freeze(broker);
      const peer = new RawMdpPeer(leader.client);
      try {
        await peer.send(encodeKhrJobRequest('echo', `cut-off-${defect}`, [Buffer.from('x')]));
        const frames = await peer.receive(1_000);
        const status = frames === undefined ? undefined : decodeKhrJobReply(frames).status;
        if (defect) assert.equal(status, KhxStatus.Done, 'the defect acknowledges what only the leader\'s disk holds');
        else assert.notEqual(status, KhxStatus.Done);
      } finally {
        peer.close();
        for (const broker of cluster.brokers) cluster.resume(broker);
      }
    });
  }
});

/** Sends a KHRC01 job to `peer`'s broker until it answers (bounded); returns the answer. */
async function stalePeerAnswer(peer: RawMdpPeer, job: string): Promise<{ status: string; term: number }> {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    await peer.send(encodeKhrJobRequest('echo', job, [Buffer.from(job)]));
    const frames = await peer.receive(500);
    if (frames === undefined) continue; // still waking up: ask again
    const reply = decodeKhrJobReply(frames);
    return { status: reply.status, term: reply.term };
  }
  throw new Error('the resumed broker never answered');
}
