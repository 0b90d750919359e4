import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeAtClient, decodeAtWorker, decodeJobReply, encodeClientRequest, encodeDisconnect, encodeJobRequest, encodeReady, encodeReply, KHX_EXTENSION } from '../../reference/mdp/codec';
import { RawPeer } from '../../harness/probe/raw-peer';
import { StandInBroker } from '../../harness/probe/stand-in-broker';
import { freePort, releasePort } from '../../harness/runtime/ports';

/** The stand-in broker on real sockets: it welcomes a KHX/1 READY, answers 8/MMI and jobs as scripted, and records each message with its connection. */

let port = 0;
let broker: StandInBroker;
const peers: RawPeer[] = [];
const peer = (): RawPeer => {
  const made = new RawPeer(`tcp://127.0.0.1:${port}`);
  peers.push(made);
  return made;
};

before(async () => {
  port = await freePort();
  broker = await StandInBroker.bind(`tcp://127.0.0.1:${port}`, { welcome: true, mmiKhx: '200', jobs: 'echo', heartbeatMs: 20 });
});

after(() => {
  for (const made of peers) made.close();
  broker.close();
  releasePort(port);
});

test('a KHX/1 worker is welcomed and heartbeated; a REQUEST reaches it and its REPLY is recorded on its connection', async () => {
  const worker = peer();
  await worker.send(encodeReady('echo', [KHX_EXTENSION, 'instance-1']));
  const welcome = await worker.receive(1_000);
  assert.ok(welcome);
  assert.deepEqual(decodeAtWorker(welcome), { kind: 'recorded', jobs: [] });
  const heartbeat = await worker.receive(1_000);
  assert.equal(heartbeat && decodeAtWorker(heartbeat).kind, 'heartbeat');
  const connection = await broker.registeredConnection(1_000);
  await broker.sendRequest(connection, 'job-1', ['job-1']);
  for (;;) {
    const frames = await worker.receive(1_000);
    assert.ok(frames, 'no REQUEST came');
    const message = decodeAtWorker(frames);
    if (message.kind !== 'request') continue;
    assert.equal(message.client.toString(), 'job-1');
    await worker.send(encodeReply(message.client, message.body));
    break;
  }
  const heard = await broker.waitForMessage((message) => message.message.kind === 'reply', 1_000, 'the REPLY');
  assert.equal(heard.connection, connection);
  await worker.send(encodeDisconnect());
  await broker.waitForMessage((message) => message.message.kind === 'disconnect', 1_000, 'the DISCONNECT');
});

test('8/MMI: mmi.service 200 for any service, mmi.khx as scripted, other mmi.* 501; a KHX/1 job is echoed with 200', async () => {
  const client = peer();
  const ask = async (service: string, body: string): Promise<string | undefined> => {
    await client.send(encodeClientRequest(service, [Buffer.from(body)]));
    const frames = await client.receive(1_000);
    return frames && decodeAtClient(frames).body[0]?.toString();
  };
  assert.equal(await ask('mmi.service', 'anything'), '200');
  assert.equal(await ask('mmi.khx', ''), '200');
  assert.equal(await ask('mmi.other', ''), '501');
  await client.send(encodeJobRequest('echo', 'job-2', [Buffer.from('payload')]));
  const frames = await client.receive(1_000);
  assert.ok(frames);
  const reply = decodeJobReply(frames);
  assert.deepEqual([reply.job, reply.status, reply.body[0]?.toString()], ['job-2', '200', 'payload']);
  const jobs = broker.messages().filter((message) => message.header === 'KHXC01');
  assert.equal(jobs.length, 1);
  assert.equal(broker.answersSent().filter((answer) => answer.connection === jobs[0].connection).length, 4);
});
