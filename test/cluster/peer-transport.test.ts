import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PeerTransport } from '../../reference/cluster/peer-transport';
import type { RaftMessage } from '../../reference/replication/messages';
import { silentLogger } from '../../reference/util/log';

const VOTE: RaftMessage = { type: 'pre-vote', from: 'broker-1', to: 'broker-2', term: 3, lastIndex: 0, lastTerm: 0 };

describe('PeerTransport', () => {
  // A cluster storm found it: a snapshot's address book replaced a peer's socket while sends to it were
  // queued, the closed socket threw at once, and the broker died of the unhandled rejection.
  test('sends queued for a peer whose socket is replaced are dropped, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const transport = new PeerTransport({ self: 'broker-1', bind: 'tcp://127.0.0.1:*', log: silentLogger(), onMessage: () => undefined });
    try {
      transport.setPeer('broker-2', 'tcp://127.0.0.1:1');
      transport.send([VOTE, VOTE, VOTE]);
      transport.setPeer('broker-2', 'tcp://127.0.0.1:2');
      transport.send([VOTE]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(unhandled, []);
      assert.equal(transport.counts.sent + transport.counts.dropped, 4);
    } finally {
      transport.close();
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
