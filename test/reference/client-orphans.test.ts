import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Dealer } from 'zeromq';
import { IndefiniteFailure, MajordomoClient } from '../../reference/client';
import { LateReplyWatch, type Orphan } from '../../reference/late-reply-watch';
import { encodeClientReply, encodeJobReply, KhxStatus } from '../../reference/mdp/codec';
import { silentLogger } from '../../reference/util/log';
import { waitFor } from '../../harness/util/wait-for';
import { ScriptedBroker, type Received } from '../control/scripted-broker';

const TIMEOUT_MS = 200;

/** A client that reports orphans into `orphans`; no 8/MMI service check, so the script sees only the requests. */
function clientOf(broker: ScriptedBroker, orphans: Orphan[], attempts: number): MajordomoClient {
  return new MajordomoClient({ broker: broker.endpoint, timeout: TIMEOUT_MS, attempts, backoffInitial: 400, backoffMax: 400, checkService: false, onOrphan: (orphan) => orphans.push(orphan) });
}

const isRequest = (received: Received): boolean => received.message.kind === 'client-request' || received.message.kind === 'job-request';

describe('the reference client drops and reports orphans (issue #19 item 3), against a scripted ROUTER that answers late', () => {
  const brokers: ScriptedBroker[] = [];
  after(() => {
    for (const broker of brokers) broker.close();
  });

  test('a reply that comes after a one-attempt call gave up is reported as a late-reply orphan and never returned', async () => {
    const broker = await ScriptedBroker.start();
    brokers.push(broker);
    const orphans: Orphan[] = [];
    const client = clientOf(broker, orphans, 1);
    try {
      const call = client.request('echo', [Buffer.from('p-1')]);
      const request = await broker.expect((r) => (isRequest(r) ? r : undefined), 'the request');
      await assert.rejects(call, IndefiniteFailure, 'the call gives up: no reply within its one attempt');
      // The answer comes now, after the call ended: to the given-up socket, which the client still watches.
      await broker.send(request.identity, encodeClientReply('echo', [Buffer.from('p-1')]));
      await waitFor(() => orphans.length === 1, { timeoutMs: 2_000, what: 'the late reply to be reported' });
      assert.deepEqual(orphans, [{ job: 'p-1', what: 'late-reply', detail: 'reply from "echo" after its call ended' }]);
    } finally {
      client.close();
    }
  });

  test('KHX/1: the answer to a given-up attempt is an earlier-attempt orphan; the call returns the retry\'s answer only', async () => {
    const broker = await ScriptedBroker.start();
    brokers.push(broker);
    broker.answer = (received) => (received.message.kind === 'client-request' && received.message.service === 'mmi.khx' ? encodeClientReply('mmi.khx', [Buffer.from('200')]) : undefined);
    const orphans: Orphan[] = [];
    const client = clientOf(broker, orphans, 2);
    try {
      const call = client.request('echo', [Buffer.from('j-1')], { job: 'j-1' });
      const first = await broker.expect((r) => (r.message.kind === 'job-request' ? r : undefined), 'the first attempt');
      // Answered after the attempt's timeout and before the retry (backoff 200-400 ms): the first socket gets it.
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 80));
      await broker.send(first.identity, encodeJobReply('echo', Buffer.from('j-1'), KhxStatus.Done, [Buffer.from('from the first attempt')]));
      const from = broker.received.length;
      const retry = await broker.expect((r) => (r.message.kind === 'job-request' ? r : undefined), 'the retry', 3_000, from);
      assert.notEqual(retry.peer, first.peer, 'the retry goes on a fresh socket (Lazy Pirate)');
      await broker.send(retry.identity, encodeJobReply('echo', Buffer.from('j-1'), KhxStatus.Done, [Buffer.from('from the retry')]));
      const reply = await call;
      assert.equal(reply[0]?.toString(), 'from the retry', 'never the orphan');
      await waitFor(() => orphans.length === 1, { timeoutMs: 2_000, what: 'the earlier attempt\'s answer to be reported' });
      assert.deepEqual(orphans, [{ job: 'j-1', what: 'earlier-attempt', detail: 'job reply 200 from "echo" after its attempt was given up (the call went on)' }]);
    } finally {
      client.close();
    }
  });

  test('an acceptance (202) on a given-up socket is no orphan', async () => {
    const broker = await ScriptedBroker.start();
    brokers.push(broker);
    broker.answer = (received) => (received.message.kind === 'client-request' && received.message.service === 'mmi.khx' ? encodeClientReply('mmi.khx', [Buffer.from('200')]) : undefined);
    const orphans: Orphan[] = [];
    const client = clientOf(broker, orphans, 1);
    try {
      const call = client.request('echo', [Buffer.from('j-2')], { job: 'j-2' });
      const request = await broker.expect((r) => (r.message.kind === 'job-request' ? r : undefined), 'the request');
      await assert.rejects(call, IndefiniteFailure);
      await broker.send(request.identity, encodeJobReply('echo', Buffer.from('j-2'), KhxStatus.Accepted));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(orphans, []);
    } finally {
      client.close();
    }
  });

  test('memory is bounded: at most maxSockets given-up sockets are watched, the oldest closed first', () => {
    const watch = new LateReplyWatch({ watchMs: 60_000, maxSockets: 3, onOrphan: () => undefined, log: silentLogger() });
    const sockets = Array.from({ length: 5 }, () => new Dealer({ linger: 0 }));
    for (const socket of sockets) watch.adopt(socket, { job: 'j', service: 'echo', ended: true });
    assert.equal(watch.size, 3);
    assert.deepEqual(
      sockets.map((socket) => socket.closed),
      [true, true, false, false, false],
    );
    watch.close();
    assert.equal(watch.size, 0);
    assert.ok(sockets.every((socket) => socket.closed));
  });
});
