import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort } from '../../harness/runtime/ports';
import { KhpPeer, khpCommand } from '../../harness/probe/khp-peer';
import { StandInProxy } from '../../harness/probe/stand-in-proxy';

/** The stand-in proxy and the raw KHP/1 peer on real zeromq sockets over 127.0.0.1. */
describe('stand-in proxy', () => {
  test('records what a peer sends and what it sent, in order, and answers that peer', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const proxy = await StandInProxy.bind(endpoint, 20);
    const peer = new KhpPeer(endpoint);
    try {
      await peer.send('HELLO', 'sub-1', 'news', 3);
      const hello = await proxy.expect((heard) => heard.command === 'HELLO', { timeoutMs: 2_000, what: 'HELLO' });
      assert.deepEqual(hello.args, ['sub-1', 'news', '3']);
      const mark = proxy.mark;
      await proxy.send('WELCOME', 'news', 3);
      assert.deepEqual(await peer.next(khpCommand('WELCOME'), 2_000), { command: 'WELCOME', args: ['news', '3'] });
      assert.equal(proxy.lastSent('WELCOME'), mark);
      await peer.send('ACK', 'news', 4);
      await proxy.expect((heard) => heard.command === 'ACK' && heard.index > hello.index, { timeoutMs: 2_000, what: 'ACK' });
      assert.equal(proxy.describe(), 'HELLO sub-1 news 3, >WELCOME news 3, ACK news 4');
    } finally {
      peer.close();
      await proxy.close();
    }
  });

  test('expect names what it waited for and what it heard when nothing matches', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const proxy = await StandInProxy.bind(endpoint, 20);
    try {
      await assert.rejects(proxy.expect(() => false, { timeoutMs: 50, what: 'SUBSCRIBE news' }), /heard no SUBSCRIBE news within 50 ms \(heard: nothing\)/);
      await assert.rejects(proxy.send('WELCOME'), /no peer to send WELCOME to/);
    } finally {
      await proxy.close();
    }
  });

  test('binds only a 127.0.0.1 TCP endpoint', async () => {
    await assert.rejects(StandInProxy.bind('tcp://0.0.0.0:5999', 20), /binds only tcp:\/\/127\.0\.0\.1:<port>/);
  });
});
