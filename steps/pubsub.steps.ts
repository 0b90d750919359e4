import { Given, Then, When } from '@cucumber/cucumber';
import { checkPubSub } from '../harness/checker/pubsub';
import { livenessPeriod, recoveryBound } from '../harness/cluster/timing';
import { describeSchedule } from '../harness/nemesis/fault-schedule';
import { runPubSubStorm } from '../harness/scenario/pubsub-storm-run';
import { PubSubWorkload } from '../harness/workload/pubsub-workload';
import { waitFor } from '../harness/util/wait-for';
import { expectCaughtUpAfterFault, expectRefusedWhileFrozen } from '../harness/scenario/pubsub-expectations';
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

Given('a pub\\/sub proxy that keeps at most {int} messages pending per subscriber', async function (this: KeelhaulWorld, maxPending: number) {
  await this.harness.pubsub.startProxy({ maxPending });
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

/** Waits (bounded) until `name` has reported `received` deliveries: the fault then strikes mid-stream. */
async function subscriberWithDeliveries(world: KeelhaulWorld, name: string, received: number) {
  const { pubsub, history } = world.harness;
  const subscriber = pubsub.subscriber(name);
  const count = () => history.events().filter((e) => e.type === 'deliver' && e.subscriber === name).length;
  await waitFor(() => count() >= received, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to receive ${received} messages` });
  return subscriber;
}

When('{string} is killed once it has received {int} messages, and restarted {int} ms later', async function (this: KeelhaulWorld, name: string, received: number, pauseMs: number) {
  const subscriber = await subscriberWithDeliveries(this, name, received);
  // Restarted from the same spec: the same durable id and positions file, so it resumes where it was.
  const fault = await this.harness.nemesis.kill(subscriber, { restartAfterMs: pauseMs });
  this.rememberFault(fault, subscriber);
  this.markHealed();
});

When('{string} is frozen for {int} liveness periods once it has received {int} messages', async function (this: KeelhaulWorld, name: string, periods: number, received: number) {
  const subscriber = await subscriberWithDeliveries(this, name, received);
  const fault = await this.harness.nemesis.freeze(subscriber, periods * livenessPeriod(this.harness.timing));
  this.rememberFault(fault, subscriber);
  this.markHealed();
});

When('{string} is cut off from the network for {int} liveness periods once it has received {int} messages', async function (this: KeelhaulWorld, name: string, periods: number, received: number) {
  const subscriber = await subscriberWithDeliveries(this, name, received);
  const fault = await this.harness.isolate(subscriber, periods * livenessPeriod(this.harness.timing));
  this.rememberFault(fault, subscriber);
  this.markHealed();
});

When(
  'each publisher puts round-robin on {string} until at least {int} messages are accepted, through a crash storm of {int} proxy crashes, {int} subscriber crashes and {int} subscriber freezes over {int} seconds',
  { timeout: 180_000 },
  async function (this: KeelhaulWorld, topics: string, minAccepted: number, proxyCrashes: number, subscriberCrashes: number, subscriberFreezes: number, seconds: number) {
    this.pubsubStorm = await runPubSubStorm(
      this.harness,
      { topics: topicList(topics), minAccepted, proxyCrashes, subscriberCrashes, subscriberFreezes, windowMs: seconds * 1000 },
      (schedule) => {
        // On the console as well as in the report: the seed is what a failing CI run needs to be replayed.
        const described = describeSchedule(schedule);
        process.stderr.write(`\npub/sub crash storm seed ${schedule.seed} (replay: KEELHAUL_SEED=${schedule.seed} npm run features -- --tags "@pubsub and @storm")\n${described}\n`);
        this.attach(described, 'text/plain');
      },
    );
    this.pubsubWorkload = this.pubsubStorm.workload;
    // The storm waited for the puts already; later steps only read them.
    this.workloadBound = 1;
  },
);

Then('the pub\\/sub proxy was crashed and restarted at least {int} times', function (this: KeelhaulWorld, times: number) {
  if (!this.pubsubStorm) throw new Error('no pub/sub crash storm ran');
  const proxy = this.harness.pubsub.proxy?.name ?? '';
  const { faults, skipped } = this.pubsubStorm.storm;
  const crashes = faults.filter((fault) => fault.fault === 'crash-restart' && fault.targets.includes(proxy)).length;
  const why = skipped.map((s) => `${s.fault.kind} ${s.fault.target} at ${s.fault.at} ms: ${s.reason}`);
  if (crashes < times) throw new Error(`the pub/sub proxy was crashed ${crashes} times, fewer than ${times}${why.length ? `; skipped: ${why.join('; ')}` : ''}`);
});

Then('at least {int} messages were accepted', function (this: KeelhaulWorld, messages: number) {
  const accepted = this.harness.history.events().filter((event) => event.type === 'put-ok').length;
  if (accepted < messages) throw new Error(`only ${accepted} messages were accepted, fewer than ${messages}`);
});

Then('{string} missed messages while the fault lasted and got them after it', function (this: KeelhaulWorld, name: string) {
  // Guards against a vacuous pass: a fault while nothing flowed to the subscriber proves nothing.
  this.attach(expectCaughtUpAfterFault(this.harness.history.events(), name), 'text/plain');
});

Then('some puts were refused as busy while {string} was frozen, none before, and puts were accepted again after', function (this: KeelhaulWorld, name: string) {
  this.attach(expectRefusedWhileFrozen(this.harness.history.events(), name), 'text/plain');
});

Then('every subscriber gets each message it is owed exactly once, in each publisher\'s order', { timeout: 30_000 }, async function (this: KeelhaulWorld) {
  const { history, timing } = this.harness;
  // Deliveries trail the last put: wait (bounded) until nothing owed is missing, then judge everything.
  await waitFor(() => checkPubSub(history.events()).counts.lost === 0, { timeoutMs: recoveryBound(timing) + 5_000, what: 'every owed message to be delivered' }).catch(() => undefined);
  const { judgement, summary } = this.harness.checkPubSub('pubsub-exactly-once');
  this.attach(summary, 'text/plain');
  if (judgement.verdict !== 'PASS') throw new Error(summary);
});

Then('the pub\\/sub checker counts every anomaly, and every count is zero', function (this: KeelhaulWorld) {
  const { judgement, summary } = this.harness.checkPubSub('pubsub-exactly-once');
  // On the console as well as in the report: a storm's counts are what a reader of a CI log looks for.
  process.stderr.write(`${summary}\n`);
  this.attach(summary, 'text/plain');
  if (judgement.verdict !== 'PASS') throw new Error(summary);
});
