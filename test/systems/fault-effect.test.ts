import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HistoryRecorder } from '../../harness/history/recorder';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { SCENARIO_TIMING } from '../../harness/timing/timing';
import { PubSubSystem } from '../../harness/systems/pubsub/pubsub-system';
import { RequestReplySystem } from '../../harness/systems/request-reply/request-reply-system';
import type { SystemContext } from '../../harness/systems/system';
import { whatItHits } from '../../harness/nemesis/what-it-hits';

/** A node as far as `faultEffect` looks at one: its name and whether it runs. */
function fakeNode(name: string, running = true): NodeHandle {
  return { name, role: name.replace(/-\d+$/, ''), running, frozen: false } as NodeHandle;
}

function context(history: HistoryRecorder): SystemContext<never> {
  // Nothing is started here: the systems are given nodes directly, so runtime and implementation are never used.
  return { runtime: undefined as never, implementation: undefined as never, timing: SCENARIO_TIMING, history, stateDir: '/nonexistent' };
}

describe('what a fault hits, as each system answers', () => {
  test('request-reply: a running worker always (heartbeats), a client only with calls open, the broker every open call; on links the broker end adds nothing', () => {
    const history = new HistoryRecorder();
    const system = new RequestReplySystem(context(history));
    system.broker = fakeNode('broker');
    system.workers.push(fakeNode('worker-1'), fakeNode('worker-2', false));
    system.clients.push(fakeNode('client-1'), fakeNode('client-2'));
    history.record({ type: 'invoke', process: 'client-1', job: 'j-1', service: 'echo' });

    assert.deepEqual(system.faultEffect(['worker-1'], 'node'), { hit: true, jobsInFlight: [] });
    assert.deepEqual(system.faultEffect(['worker-2'], 'node'), { hit: false, jobsInFlight: [] });
    assert.deepEqual(system.faultEffect(['client-1'], 'node'), { hit: true, jobsInFlight: ['j-1'] });
    assert.deepEqual(system.faultEffect(['client-2'], 'node'), { hit: false, jobsInFlight: [] });
    assert.deepEqual(system.faultEffect(['broker'], 'node'), { hit: true, jobsInFlight: ['j-1'] });
    assert.deepEqual(system.faultEffect(['client-2', 'broker'], 'links'), { hit: false, jobsInFlight: [] });
  });

  test('pub/sub: a subscriber with a live subscription or messages owed is hit, one with neither is not; a publisher only with a put in flight', () => {
    const history = new HistoryRecorder();
    const system = new PubSubSystem(context(history));
    system.proxy = fakeNode('pubsub-proxy');
    system.publishers.push(fakeNode('publisher-1'));
    system.subscribers.push(fakeNode('subscriber-1'), fakeNode('subscriber-2'));
    history.record({ type: 'subscribe', subscriber: 'subscriber-1', topic: 'news' });
    history.record({ type: 'subscribed', subscriber: 'subscriber-1', topic: 'news' });

    assert.equal(system.faultEffect(['subscriber-2'], 'node').hit, false, 'no subscription, nothing owed: nothing to hit');
    assert.equal(system.faultEffect(['publisher-1'], 'node').hit, false, 'no put in flight');
    assert.deepEqual(system.faultEffect(['subscriber-1'], 'node'), { hit: true, subscriptions: ['subscriber-1:news'], messagesOwed: 0, putsInFlight: [] });

    history.record({ type: 'put', process: 'publisher-1', topic: 'news', msg: 'm-1' });
    assert.deepEqual(system.faultEffect(['publisher-1', 'pubsub-proxy'], 'links'), { hit: true, subscriptions: [], messagesOwed: 0, putsInFlight: ['m-1'] });
    history.record({ type: 'put-ok', process: 'publisher-1', topic: 'news', msg: 'm-1' });
    history.record({ type: 'unsubscribe', subscriber: 'subscriber-1', topic: 'news' });
    // Unsubscribed, but still owed what was accepted while subscribed.
    assert.deepEqual(system.faultEffect(['subscriber-1'], 'node'), { hit: true, subscriptions: [], messagesOwed: 1, putsInFlight: [] });
    history.record({ type: 'deliver', subscriber: 'subscriber-1', topic: 'news', msg: 'm-1', publisher: 'publisher-1' });
    assert.equal(system.faultEffect(['subscriber-1'], 'node').hit, false);
    // The proxy holds every session and every owed message while it runs.
    assert.equal(system.faultEffect(['pubsub-proxy'], 'node').hit, true);
  });

  test('a fault across systems adds up their answers; nodes no system owns get no answer', () => {
    const history = new HistoryRecorder();
    const rr = new RequestReplySystem(context(history));
    rr.workers.push(fakeNode('worker-1'));
    const ps = new PubSubSystem(context(history));
    ps.subscribers.push(fakeNode('subscriber-1'));
    assert.deepEqual(whatItHits([rr, ps], ['worker-1', 'subscriber-1'], 'node'), { hit: true, jobsInFlight: [], subscriptions: [], messagesOwed: 0, putsInFlight: [] });
    assert.equal(whatItHits([rr, ps], ['stranger'], 'node'), undefined);
  });
});
