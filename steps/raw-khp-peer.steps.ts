import { Given, Then } from '@cucumber/cucumber';
import { ClauseBroken } from '../harness/probe/clause-broken';
import { cumulativeAck, eviction, malformedDropped, streamOrder, type ProxyUnderTest } from '../harness/probe/proxy-scripts';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/** Steps where raw KHP/1 peers of the harness (harness/probe/khp-peer.ts) speak to the proxy under test frame by frame. */

function proxyUnderTest(world: KeelhaulWorld): ProxyUnderTest {
  const { pubsub, timing } = world.harness;
  const node = pubsub.proxy;
  if (node === undefined) throw new Error('no pub/sub proxy was started');
  return {
    endpoint: pubsub.proxyEndpoint,
    heartbeatMs: timing.heartbeatInterval,
    livenessMs: livenessPeriod(timing),
    running: () => node.running,
    exitEvidence: () => `${node.lastExit ?? 'exit unknown'}; last log lines: ${node.logTail().slice(-5).join(' | ')}`,
  };
}

Given('a pub\\/sub proxy that evicts a subscriber id after {int} ms without a session', async function (this: KeelhaulWorld, evictionMs: number) {
  this.subscriberEviction = scaled(evictionMs);
  await this.harness.pubsub.startProxy({ subscriberEviction: this.subscriberEviction });
});

Then('raw peers sending the proxy malformed messages are dropped, and it keeps serving', { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  await malformedDropped(proxyUnderTest(this));
});

Then('a raw subscriber acknowledging cumulatively, and far ahead, gets each message once', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  await cumulativeAck(proxyUnderTest(this));
});

Then('a raw publisher\'s windowed puts are decided in its stream order', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  await streamOrder(proxyUnderTest(this));
});

Then('a raw subscriber that subscribed and left without a session is welcomed back without its subscription', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  if (this.subscriberEviction === undefined) throw new Error('the proxy was not started with an eviction bound (Given a pub/sub proxy that evicts a subscriber id after N ms without a session)');
  await eviction(proxyUnderTest(this), this.subscriberEviction);
});

Then('the pub\\/sub proxy is still running', function (this: KeelhaulWorld) {
  const { running, exitEvidence } = proxyUnderTest(this);
  if (!running()) throw new ClauseBroken('khp1:malformed-dropped', `the proxy exited (${exitEvidence()})`);
});
