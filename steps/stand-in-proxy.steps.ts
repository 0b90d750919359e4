import { Given, Then } from '@cucumber/cucumber';
import { publisherOutcomes, type PublisherUnderTest } from '../harness/probe/publisher-scripts';
import { parseSubscriberScript, SUBSCRIBER_SCRIPTS, type SubscriberUnderTest } from '../harness/probe/subscriber-scripts';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/** Steps where the harness stands in for the pub/sub proxy (harness/probe/stand-in-proxy.ts) to judge a subscriber alone. */

const COMMAND_TIMEOUT_MS = scaled(5_000);

Given('a stand-in pub\\/sub proxy of the harness', async function (this: KeelhaulWorld) {
  await this.harness.pubsub.startStandInProxy();
});

Then('{string}, facing the stand-in proxy, follows the script {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, name: string, scriptName: string) {
  const script = SUBSCRIBER_SCRIPTS[parseSubscriberScript(scriptName)];
  const { pubsub, history, timing } = this.harness;
  const proxy = pubsub.standIn;
  if (proxy === undefined) throw new Error('no stand-in proxy was started (Given a stand-in pub/sub proxy of the harness)');
  const node = pubsub.subscriber(name);
  const errors: { topic?: string; error: string }[] = [];
  const stopListening = node.onReport((report) => {
    if (report.type !== 'error') return;
    const { topic, error } = report as { topic?: unknown; error?: unknown };
    errors.push({ ...(typeof topic === 'string' ? { topic } : {}), error: typeof error === 'string' ? error : '' });
  });
  const subscriber: SubscriberUnderTest = {
    name,
    subscribe: (topic) => pubsub.subscribe(node, topic, COMMAND_TIMEOUT_MS),
    unsubscribe: (topic) => pubsub.unsubscribe(node, topic, COMMAND_TIMEOUT_MS),
    delivered: () => history.events().flatMap((event) => (event.type === 'deliver' && event.subscriber === name ? [{ topic: event.topic, msg: event.msg }] : [])),
    errors: () => errors,
  };
  try {
    await script(proxy, subscriber, { heartbeatMs: timing.heartbeatInterval, livenessMs: livenessPeriod(timing) });
  } finally {
    stopListening();
  }
});

Then('{string}, facing the stand-in proxy, reports each put as its answer says', { timeout: scaled(90_000) }, async function (this: KeelhaulWorld, name: string) {
  const { pubsub, history, timing } = this.harness;
  const proxy = pubsub.standIn;
  if (proxy === undefined) throw new Error('no stand-in proxy was started (Given a stand-in pub/sub proxy of the harness)');
  const node = pubsub.node(name);
  const publisher: PublisherUnderTest = {
    name,
    put: (topic, msg) => node.send({ type: 'put', topic, msg, payload: `payload of ${msg}` }),
    outcome: (msg) => history.events().find((event) => (event.type === 'put-ok' || event.type === 'put-fail' || event.type === 'put-info') && event.process === name && event.msg === msg)?.type,
  };
  await publisherOutcomes(proxy, publisher, { attemptTimeoutMs: timing.clientTimeout, attempts: timing.clientAttempts, backoffMaxMs: timing.backoffMax, livenessMs: livenessPeriod(timing) });
});
