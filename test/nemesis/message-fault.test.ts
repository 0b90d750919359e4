import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dealer, Router } from 'zeromq';
import { checkFaultShapes } from '../../harness/checker/common/fault-misshapen';
import { checkFaultsHit } from '../../harness/checker';
import type { NemesisEvent } from '../../harness/history/event';
import { HistoryRecorder } from '../../harness/history/recorder';
import { LinkNemesis } from '../../harness/nemesis/link-nemesis';
import { HEARTBEATS } from '../../harness/nemesis/message-fault';
import { ProxiedNetwork } from '../../harness/network/proxied-network';
import { HOST, freePort, startFaultProxy, withCleanup } from '../toxiproxy/support';

/**
 * The link nemesis with a message fault, on a real fault proxy and real zeromq.js sockets: the
 * counts the proxy keeps reach the fault's end event, and a fault that affected nothing is an
 * `ineffective-fault`.
 */

const RECEIVE_TIMEOUT_MS = 3000;

test('a message fault records on its end what it matched and affected; one that affected nothing is an ineffective-fault', async () => {
  await withCleanup(async (defer) => {
    const server = await startFaultProxy();
    defer(() => server.close());
    const network = await ProxiedNetwork.create(
      {
        faultProxy: async () => ({
          url: server.url,
          allocatePort: freePort,
          listenAddress: (port) => `${HOST}:${port}`,
          endpoint: (port) => `tcp://${HOST}:${port}`,
          close: async () => undefined,
        }),
      },
      '/dev/null',
    );
    defer(() => network.close());
    const brokerPort = await freePort();
    const router = new Router({ linger: 0 });
    const dealer = new Dealer({ linger: 0 });
    defer(() => router.close());
    defer(() => dealer.close());
    await router.bind(`tcp://${HOST}:${brokerPort}`);
    const link = await network.link('worker-1', 'broker', `tcp://${HOST}:${brokerPort}`);
    dealer.connect(link.endpoint);
    const history = new HistoryRecorder();
    const nemesis = new LinkNemesis(network, () => [], history);

    const lost = await nemesis.begin({ kind: 'drop-messages', match: HEARTBEATS }, { of: ['worker-1'] }, 'forward');
    assert.equal(lost.event.effect?.hit, undefined, 'a message fault is not judged by what was in flight when it began');
    await dealer.send([Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([4])]);
    await dealer.send([Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([5])]);
    const timer = setTimeout(() => router.close(), RECEIVE_TIMEOUT_MS);
    const [, , , command] = await router.receive();
    clearTimeout(timer);
    assert.deepEqual([...command], [5], 'the heartbeat was dropped, the DISCONNECT behind it arrived');
    await lost.untilMessagesAffected(1, RECEIVE_TIMEOUT_MS);
    await lost.heal();

    const idle = await nemesis.begin({ kind: 'duplicate-messages', match: { command: 'REPLY' } }, { of: ['worker-1'] });
    await idle.heal();

    const ends = history.events().filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end');
    assert.deepEqual(ends.map((end) => ({ ...end.effect, measured: undefined })), [
      { messages: { matched: 1, affected: 1, unparsedStreams: 0 }, hit: true, measured: undefined },
      { messages: { matched: 0, affected: 0, unparsedStreams: 0 }, hit: false, measured: undefined },
    ]);
    assert.deepEqual(checkFaultShapes(history.events()), [], 'both message faults had the shape asked for');
    const findings = checkFaultsHit(history.events());
    assert.equal(findings.length, 1);
    assert.match(findings[0].detail, /duplicate-messages on worker-1, broker matched 0 message\(s\) and affected none/);
  });
});
