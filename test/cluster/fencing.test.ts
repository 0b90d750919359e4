import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MajordomoClient } from '../../reference/client';
import { MajordomoWorker } from '../../reference/worker';
import { encodeClientReply, encodeDisconnect, encodeKhrJobReply, encodeRecorded, encodeRequest, encodeTerm, KhxStatus, type Frame } from '../../reference/mdp/codec';
import { sleep } from '../reference/helpers';
import { fakeBroker } from './fake-broker';

/**
 * KHR/1 fencing at the receiving end, against a fake broker on a real ROUTER socket: a client drops a
 * reply stamped with a lower term than it has seen; a worker obeys nothing from a session whose TERM
 * is lower than one already heard, and moves on.
 */

/** Answers mmi.khr at term 5, mmi.khx with 200, and each KHRC01 job first at term 3 (stale), then at term 5. */
function clusterLeaderAtTerm5(endpoint: () => string) {
  return async (_identity: Frame, frames: Frame[], send: (frames: Frame[]) => Promise<void>): Promise<void> => {
    const header = frames[1]?.toString();
    const service = frames[2]?.toString() ?? '';
    if (header === 'MDPC01' && service === 'mmi.khr') return send(encodeClientReply(service, [Buffer.from('200'), Buffer.from('5'), Buffer.from(endpoint()), Buffer.from('f1')]));
    if (header === 'MDPC01') return send(encodeClientReply(service, [Buffer.from('200')]));
    if (header === 'KHRC01') {
      const job = frames[3];
      await send(encodeKhrJobReply(service, job, KhxStatus.Done, 3, [Buffer.from('stale')]));
      await sleep(30);
      await send(encodeKhrJobReply(service, job, KhxStatus.Done, 5, [Buffer.from('fresh')]));
    }
  };
}

/** What a deposed leader serving on as a second master says to `mmi.khr`: its old term naming itself (fenced), or the new term naming the leader. */
type DeposedKhrAnswer = 'old-term-naming-itself' | 'new-term-naming-the-leader';

/**
 * Two fake brokers of a cluster at term 2: the leader (node `b`) answers mmi.khr naming itself,
 * mmi.service 200 and jobs at term 2, except while `cut()` (silent, as when partitioned from the
 * client); the deposed one (node `a`) serves on without workers, which left it for the leader:
 * mmi.service 404 (no term to fence), mmi.khr as `deposedKhr`, jobs at its old term 1.
 */
async function leaderAndDeposed(deposedKhr: DeposedKhrAnswer, cut: () => boolean) {
  const seen = { leaderJobs: 0, deposedServiceChecks: 0, deposedJobs: 0 };
  let leaderEndpoint = '';
  let deposedEndpoint = '';
  const leader = await fakeBroker(async (_identity, frames, send) => {
    if (cut()) return;
    const header = frames[1]?.toString();
    const service = frames[2]?.toString() ?? '';
    if (header === 'MDPC01' && service === 'mmi.khr') return send(encodeClientReply(service, [Buffer.from('200'), Buffer.from('2'), Buffer.from(leaderEndpoint), Buffer.from('b'), Buffer.from('b')]));
    if (header === 'MDPC01') return send(encodeClientReply(service, [Buffer.from('200')]));
    if (header === 'KHRC01') {
      seen.leaderJobs++;
      return send(encodeKhrJobReply(service, frames[3], KhxStatus.Done, 2, [Buffer.from('from the leader')]));
    }
  });
  const deposed = await fakeBroker(async (_identity, frames, send) => {
    const header = frames[1]?.toString();
    const service = frames[2]?.toString() ?? '';
    if (header === 'MDPC01' && service === 'mmi.khr') {
      const [term, named, namedId] = deposedKhr === 'old-term-naming-itself' ? ['1', deposedEndpoint, 'a'] : ['2', leaderEndpoint, 'b'];
      return send(encodeClientReply(service, [Buffer.from('200'), Buffer.from(term), Buffer.from(named), Buffer.from('a'), Buffer.from(namedId)]));
    }
    if (header === 'MDPC01' && service === 'mmi.service') {
      seen.deposedServiceChecks++;
      return send(encodeClientReply(service, [Buffer.from('404')]));
    }
    if (header === 'MDPC01') return send(encodeClientReply(service, [Buffer.from('200')]));
    if (header === 'KHRC01') {
      seen.deposedJobs++;
      return send(encodeKhrJobReply(service, frames[3], KhxStatus.Done, 1, [Buffer.from('from the deposed leader')]));
    }
  });
  leaderEndpoint = leader.endpoint;
  deposedEndpoint = deposed.endpoint;
  return { leader, deposed, seen };
}

describe('KHR/1 term fencing', { timeout: 20_000 }, () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  it('a client drops a reply carrying a lower term than it has seen, counts it, and returns the current one', async () => {
    let endpoint = '';
    const broker = await fakeBroker(clusterLeaderAtTerm5(() => endpoint));
    endpoint = broker.endpoint;
    closers.push(broker.close);
    const client = new MajordomoClient({ broker: endpoint, khr: true, checkService: false, timeout: 1_000, attempts: 1 });
    closers.push(() => client.close());
    const reply = await client.request('echo', [Buffer.from('x')], { job: 'fenced-1' });
    assert.equal(reply[0]?.toString(), 'fresh');
    assert.equal(client.fence.staleDropped, 1);
    assert.equal(client.fence.highest, 5);
    assert.deepEqual(client.lastStamp, { term: 5, broker: 'f1' });
  });

  it('with the seeded defect no-fencing, the client returns the lower-term reply', async () => {
    let endpoint = '';
    const broker = await fakeBroker(clusterLeaderAtTerm5(() => endpoint));
    endpoint = broker.endpoint;
    closers.push(broker.close);
    const client = new MajordomoClient({ broker: endpoint, khr: true, checkService: false, timeout: 1_000, attempts: 1, defects: ['no-fencing'] });
    closers.push(() => client.close());
    const reply = await client.request('echo', [Buffer.from('x')], { job: 'unfenced-1' });
    assert.equal(reply[0]?.toString(), 'stale');
  });

  for (const deposedKhr of ['old-term-naming-itself', 'new-term-naming-the-leader'] as const) {
    it(`a client cut off from the leader does not take a deposed leader's mmi.service 404 for "no workers" (its mmi.khr: ${deposedKhr})`, async () => {
      let cut = false;
      const { leader, deposed, seen } = await leaderAndDeposed(deposedKhr, () => cut);
      closers.push(leader.close, deposed.close);
      // serviceCheckTtl 0: every call asks mmi.service first, as after a timed-out attempt.
      const client = new MajordomoClient({ broker: `${leader.endpoint},${deposed.endpoint}`, timeout: 300, attempts: 10, backoffInitial: 20, backoffMax: 100, serviceCheckTtl: 0 });
      closers.push(() => client.close());
      assert.equal((await client.request('echo', [Buffer.from('x')], { job: 'before-cut' }))[0]?.toString(), 'from the leader');
      assert.equal(client.fence.highest, 2);
      cut = true;
      const healed = setTimeout(() => (cut = false), 1_000);
      closers.push(() => clearTimeout(healed));
      // Cut off, the client's service check times out at the leader and goes on to the deposed broker, which answers 404.
      const reply = await client.request('echo', [Buffer.from('x')], { job: 'during-cut' });
      assert.equal(reply[0]?.toString(), 'from the leader');
      assert.ok(seen.deposedServiceChecks >= 1, 'the deposed broker was asked mmi.service (else this test did not reach it)');
      assert.equal(seen.deposedJobs, 0, 'no job went to the deposed broker');
      assert.deepEqual(client.lastStamp, { term: 2, broker: 'b' });
    });
  }

  it("a client still takes the leader's own mmi.service 404 for a definite \"no workers\"", async () => {
    let endpoint = '';
    const leader = await fakeBroker(async (_identity, frames, send) => {
      const service = frames[2]?.toString() ?? '';
      if (frames[1]?.toString() !== 'MDPC01') return;
      if (service === 'mmi.khr') return send(encodeClientReply(service, [Buffer.from('200'), Buffer.from('2'), Buffer.from(endpoint), Buffer.from('b'), Buffer.from('b')]));
      return send(encodeClientReply(service, [Buffer.from(service === 'mmi.service' ? '404' : '200')]));
    });
    endpoint = leader.endpoint;
    closers.push(leader.close);
    const client = new MajordomoClient({ broker: endpoint, khr: true, timeout: 300, attempts: 3, backoffInitial: 20, backoffMax: 50 });
    closers.push(() => client.close());
    await assert.rejects(client.request('nobody-home', [Buffer.from('x')], { job: 'unserved-1' }), (error: Error & { code?: string; definite?: boolean }) => error.definite === true && /has no workers \(8\/MMI answered 404\)/.test(error.message));
  });

  it('a worker declares KHR/1 last in READY, drops a REQUEST from a session of a lower term, moves on, and reports the dispatching term', async () => {
    const ready: string[][] = [];
    let sessionsAtA = 0;
    // A: first session TERM 5 then DISCONNECT; a later session TERM 6 and a job.
    const a = await fakeBroker(async (_identity, frames, send) => {
      if (frames[1]?.toString() !== 'MDPW01' || frames[2]?.[0] !== 0x01) return;
      ready.push(frames.slice(4).map(String));
      sessionsAtA++;
      await send(encodeRecorded([]));
      if (sessionsAtA === 1) {
        await send(encodeTerm(5, 'a'));
        await send(encodeDisconnect());
        return;
      }
      await send(encodeTerm(6, 'a'));
      await send(encodeRequest(Buffer.from('current-job'), [Buffer.from('current-job')]));
    });
    // B: a deposed leader: TERM 3, then a job it must not get run.
    const b = await fakeBroker(async (_identity, frames, send) => {
      if (frames[1]?.toString() !== 'MDPW01' || frames[2]?.[0] !== 0x01) return;
      await send(encodeRecorded([]));
      await send(encodeTerm(3, 'b'));
      await send(encodeRequest(Buffer.from('stale-job'), [Buffer.from('stale-job')]));
    });
    closers.push(a.close, b.close);
    const ran: { job: string; term?: number }[] = [];
    const worker = new MajordomoWorker({
      broker: `${a.endpoint},${b.endpoint}`,
      service: 'echo',
      heartbeatInterval: 100,
      heartbeatLiveness: 3,
      reconnectInitial: 20,
      reconnectMax: 100,
      handler: async (body, job) => {
        ran.push({ job: body[0]?.toString() ?? '', term: job.term });
        return body;
      },
    });
    closers.push(() => worker.close());
    worker.start();
    const deadline = Date.now() + 5_000;
    while (ran.length === 0 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(ran, [{ job: 'current-job', term: 6 }], 'only the job of the highest term ran, with its term');
    assert.ok(worker.fencing.staleDropped >= 1, 'the lower-term session was refused');
    assert.equal(ready[0]?.at(-1), 'KHR/1');
  });
});
