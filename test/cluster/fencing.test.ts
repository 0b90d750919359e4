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
