import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MajordomoClient } from '../../reference/client';
import { MajordomoWorker } from '../../reference/worker';
import { parseBrokerRoutes } from '../../reference/cluster/broker-routes';
import { encodeClientReply, encodeDisconnect, encodeHeartbeat, encodeKhrJobReply, encodeRecorded, encodeTerm, KhxStatus, type Frame } from '../../reference/mdp/codec';
import { sleep } from '../reference/helpers';
import { fakeBroker } from './fake-broker';

/**
 * KHR/1 revision 2 on real sockets, against fake brokers: a worker and a client started with one
 * follower's endpoint reach a leader their list does not name (a broker added later) at their route
 * for its node id, never at the endpoint the cluster names (here one nobody listens on, as a broker
 * reached only through a proxy would be).
 */

/** Where the cluster says b4 listens: nothing does, so a peer that used it would never get through. */
const NAMED_BY_CLUSTER = 'tcp://127.0.0.1:1';

/** A worker's READY (MDPW01, command 0x01). */
function isReady(frames: Frame[]): boolean {
  return frames[1]?.toString() === 'MDPW01' && frames[2]?.[0] === 0x01;
}

describe('KHR/1: following a leader added after the peer started', { timeout: 20_000 }, () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  /** A follower that answers every READY with TERM 2 naming b4, then DISCONNECT; counts the READYs. */
  async function follower(): Promise<{ endpoint: string; readies: () => number }> {
    let readies = 0;
    const broker = await fakeBroker(async (_identity, frames, send) => {
      if (!isReady(frames)) return;
      readies++;
      await send(encodeTerm(2, 'b4'));
      await send(encodeDisconnect());
    });
    closers.push(broker.close);
    return { endpoint: broker.endpoint, readies: () => readies };
  }

  /** The new leader b4: welcomes a worker (KHX/1), answers its heartbeats (so it stays) and counts the READYs it got. */
  async function leader(): Promise<{ endpoint: string; readies: () => number }> {
    let readies = 0;
    const broker = await fakeBroker(async (_identity, frames, send) => {
      if (frames[1]?.toString() === 'MDPW01' && frames[2]?.[0] === 0x04) return send(encodeHeartbeat());
      if (!isReady(frames)) return;
      readies++;
      await send(encodeRecorded([]));
      await send(encodeTerm(2, 'b4'));
    });
    closers.push(broker.close);
    return { endpoint: broker.endpoint, readies: () => readies };
  }

  function worker(broker: string, routes?: string): MajordomoWorker {
    const started = new MajordomoWorker({
      broker,
      khr: true,
      ...(routes === undefined ? {} : { routes: parseBrokerRoutes(routes) }),
      service: 'echo',
      heartbeatInterval: 100,
      heartbeatLiveness: 3,
      reconnectInitial: 20,
      reconnectMax: 100,
      handler: async (body) => body,
    });
    closers.push(() => started.close());
    started.start();
    return started;
  }

  it('a worker whose follower names leader b4 in TERM registers with b4 at its route next', async () => {
    const [f, b4] = [await follower(), await leader()];
    worker(f.endpoint, `f1=${f.endpoint},b4=${b4.endpoint}`);
    const deadline = Date.now() + 5_000;
    while (b4.readies() === 0 && Date.now() < deadline) await sleep(20);
    assert.equal(b4.readies(), 1, 'the worker registered with b4 once');
    await sleep(500);
    assert.equal(f.readies(), 1, 'and stayed there: the follower saw one READY only');
  });

  it('without a route to b4, the worker keeps going round its own list and never reaches b4', async () => {
    const [f, b4] = [await follower(), await leader()];
    worker(f.endpoint);
    const deadline = Date.now() + 5_000;
    while (f.readies() < 3 && Date.now() < deadline) await sleep(20);
    assert.ok(f.readies() >= 3, `the worker came back to the follower (${f.readies()} READYs)`);
    assert.equal(b4.readies(), 0);
  });

  it('a client redirected (307) to b4 and told the voters by mmi.khr reaches b4 at its route, never at the endpoint named', async () => {
    const members = `f1=${NAMED_BY_CLUSTER.replace(':1', ':2')},b4=${NAMED_BY_CLUSTER}`;
    const f = await fakeBroker(async (_identity, frames, send) => {
      const service = frames[2]?.toString() ?? '';
      if (frames[1]?.toString() === 'MDPC01' && service === 'mmi.khr') {
        return send(encodeClientReply(service, ['200', '2', NAMED_BY_CLUSTER, 'f1', 'b4', members].map((text) => Buffer.from(text))));
      }
      if (frames[1]?.toString() === 'KHRC01') return send(encodeKhrJobReply(service, frames[3], KhxStatus.Redirect, 2, [Buffer.from(NAMED_BY_CLUSTER), Buffer.from('b4')]));
    });
    let jobsAtB4 = 0;
    const b4 = await fakeBroker(async (_identity, frames, send) => {
      const service = frames[2]?.toString() ?? '';
      if (frames[1]?.toString() === 'MDPC01' && service === 'mmi.khr') return send(encodeClientReply(service, ['200', '2', NAMED_BY_CLUSTER, 'b4', 'b4', members].map((text) => Buffer.from(text))));
      if (frames[1]?.toString() !== 'KHRC01') return;
      jobsAtB4++;
      await send(encodeKhrJobReply(service, frames[3], KhxStatus.Done, 2, [Buffer.from('from-b4')]));
    });
    closers.push(f.close, b4.close);
    const client = new MajordomoClient({ broker: f.endpoint, khr: true, routes: parseBrokerRoutes(`b4=${b4.endpoint}`), checkService: false, timeout: 1_000, attempts: 2 });
    closers.push(() => client.close());
    const reply = await client.request('echo', [Buffer.from('x')], { job: 'followed-1' });
    assert.equal(reply[0]?.toString(), 'from-b4');
    assert.equal(jobsAtB4, 1);
    assert.deepEqual(client.lastStamp, { term: 2, broker: 'b4' });
  });
});
