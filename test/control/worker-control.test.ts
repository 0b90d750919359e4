import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import { encodeDisconnect, encodeRecorded, encodeRequest, type Frame } from '../../reference/mdp/codec';
import { encodeControl, encodeControlWelcome, MAX_INVENTORY_BYTES, type ControlAck, type Inventory } from '../../reference/mdp/control-codec';
import { MajordomoWorker, type Handler, type JobContext, type WorkerOptions } from '../../reference/worker';
import { LeaseLostError } from '../../reference/control/lease';
import { waitFor } from '../../harness/util/wait-for';
import { ScriptedBroker, type Received } from './scripted-broker';

/**
 * The reference worker's side of KHC/1 (docs/protocol.md, "Control") against a scripted ROUTER broker
 * on real sockets: kill acks, the lease, the inventory and the DROP/RESEND/DRAIN/STOP instructions.
 */
const HEARTBEAT = 100;
const WORKER = { heartbeatInterval: HEARTBEAT, heartbeatLiveness: 3, reconnectInitial: 10, reconnectMax: 50 } as const;

const job = (id: string): Frame => Buffer.from(id);

describe('KHC/1 worker against a scripted broker', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const setUp = async (handler: Handler, options: Partial<WorkerOptions> = {}): Promise<{ broker: ScriptedBroker; worker: MajordomoWorker }> => {
    const broker = await ScriptedBroker.start();
    closers.push(() => broker.close());
    const worker = new MajordomoWorker({ ...WORKER, broker: broker.endpoint, service: 'echo', handler, ...options });
    closers.push(() => worker.close());
    worker.start();
    return { broker, worker };
  };

  const ackOf = (address: string) => (r: Received): ControlAck | undefined =>
    r.message.kind === 'control-ack' && r.message.instruction === 'KILL' && r.message.job.toString() === address ? r.message : undefined;
  const indexOf = (broker: ScriptedBroker, match: (r: Received) => unknown): number => broker.received.findIndex((r) => match(r) !== undefined);
  const replyOf = (address: string) => (r: Received) => (r.message.kind === 'reply' && r.message.client.toString() === address ? r.message : undefined);
  const inventoryAfter = (broker: ScriptedBroker, from: number, what: string, match: (inventory: Inventory) => boolean): Promise<Inventory> =>
    broker.expect((r) => (r.message.kind === 'heartbeat' && r.message.inventory !== undefined && match(r.message.inventory) ? r.message.inventory : undefined), what, 3_000, from);

  /** Sends the REQUEST of job `id` and waits for its handler to start. */
  const startJob = async (broker: ScriptedBroker, identity: Frame, id: string, started: readonly JobContext[]): Promise<void> => {
    const before = started.length;
    await broker.send(identity, encodeRequest(job(id), [Buffer.from(id)]));
    await waitFor(() => started.length > before, { timeoutMs: 3_000, what: `the handler of ${id} to start` });
  };

  /** A handler that waits for the test to let it go, abortably unless told otherwise. */
  const gated = () => {
    const started: JobContext[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    return {
      started,
      release: () => release(),
      handler: (mode: 'stoppable' | 'ignores-kill' | 'unstoppable' | 'unstoppable-fails'): Handler => async (body, context) => {
        started.push(context);
        if (mode === 'unstoppable' || mode === 'unstoppable-fails') context.unstoppable();
        if (mode === 'unstoppable-fails') {
          await gate;
          throw new Error('the handler failed');
        }
        if (mode !== 'stoppable') await gate;
        else await Promise.race([gate, new Promise<never>((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }))]);
        return body;
      },
    };
  };

  test('READY declares KHC/1 after KHX/1 and the instance id; --no-khc leaves it out', async () => {
    const { broker, worker } = await setUp(async (body) => body);
    const ready = await broker.expect((r) => (r.message.kind === 'ready' ? r.message : undefined), 'READY');
    assert.deepEqual(ready.extensions, ['KHX/1', worker.instanceId, 'KHC/1', 'KHT/1']);
    const plain = await setUp(async (body) => body, { khc: false });
    const plainReady = await plain.broker.expect((r) => (r.message.kind === 'ready' ? r.message : undefined), 'READY');
    assert.deepEqual(plainReady.extensions, ['KHX/1', plain.worker.instanceId, 'KHT/1']);
  });

  test('no inventory and no ack before the control welcome; after it every heartbeat carries the inventory', async () => {
    const { broker } = await setUp(async (body) => body);
    const ready = await broker.expect((r) => (r.message.kind === 'ready' ? r : undefined), 'READY');
    await broker.send(ready.identity, encodeRecorded([]));
    broker.heartbeat(ready.identity, HEARTBEAT);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('nobody') }));
    await sleep(HEARTBEAT * 3);
    const early = broker.received.filter((r) => r.message.kind === 'heartbeat' || r.message.kind === 'control-ack');
    assert.ok(early.length >= 1, 'heartbeats came');
    assert.ok(early.every((r) => r.message.kind === 'heartbeat' && r.message.inventory === undefined), 'plain heartbeats only, no ack, before the welcome');
    const from = broker.received.length;
    await broker.send(ready.identity, encodeControlWelcome());
    const inventory = await inventoryAfter(broker, from, 'an inventory heartbeat', () => true);
    assert.deepEqual(inventory, { running: null, held: [], more: 0, state: 'ready' });
  });

  test('KILL of the running job: a stoppable handler rejects, the ack says killed, no REPLY; a repeated KILL is acked killed again', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('stoppable'));
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-1', gate.started);
    const from = broker.received.length;
    await inventoryAfter(broker, from, 'the inventory naming the running job', (inventory) => inventory.running === job('job-1').toString('hex'));
    assert.equal(gate.started[0].mayCommit(), true, 'the lease is held while the broker heartbeats');
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-1') }));
    assert.equal((await broker.expect(ackOf('job-1'), 'the KILL ack')).outcome, 'killed');
    assert.equal(gate.started[0].signal.aborted, true);
    assert.equal(gate.started[0].mayCommit(), false, 'a killed job may never commit');
    const acks = broker.received.length;
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-1') }));
    assert.equal((await broker.expect(ackOf('job-1'), 'the second KILL ack', 3_000, acks)).outcome, 'killed');
    assert.equal(indexOf(broker, replyOf('job-1')), -1, 'a killed job sends no REPLY');
  });

  test('KILL of a handler that returns anyway: it committed, so the REPLY goes first, then the ack says finished', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('ignores-kill'));
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-2', gate.started);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-2') }));
    await waitFor(() => gate.started[0].signal.aborted, { timeoutMs: 3_000, what: 'the signal to abort' });
    gate.release();
    assert.equal((await broker.expect(ackOf('job-2'), 'the KILL ack')).outcome, 'finished');
    const reply = indexOf(broker, replyOf('job-2'));
    assert.ok(reply >= 0 && reply < indexOf(broker, ackOf('job-2')), 'REPLY before the finished ack');
  });

  test('KILL of an unstoppable handler: ack cannot at once, and its REPLY follows when it is done', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('unstoppable'));
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-3', gate.started);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-3') }));
    assert.equal((await broker.expect(ackOf('job-3'), 'the KILL ack')).outcome, 'cannot');
    assert.equal(gate.started[0].signal.aborted, false, 'an unstoppable handler is not aborted');
    gate.release();
    await broker.expect(replyOf('job-3'), 'the REPLY of the unstoppable job');
  });

  test('KILL of an unstoppable handler that then ends without committing: cannot, then killed, and nothing is given back', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('unstoppable-fails'));
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-9', gate.started);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-9') }));
    assert.equal((await broker.expect(ackOf('job-9'), 'the KILL ack')).outcome, 'cannot');
    const from = broker.received.length;
    gate.release();
    assert.equal((await broker.expect(ackOf('job-9'), 'the second KILL ack', 3_000, from)).outcome, 'killed');
    await sleep(HEARTBEAT * 2);
    assert.ok(!broker.received.some((r) => r.message.kind === 'disconnect' || r.message.kind === 'reply'), 'no REPLY, no give-back DISCONNECT');
  });

  test('a job that outlives its session may not commit on the next one, and the next session\'s inventory names it running', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('ignores-kill'));
    const first = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, first.identity, 'job-10', gate.started);
    const from = broker.received.length;
    await broker.send(first.identity, encodeDisconnect());
    broker.silence(first.identity);
    const second = await broker.expect((r) => (r.message.kind === 'ready' ? r : undefined), 'READY on a fresh session', 3_000, from);
    assert.notEqual(second.peer, first.peer);
    await broker.send(second.identity, encodeRecorded([]));
    await broker.send(second.identity, encodeControlWelcome());
    broker.heartbeat(second.identity, HEARTBEAT);
    await inventoryAfter(broker, broker.received.length, 'the new session inventory naming the running job', (inv) => inv.running === job('job-10').toString('hex'));
    assert.equal(gate.started[0].mayCommit(), false, 'the broker of the new session is heard, but the job came on the old one');
  });

  test('KILL of a job whose result is kept: REPLY again, then ack finished; KILL of an unknown job: absent', async () => {
    const { broker } = await setUp(async (body) => body);
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await broker.send(ready.identity, encodeRequest(job('job-4'), [Buffer.from('job-4')]));
    await broker.expect(replyOf('job-4'), 'the REPLY');
    const from = broker.received.length;
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('job-4') }));
    assert.equal((await broker.expect(ackOf('job-4'), 'the KILL ack', 3_000, from)).outcome, 'finished');
    const again = broker.received.slice(from);
    assert.ok(again.findIndex((r) => replyOf('job-4')(r) !== undefined) < again.findIndex((r) => ackOf('job-4')(r) !== undefined), 'the kept REPLY again, before the ack');
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: job('never-seen') }));
    assert.equal((await broker.expect(ackOf('never-seen'), 'the KILL ack')).outcome, 'absent');
  });

  test('the lease: a broker silent past liveness × heartbeat while the handler runs makes mayCommit false, and the job is abandoned (no REPLY)', async () => {
    const seen: boolean[] = [];
    const { broker } = await setUp(async (body, context) => {
      await sleep(HEARTBEAT * 3 * 2);
      seen.push(context.mayCommit());
      if (!context.mayCommit()) throw new LeaseLostError(body[0].toString());
      return body;
    });
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await broker.send(ready.identity, encodeRequest(job('job-5'), [Buffer.from('job-5')]));
    broker.silence(ready.identity); // as if this broker froze, or the link was cut, while the handler runs
    await waitFor(() => seen.length === 1, { timeoutMs: 3_000, what: 'the handler to reach its commit point' });
    assert.deepEqual(seen, [false], 'no lease after a silence past the window');
    await sleep(HEARTBEAT * 2);
    assert.equal(indexOf(broker, replyOf('job-5')), -1, 'the abandoned job sends no REPLY on any connection');
  });

  test('inventory lists held results and stays within 4 KiB (the rest counted in more); DROP forgets, RESEND sends again', async () => {
    const { broker } = await setUp(async (body) => body);
    const ready = await broker.welcomeWorker(HEARTBEAT);
    // Long job ids (255 bytes, 510 hex characters each): a dozen overflow the inventory's bound.
    const ids = Array.from({ length: 12 }, (_, i) => `${i}`.padStart(3, '0').padEnd(255, 'x'));
    for (const id of ids) {
      await broker.send(ready.identity, encodeRequest(job(id), [Buffer.from('body')]));
      await broker.expect(replyOf(id), `the REPLY of ${id.slice(0, 3)}`);
    }
    const full = broker.received.length;
    const inventory = await inventoryAfter(broker, full, 'an inventory with every result counted', (inv) => inv.held.length + inv.more === ids.length);
    assert.ok(inventory.more > 0, 'some held results are left out');
    assert.ok(Buffer.byteLength(JSON.stringify(inventory)) <= MAX_INVENTORY_BYTES);
    assert.ok(inventory.held.every((hex) => ids.map((id) => job(id).toString('hex')).includes(hex)));

    const dropped = ids.slice(0, 11);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'DROP', jobs: dropped.map(job) }));
    const afterDrop = broker.received.length;
    const left = await inventoryAfter(broker, afterDrop, 'the inventory after DROP', (inv) => inv.held.length + inv.more === 1);
    assert.deepEqual(left.held, [job(ids[11]).toString('hex')]);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'RESEND', jobs: [job(ids[11]), job(ids[0])] }));
    await broker.expect(replyOf(ids[11]), 'the REPLY resent', 3_000, afterDrop);
    await sleep(HEARTBEAT * 2);
    assert.equal(broker.received.slice(afterDrop).filter((r) => replyOf(ids[0])(r) !== undefined).length, 0, 'a dropped result is not resent');
  });

  test('DRAIN: acked draining, the inventory says draining, the running job finishes and a request that still arrives is left unrun', async () => {
    const gate = gated();
    const { broker } = await setUp(gate.handler('ignores-kill'));
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-6', gate.started);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'DRAIN' }));
    const ack = await broker.expect((r) => (r.message.kind === 'control-ack' && r.message.instruction === 'DRAIN' ? r.message : undefined), 'the DRAIN ack');
    assert.equal(ack.outcome, 'draining');
    const from = broker.received.length;
    await inventoryAfter(broker, from, 'a draining inventory', (inv) => inv.state === 'draining' && inv.running === job('job-6').toString('hex'));
    gate.release();
    await broker.expect(replyOf('job-6'), 'the running job REPLY');
    await broker.send(ready.identity, encodeRequest(job('job-7'), [Buffer.from('job-7')]));
    await sleep(HEARTBEAT * 3);
    assert.equal(gate.started.length, 1, 'no request runs after DRAIN');
  });

  test('STOP: acked stopping, the running job finishes and replies, then DISCONNECT, and onStopped is called', async () => {
    const gate = gated();
    let stopped = false;
    const { broker } = await setUp(gate.handler('ignores-kill'), { onStopped: () => (stopped = true) });
    const ready = await broker.welcomeWorker(HEARTBEAT);
    await startJob(broker, ready.identity, 'job-8', gate.started);
    await broker.send(ready.identity, encodeControl({ kind: 'control', instruction: 'STOP' }));
    const ack = await broker.expect((r) => (r.message.kind === 'control-ack' && r.message.instruction === 'STOP' ? r.message : undefined), 'the STOP ack');
    assert.equal(ack.outcome, 'stopping');
    assert.equal(stopped, false, 'not stopped while the job runs');
    gate.release();
    await waitFor(() => stopped, { timeoutMs: 3_000, what: 'the worker to stop' });
    // Stopped once it sent DISCONNECT: the broker's side may read it a moment later (a loaded machine showed it).
    await waitFor(() => broker.received.some((r) => r.message.kind === 'disconnect'), { timeoutMs: 3_000, what: 'the DISCONNECT at the broker' });
    const reply = indexOf(broker, replyOf('job-8'));
    const disconnect = broker.received.findIndex((r) => r.message.kind === 'disconnect');
    assert.ok(reply >= 0 && disconnect > reply, 'REPLY, then DISCONNECT');
  });
});
