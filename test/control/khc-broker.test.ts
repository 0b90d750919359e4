import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../reference/broker';
import { encodeClientRequest, encodeDisconnect, encodeHeartbeat, encodeJobRequest, encodeReady, encodeReply, KHX_EXTENSION, type Frame, type WorkerInbound } from '../../reference/mdp/codec';
import {
  decodeControlAnswer,
  encodeControlAck,
  encodeInspect,
  encodeInventory,
  encodeKill,
  encodeWorkerControl,
  KHC_EXTENSION,
  type ControlAnswer,
  type KillAck,
} from '../../reference/mdp/control-codec';
import type { BrokerInspection, JobInspection } from '../../reference/broker/inspect';
import { waitFor } from '../../harness/util/wait-for';
import { expectJobReplyWithin, expectRequestWithin, freeEndpoint, rawPeers, RawMdpPeer, startBroker, texts } from '../reference/helpers';

/**
 * The KHC/1 side of the reference broker (docs/protocol.md, "Control") over real sockets: raw DEALERs
 * play the KHC/1 worker, the submitting client and the controller, frame by frame.
 */
const HEARTBEAT = 30;
const WAIT = 1_500;
const QUIET = 200;

const expectJobReply = (peer: RawMdpPeer, what: string, timeoutMs = WAIT) => expectJobReplyWithin(peer, what, timeoutMs);
const expectRequest = (worker: RawMdpPeer, what: string) => expectRequestWithin(worker, what, WAIT);

/** The next control answer at a controller, or undefined when none comes within `timeoutMs`. */
async function controlAnswer(peer: RawMdpPeer, timeoutMs = WAIT): Promise<ControlAnswer | undefined> {
  const frames = await peer.receive(timeoutMs);
  return frames === undefined ? undefined : decodeControlAnswer(frames);
}

/** The next message at a worker other than HEARTBEAT and RECORDED. */
async function nextInstruction(worker: RawMdpPeer, what: string, timeoutMs = WAIT): Promise<WorkerInbound> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await worker.receiveAsWorker(deadline - Date.now());
    if (message === undefined) throw new Error(`no ${what} within ${timeoutMs} ms`);
    if (message.kind !== 'recorded') return message;
  }
}

async function expectKillInstruction(worker: RawMdpPeer, address: Frame, what: string): Promise<void> {
  const message = await nextInstruction(worker, what);
  assert.equal(message.kind, 'control', `${what}: got ${message.kind}`);
  assert.ok(message.kind === 'control' && message.instruction === 'KILL' && message.job.equals(address), `${what}: got ${JSON.stringify(message)}`);
}

const ack = (address: Frame, outcome: KillAck) => encodeControlAck({ kind: 'control-ack', instruction: 'KILL', job: address, outcome });

describe('reference broker: KHC/1 control extension', () => {
  let endpoint: string;
  let dir: string;
  let broker: Broker;
  const { peer, closeAll: closePeers } = rawPeers(() => endpoint);

  const start = (options: Partial<BrokerOptions> = {}): Promise<Broker> =>
    startBroker(endpoint, { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, requestExpiry: 5_000, journal: path.join(dir, 'broker.journal'), ...options });

  /** A raw worker that declared KHX/1, `instance` and KHC/1, heartbeats, and has read both welcomes. */
  const khcWorker = async (instance: string, service = 'echo'): Promise<RawMdpPeer> => {
    const worker = peer();
    await worker.send(encodeReady(service, [KHX_EXTENSION, instance, KHC_EXTENSION]));
    worker.startHeartbeats(HEARTBEAT);
    assert.deepEqual(await worker.expectAsWorker(WAIT, 'the RECORDED welcome'), { kind: 'recorded', jobs: [] });
    assert.deepEqual(await worker.expectAsWorker(WAIT, 'the control welcome'), { kind: 'control' }, 'an empty CONTROL follows the KHX/1 welcome');
    return worker;
  };

  /** A client submits `job`; the worker gets its REQUEST. */
  const dispatched = async (worker: RawMdpPeer, job: string) => {
    const client = peer();
    await client.send(encodeJobRequest('echo', job, [Buffer.from(`payload of ${job}`)]));
    const request = await expectRequest(worker, `REQUEST for ${job}`);
    return { client, address: request.client };
  };

  const kill = async (job: string, controller = peer()): Promise<RawMdpPeer> => {
    await controller.send(encodeKill(job));
    return controller;
  };

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    dir = await mkdtemp(path.join(tmpdir(), 'keelhaul-khc-'));
    broker = await start();
  });

  afterEach(async () => {
    closePeers();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('mmi.khc answers 200; a plain READY and a KHX/1-only READY get no control welcome', async () => {
    const client = peer();
    await client.send(encodeClientRequest('mmi.khc', [Buffer.from('KHC/1')]));
    assert.deepEqual(texts((await client.expectAsClient(WAIT, 'the mmi.khc answer')).body), ['200']);
    const khxOnly = peer();
    await khxOnly.send(encodeReady('echo', [KHX_EXTENSION, 'khx-only']));
    khxOnly.startHeartbeats(HEARTBEAT);
    assert.deepEqual(await khxOnly.expectAsWorker(WAIT, 'the RECORDED welcome'), { kind: 'recorded', jobs: [] });
    assert.equal(await khxOnly.receiveAsWorker(QUIET), undefined, 'a KHX/1-only worker saw a KHC/1 frame');
    const plain = peer();
    await plain.send(encodeReady('echo'));
    plain.startHeartbeats(HEARTBEAT);
    assert.equal(await plain.receiveAsWorker(QUIET), undefined, 'a plain worker saw a KHX/1 or KHC/1 frame');
  });

  test('a queued job is killed at once: killed, its client 409, a retry 409, and no worker ever gets it', async () => {
    const client = peer();
    await client.send(encodeJobRequest('echo', 'queued-1', [Buffer.from('x')]));
    // The kill comes on another socket: it names a job only once the broker has accepted it.
    await waitFor(() => broker.stats().queued === 1, { timeoutMs: WAIT, what: 'queued-1 to be queued' });
    const controller = await kill('queued-1');
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'queued-1', outcome: 'killed' });
    const reply = await expectJobReply(client, 'the 409 at the submitting client');
    assert.equal(reply.status, '409');
    const retry = peer();
    await retry.send(encodeJobRequest('echo', 'queued-1', [Buffer.from('x')]));
    assert.equal((await expectJobReply(retry, 'the answer to a retry of the killed id')).status, '409');
    const worker = await khcWorker('w1');
    assert.equal(await worker.receiveAsWorker(QUIET), undefined, 'a killed job reached a worker');
    const again = await kill('queued-1');
    assert.deepEqual(await controlAnswer(again), { verb: 'KILL', job: 'queued-1', outcome: 'killed' }, 'KILL is idempotent');
    assert.equal(broker.stats().killed, 1);
  });

  test('a dispatched job: CONTROL KILL repeats every tick until the holder acks killed; then killed, 409, and the worker is free', async () => {
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'run-1');
    const controller = await kill('run-1');
    await expectKillInstruction(worker, address, 'the first CONTROL KILL');
    await expectKillInstruction(worker, address, 'CONTROL KILL repeated on the next tick');
    assert.equal(await controller.receive(0), undefined, 'answered before the worker acked');
    const second = await kill('run-1');
    await worker.send(ack(address, 'killed'));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'run-1', outcome: 'killed' });
    assert.deepEqual(await controlAnswer(second), { verb: 'KILL', job: 'run-1', outcome: 'killed' }, 'every requester of the pending kill is answered');
    assert.equal((await expectJobReply(client, 'the 409')).status, '409');
    await dispatched(worker, 'run-2');
  });

  test('a REPLY before the ack: the kill is finished and the client gets its 200', async () => {
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'race-1');
    const controller = await kill('race-1');
    await expectKillInstruction(worker, address, 'CONTROL KILL');
    await worker.send(encodeReply(address, [Buffer.from('result')]));
    await worker.send(ack(address, 'finished'));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'race-1', outcome: 'finished' });
    const reply = await expectJobReply(client, 'the 200');
    assert.equal(reply.status, '200');
    assert.deepEqual(texts(reply.body), ['result']);
  });

  test('ack cannot: the broker stops asking and waits for the result, then finished', async () => {
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'stubborn-1');
    const controller = await kill('stubborn-1');
    await expectKillInstruction(worker, address, 'CONTROL KILL');
    await worker.send(ack(address, 'cannot'));
    // Drain whatever KILLs were already on the wire, then nothing more.
    const deadline = Date.now() + 4 * HEARTBEAT;
    while (Date.now() < deadline) await worker.receiveAsWorker(deadline - Date.now());
    assert.equal(await worker.receiveAsWorker(QUIET), undefined, 'CONTROL KILL went on after `cannot`');
    assert.equal(await controller.receive(0), undefined, 'answered before the result');
    await worker.send(encodeReply(address, [Buffer.from('late but whole')]));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'stubborn-1', outcome: 'finished' });
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
  });

  test('the holder falls silent: killed only after the result grace; its late REPLY on a new connection is RECORDED and dropped', async () => {
    await broker.close();
    const resultGrace = 400;
    broker = await start({ resultGrace });
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'lost-1');
    worker.stopHeartbeats();
    const controller = await kill('lost-1');
    const asked = Date.now();
    assert.deepEqual(await controlAnswer(controller, 3_000), { verb: 'KILL', job: 'lost-1', outcome: 'killed' });
    assert.ok(Date.now() - asked >= resultGrace, `answered killed ${Date.now() - asked} ms after the kill, before the ${resultGrace} ms grace`);
    assert.equal((await expectJobReply(client, 'the 409')).status, '409');
    worker.close();
    const back = await khcWorker('w1');
    await back.send(encodeReply(address, [Buffer.from('too late')]));
    assert.deepEqual(await back.expectAsWorker(WAIT, 'RECORDED for the late result'), { kind: 'recorded', jobs: [address] });
    assert.equal(await client.receive(QUIET), undefined, 'the late result reached the client');
  });

  test('the holder hands in a kept result within the grace: finished', async () => {
    await broker.close();
    broker = await start({ resultGrace: 2_000 });
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'kept-1');
    worker.stopHeartbeats();
    const controller = await kill('kept-1');
    await waitFor(() => broker.stats().workers === 0, { timeoutMs: WAIT, what: 'the silent holder to expire' });
    worker.close();
    const back = await khcWorker('w1');
    await back.send(encodeReply(address, [Buffer.from('kept')]));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'kept-1', outcome: 'finished' });
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
  });

  test('a KHX/1-only worker cannot be told: no CONTROL reaches it, and the kill waits for its REPLY (finished)', async () => {
    const worker = peer();
    await worker.send(encodeReady('echo', [KHX_EXTENSION, 'khx-only']));
    worker.startHeartbeats(HEARTBEAT);
    const { client, address } = await dispatched(worker, 'untold-1');
    const controller = await kill('untold-1');
    assert.equal(await worker.receiveAsWorker(4 * HEARTBEAT), undefined, 'a worker without KHC/1 got a CONTROL');
    assert.equal(await controller.receive(0), undefined, 'answered before the result');
    await worker.send(encodeReply(address, [Buffer.from('ran')]));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'untold-1', outcome: 'finished' });
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
  });

  test('an ack from a worker that does not hold the job changes nothing', async () => {
    const holder = await khcWorker('holder');
    const { address } = await dispatched(holder, 'fenced-1');
    const other = await khcWorker('other');
    const controller = await kill('fenced-1');
    await expectKillInstruction(holder, address, 'CONTROL KILL at the holder');
    await other.send(ack(address, 'killed'));
    await other.send(encodeReply(address, [Buffer.from('forged')]));
    assert.equal(await controller.receive(QUIET), undefined, 'a non-holder decided the kill');
    await expectKillInstruction(holder, address, 'CONTROL KILL still repeated at the holder');
    await holder.send(ack(address, 'absent'));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'fenced-1', outcome: 'killed' });
  });

  test('unknown ids, finished jobs and plain requests', async () => {
    const controller = await kill('never-seen');
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'never-seen', outcome: 'unknown' });
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'done-1');
    await worker.send(encodeReply(address, [Buffer.from('r')]));
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
    await kill('done-1', controller);
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'done-1', outcome: 'finished' });
    // A plain 7/MDP request has no id: whatever a controller names, it is not that request.
    const plain = peer();
    await plain.send(encodeClientRequest('echo', [Buffer.from('plain')]));
    const request = await expectRequest(worker, 'the plain REQUEST');
    await kill(request.client.toString('latin1'), controller);
    assert.equal((await controlAnswer(controller))?.verb, 'KILL');
    await worker.send(encodeReply(request.client, [Buffer.from('plain done')]));
    assert.deepEqual(texts((await plain.expectAsClient(WAIT, 'the plain reply')).body), ['plain done']);
  });

  test('a kill across a broker restart: kill-pending replays (never dispatched again), then killed; killed replays as 409', async () => {
    await broker.close();
    broker = await start({ resultGrace: 300 });
    const worker = await khcWorker('w1');
    const { address } = await dispatched(worker, 'restart-1');
    await kill('restart-1');
    await expectKillInstruction(worker, address, 'CONTROL KILL (so kill-pending is durable)');
    worker.close();
    await broker.close();
    broker = await start({ resultGrace: 300 });
    const fresh = await khcWorker('w2');
    const controller = await kill('restart-1');
    assert.deepEqual(await controlAnswer(controller, 3_000), { verb: 'KILL', job: 'restart-1', outcome: 'killed' });
    assert.equal(await fresh.receiveAsWorker(QUIET), undefined, 'a kill-pending job was dispatched after the restart');
    await broker.close();
    broker = await start({ resultGrace: 300 });
    const retry = peer();
    await retry.send(encodeJobRequest('echo', 'restart-1', [Buffer.from('x')]));
    assert.equal((await expectJobReply(retry, 'the answer to a retry after the restart')).status, '409');
  });

  test('inventory: held results are DROPped when recorded or unknown and RESENT when awaited; a running kill-pending job gets KILL', async () => {
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'inv-1');
    const controller = await kill('inv-1');
    await expectKillInstruction(worker, address, 'CONTROL KILL');
    worker.stopHeartbeats();
    const unknownAddress = Buffer.from('never-given');
    await worker.send(encodeHeartbeat(encodeInventory({ running: address.toString('hex'), held: [unknownAddress.toString('hex'), address.toString('hex')], state: 'ready' })));
    const seen = new Map<string, string[]>();
    const deadline = Date.now() + WAIT;
    while (!(seen.has('DROP') && seen.has('RESEND')) && Date.now() < deadline) {
      const message = await nextInstruction(worker, 'the instructions answering the inventory');
      if (message.kind === 'control' && message.instruction !== undefined) {
        seen.set(message.instruction, message.instruction === 'DROP' || message.instruction === 'RESEND' ? message.jobs.map((job) => job.toString()) : []);
      }
    }
    assert.deepEqual(seen.get('DROP'), ['never-given']);
    assert.deepEqual(seen.get('RESEND'), ['inv-1']);
    await worker.send(encodeReply(address, [Buffer.from('resent')]));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'inv-1', outcome: 'finished' });
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
  });

  test('DRAIN: nothing more is dispatched, CONTROL DRAIN repeats until acked; unknown instance answers unknown', async () => {
    const worker = await khcWorker('drain-me');
    const operator = peer();
    await operator.send(encodeWorkerControl('DRAIN', 'nobody'));
    assert.deepEqual(await controlAnswer(operator), { verb: 'DRAIN', instance: 'nobody', outcome: 'unknown' });
    await operator.send(encodeWorkerControl('DRAIN', 'drain-me'));
    assert.deepEqual(await controlAnswer(operator), { verb: 'DRAIN', instance: 'drain-me', outcome: 'ok' });
    for (const what of ['CONTROL DRAIN', 'CONTROL DRAIN repeated']) {
      const message = await nextInstruction(worker, what);
      assert.ok(message.kind === 'control' && message.instruction === 'DRAIN', `${what}: got ${JSON.stringify(message)}`);
    }
    await worker.send(encodeControlAck({ kind: 'control-ack', instruction: 'DRAIN', outcome: 'draining' }));
    const client = peer();
    await client.send(encodeJobRequest('echo', 'after-drain', [Buffer.from('x')]));
    const deadline = Date.now() + 4 * HEARTBEAT;
    while (Date.now() < deadline) {
      const message = await worker.receiveAsWorker(deadline - Date.now());
      assert.ok(message === undefined || (message.kind === 'control' && message.instruction === 'DRAIN'), `after the ack: ${JSON.stringify(message)}`);
    }
    assert.equal(await worker.receiveAsWorker(QUIET), undefined, 'a drained worker got a job or more DRAINs');
    const other = await khcWorker('other');
    await expectRequest(other, 'the job at the worker that is not draining');
  });

  test('a drained worker that reconnects is still drained from its READY on; one whose inventory says draining gets no job', async () => {
    const first = await khcWorker('drained-instance');
    const operator = peer();
    await operator.send(encodeWorkerControl('DRAIN', 'drained-instance'));
    assert.deepEqual(await controlAnswer(operator), { verb: 'DRAIN', instance: 'drained-instance', outcome: 'ok' });
    first.close();
    // The same instance on a new connection: the order stands, and the DRAIN comes right after the welcomes.
    const again = await khcWorker('drained-instance');
    const order = await nextInstruction(again, 'the standing DRAIN');
    assert.ok(order.kind === 'control' && order.instruction === 'DRAIN', `got ${JSON.stringify(order)}`);
    await again.send(encodeControlAck({ kind: 'control-ack', instruction: 'DRAIN', outcome: 'draining' }));
    const selfDrained = await khcWorker('drains-by-itself');
    await selfDrained.send(encodeHeartbeat(encodeInventory({ running: null, held: [], state: 'draining' })));
    await new Promise((resolve) => setTimeout(resolve, 2 * HEARTBEAT));
    const client = peer();
    await client.send(encodeJobRequest('echo', 'for-nobody-draining', [Buffer.from('x')]));
    for (const [worker, name] of [[again, 'the reconnected drained worker'], [selfDrained, 'the worker draining by itself']] as const) {
      const deadline = Date.now() + 4 * HEARTBEAT;
      while (Date.now() < deadline) {
        const message = await worker.receiveAsWorker(deadline - Date.now());
        assert.ok(message === undefined || message.kind !== 'request', `${name} got a job: ${JSON.stringify(message)}`);
      }
    }
    const ready = await khcWorker('ready-one');
    await expectRequest(ready, 'the job at the worker that is not draining');
  });

  test('STOP of a busy worker: it finishes, says DISCONNECT, and nothing is re-queued', async () => {
    const worker = await khcWorker('stop-me');
    const { client, address } = await dispatched(worker, 'last-job');
    const operator = peer();
    await operator.send(encodeWorkerControl('STOP', 'stop-me'));
    assert.deepEqual(await controlAnswer(operator), { verb: 'STOP', instance: 'stop-me', outcome: 'ok' });
    const message = await nextInstruction(worker, 'CONTROL STOP');
    assert.ok(message.kind === 'control' && message.instruction === 'STOP');
    await worker.send(encodeControlAck({ kind: 'control-ack', instruction: 'STOP', outcome: 'stopping' }));
    await worker.send(encodeReply(address, [Buffer.from('finished')]));
    assert.equal((await expectJobReply(client, 'the 200')).status, '200');
    await worker.send(encodeDisconnect());
    const other = await khcWorker('other');
    assert.equal(await other.receiveAsWorker(QUIET), undefined, 'the stopped worker\'s finished job was re-queued');
    assert.equal(broker.stats().requeued, 0);
  });

  test('INSPECT: a job as queued, dispatched, kill-pending and killed; the summary lists services, workers and pending kills', async () => {
    const controller = peer();
    const inspect = async (job?: string): Promise<unknown> => {
      await controller.send(encodeInspect(job));
      const answer = await controlAnswer(controller);
      assert.equal(answer?.verb, 'INSPECT');
      return answer?.verb === 'INSPECT' ? answer.state : undefined;
    };
    const client = peer();
    await client.send(encodeJobRequest('echo', 'look-1', [Buffer.from('x')]));
    await waitFor(() => broker.stats().queued === 1, { timeoutMs: WAIT, what: 'look-1 to be queued' });
    assert.deepEqual(await inspect('look-1'), { job: 'look-1', state: 'queued', service: 'echo', attempts: 0, notBefore: null } satisfies JobInspection);
    const worker = await khcWorker('w1');
    const request = await expectRequest(worker, 'REQUEST for look-1');
    const running = (await inspect('look-1')) as JobInspection;
    assert.equal(running.state, 'dispatched');
    assert.ok(running.state === 'dispatched' && running.worker === 'w1' && running.attempts === 1 && running.since <= Date.now());
    const summary = (await inspect()) as BrokerInspection;
    assert.deepEqual(summary, {
      services: [{ name: 'echo', queued: 0, workers: 1 }],
      workers: [{ instance: 'w1', service: 'echo', state: 'busy', job: 'look-1', khc: true }],
      pendingKills: 0,
      orphans: 0,
      truncated: false,
    });
    await kill('look-1', controller);
    await expectKillInstruction(worker, request.client, 'CONTROL KILL');
    const pending = (await inspect('look-1')) as JobInspection;
    assert.ok(pending.state === 'kill-pending' && pending.worker === 'w1' && pending.ack === null, JSON.stringify(pending));
    assert.equal(((await inspect()) as BrokerInspection).pendingKills, 1);
    await worker.send(ack(request.client, 'killed'));
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'look-1', outcome: 'killed' });
    assert.deepEqual(await inspect('look-1'), { job: 'look-1', state: 'killed' });
    assert.deepEqual(await inspect('nope'), { job: 'nope', state: 'unknown' });
  });

  test('seeded defect fire-and-forget-kill: killed at once for a running job, CONTROL KILL once, and the job runs on to a 200', async () => {
    await broker.close();
    broker = await start({ defects: ['fire-and-forget-kill'] });
    const worker = await khcWorker('w1');
    const { client, address } = await dispatched(worker, 'celery-1');
    const controller = await kill('celery-1');
    assert.deepEqual(await controlAnswer(controller), { verb: 'KILL', job: 'celery-1', outcome: 'killed' }, 'the defect answers at once');
    await expectKillInstruction(worker, address, 'the one CONTROL KILL');
    assert.equal(await worker.receiveAsWorker(5 * HEARTBEAT), undefined, 'the defect repeated CONTROL KILL');
    await worker.send(encodeReply(address, [Buffer.from('ran anyway')]));
    assert.equal((await expectJobReply(client, 'the 200 after a killed answer')).status, '200');
  });
});
