import { Given, Then, When } from '@cucumber/cucumber';
import { checkPubSub, formatPubSubResult } from '../harness/checker/pubsub';
import { recoveryBound } from '../harness/cluster/timing';
import { PubSubWorkload } from '../harness/workload/pubsub-workload';
import { waitFor } from '../harness/util/wait-for';
import type { KeelhaulWorld } from './world';

const COMMAND_TIMEOUT_MS = 5_000;
const FIND_TRAFFIC_TIMEOUT_MS = 10_000;

function topicList(text: string): string[] {
  return text.split(',').map((topic) => topic.trim()).filter(Boolean);
}

function startPuts(world: KeelhaulWorld, messages: number, topics: string): void {
  const list = topicList(topics);
  world.pubsubWorkload = new PubSubWorkload(world.harness.pubsub.publishers, world.harness.history, { messagesPerPublisher: messages, topicsOf: () => list }).start();
}

/** Every put may take a whole publisher bound; a generous ceiling keeps a hung run bounded. */
function putsBound(world: KeelhaulWorld, messages: number): number {
  const t = world.harness.timing;
  return Math.min(120_000, 10_000 + messages * 50 + t.clientAttempts * (t.clientTimeout + t.backoffMax));
}

Given('a pub\\/sub proxy', async function (this: KeelhaulWorld) {
  await this.harness.pubsub.startProxy();
});

Given('{int} publisher(s)', async function (this: KeelhaulWorld, count: number) {
  await this.harness.pubsub.startPublishers(count);
});

Given('{int} subscriber(s)', async function (this: KeelhaulWorld, count: number) {
  await this.harness.pubsub.startSubscribers(count);
});

Given('{string} subscribes to {string}', async function (this: KeelhaulWorld, name: string, topics: string) {
  const { pubsub } = this.harness;
  for (const topic of topicList(topics)) await pubsub.subscribe(pubsub.subscriber(name), topic, COMMAND_TIMEOUT_MS);
});

When('{string} unsubscribes from {string}', async function (this: KeelhaulWorld, name: string, topics: string) {
  const { pubsub } = this.harness;
  for (const topic of topicList(topics)) await pubsub.unsubscribe(pubsub.subscriber(name), topic, COMMAND_TIMEOUT_MS);
});

When('each publisher starts putting {int} messages round-robin on {string}', function (this: KeelhaulWorld, messages: number, topics: string) {
  startPuts(this, messages, topics);
  this.workloadBound = putsBound(this, messages);
});

When('each publisher puts {int} messages round-robin on {string}', { timeout: 130_000 }, async function (this: KeelhaulWorld, messages: number, topics: string) {
  startPuts(this, messages, topics);
  await this.pubsubWorkload!.wait(putsBound(this, messages));
});

Then('the puts finish', { timeout: 130_000 }, async function (this: KeelhaulWorld) {
  if (!this.pubsubWorkload) throw new Error('no puts were started');
  await this.pubsubWorkload.wait(this.workloadBound);
});

When('the pub\\/sub proxy is killed once {int} messages are accepted, and restarted {int} ms later', async function (this: KeelhaulWorld, accepted: number, pauseMs: number) {
  const { pubsub, history, nemesis } = this.harness;
  await waitFor(() => history.events().filter((e) => e.type === 'put-ok').length >= accepted, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${accepted} accepted messages` });
  if (!pubsub.proxy) throw new Error('no pub/sub proxy was started');
  const fault = await nemesis.kill(pubsub.proxy, { restartAfterMs: pauseMs });
  this.rememberFault(fault, pubsub.proxy);
  this.markHealed();
});

When('{int} messages have been accepted', async function (this: KeelhaulWorld, accepted: number) {
  const { history } = this.harness;
  await waitFor(() => history.events().filter((e) => e.type === 'put-ok').length >= accepted, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${accepted} accepted messages` });
});

When('{string} is killed once it has received {int} messages, and restarted {int} ms later', async function (this: KeelhaulWorld, name: string, received: number, pauseMs: number) {
  const { pubsub, history, nemesis } = this.harness;
  const subscriber = pubsub.subscriber(name);
  const count = () => history.events().filter((e) => e.type === 'deliver' && e.subscriber === name).length;
  await waitFor(() => count() >= received, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to receive ${received} messages` });
  // Restarted from the same spec: the same durable id and positions file, so it resumes where it was.
  const fault = await nemesis.kill(subscriber, { restartAfterMs: pauseMs });
  this.rememberFault(fault, subscriber);
  this.markHealed();
});

Then('every subscriber gets each message it is owed exactly once, in each publisher\'s order', { timeout: 30_000 }, async function (this: KeelhaulWorld) {
  const { history, timing } = this.harness;
  // Deliveries trail the last put: wait (bounded) until nothing owed is missing, then judge everything.
  await waitFor(() => checkPubSub(history.events()).counts.lost === 0, { timeoutMs: recoveryBound(timing) + 5_000, what: 'every owed message to be delivered' }).catch(() => undefined);
  const result = checkPubSub(history.events());
  const summary = formatPubSubResult(result);
  this.attach(summary, 'text/plain');
  if (result.anomalies.length > 0) throw new Error(summary);
});
