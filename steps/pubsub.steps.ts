import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { checkPubSub } from '../harness/checker/pubsub';
import { livenessPeriod, recoveryBound } from '../harness/timing/timing';
import { givenStormFaults } from '../harness/nemesis/fault-table';
import { describeSkipped } from '../harness/nemesis/crash-storm';
import type { StormOptions } from '../harness/nemesis/storm-run';
import { announceSchedule } from './announce-schedule';
import { pubSubStormLoad } from '../harness/systems/pubsub/storm-load';
import { waitFor } from '../harness/util/wait-for';
import { expectCaughtUpAfterFault, expectRefusedWhileFrozen, expectRetainedAcrossRestart } from '../harness/systems/pubsub/expectations';
import { expectPass, Inconclusive } from '../harness/verdict/inconclusive';
import type { CatchingUp } from '../harness/checker/pubsub';
import { scaled } from '../harness/util/time-scale';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeelhaulWorld } from './world';
import { callerStopGrace, STOP_GRACE_MS } from './stop-grace';

const COMMAND_TIMEOUT_MS = scaled(5_000);
const FIND_TRAFFIC_TIMEOUT_MS = scaled(10_000);
/** After a fault on the pub/sub system heals, the puts go on until this many more were accepted. */
const ACCEPTED_AFTER_HEAL = 10;
/** How much longer than their count the puts may go on waiting for that. */
const PUTS_AFTER_HEAL_BOUND_MS = scaled(30_000);
/** The longest the drain before a pub/sub check may take while deliveries still progress. */
const DRAIN_CAP_MS = scaled(60_000);

function topicList(text: string): string[] {
  return text.split(',').map((topic) => topic.trim()).filter(Boolean);
}

function startPuts(world: KeelhaulWorld, messages: number, topics: string): void {
  const list = topicList(topics);
  const { pubsub, timing } = world.harness;
  world.pubsubWorkload = pubsub.workload({ messagesPerPublisher: messages, topicsOf: () => list, backoffAfterFailMs: timing.backoffInitial }).start();
}

/** Every put may take a whole publisher bound; a generous ceiling keeps a hung run bounded. */
function putsBound(world: KeelhaulWorld, messages: number): number {
  const t = world.harness.timing;
  return Math.min(scaled(120_000), scaled(10_000) + messages * scaled(50) + t.clientAttempts * (t.clientTimeout + t.backoffMax)) + PUTS_AFTER_HEAL_BOUND_MS;
}

/**
 * Before a fault: the puts must not run out before it has healed and some puts were accepted after
 * it, however fast they went before; otherwise "after the fault" would race the workload's count.
 */
function keepPuttingPastTheFault(world: KeelhaulWorld): void {
  const { history } = world.harness;
  world.healedAt = 0;
  const acceptedAfterHeal = () => world.healedAt > 0 && history.events().filter((e) => e.type === 'put-ok' && e.t > world.healedAt).length >= ACCEPTED_AFTER_HEAL;
  world.pubsubWorkload?.keepPuttingUntil(acceptedAfterHeal, PUTS_AFTER_HEAL_BOUND_MS);
}

/**
 * Waits while deliveries still progress (no new delivery for a recovery bound ends it, or the cap),
 * then says when: a subscriber still receiving at that point is catching up, not losing messages.
 */
async function drainDeliveries(world: KeelhaulWorld): Promise<CatchingUp> {
  const { history, timing } = world.harness;
  const stallMs = recoveryBound(timing);
  const deliveries = () => history.events().filter((e) => e.type === 'deliver').length;
  const started = performance.now();
  let seen = deliveries();
  let progressAt = performance.now();
  // Checking a long history costs CPU the system needs: poll every 100 ms, not in a tight loop.
  while (checkPubSub(history.events()).counts.lost > 0 && performance.now() - started < DRAIN_CAP_MS) {
    await sleep(100);
    const now = deliveries();
    if (now > seen) {
      seen = now;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > stallMs) {
      break;
    }
  }
  return { checkedAt: history.now(), windowMs: stallMs };
}

Given('a pub\\/sub proxy', async function (this: KeelhaulWorld) {
  await this.harness.pubsub.startProxy();
});

Given('a pub\\/sub proxy that keeps at most {int} messages pending per subscriber', async function (this: KeelhaulWorld, maxPending: number) {
  await this.harness.pubsub.startProxy({ maxPending });
  this.maxPending = maxPending;
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

When('each publisher puts {int} messages round-robin on {string}', { timeout: scaled(130_000) + PUTS_AFTER_HEAL_BOUND_MS }, async function (this: KeelhaulWorld, messages: number, topics: string) {
  startPuts(this, messages, topics);
  await this.pubsubWorkload!.wait(putsBound(this, messages));
});

Then('the puts finish', { timeout: scaled(130_000) + PUTS_AFTER_HEAL_BOUND_MS }, async function (this: KeelhaulWorld) {
  if (!this.pubsubWorkload) throw new Error('no puts were started');
  await this.pubsubWorkload.wait(this.workloadBound);
});

async function crashProxyOnceAccepted(world: KeelhaulWorld, accepted: number, pauseMs: number, kind: 'crash-restart' | 'lose-unsynced-writes'): Promise<void> {
  const { pubsub } = world.harness;
  keepPuttingPastTheFault(world);
  await waitFor(() => pubsub.accepted() >= accepted, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${accepted} accepted messages` });
  await crashProxyNow(world, pauseMs, kind);
}

When('the pub\\/sub proxy is killed once {int} messages are accepted, and restarted {int} ms later', async function (this: KeelhaulWorld, accepted: number, pauseMs: number) {
  await crashProxyOnceAccepted(this, accepted, pauseMs, 'crash-restart');
});

// A power cut (docs/power-loss.md): the crash, and whatever the proxy wrote without making it durable is gone.
When('the pub\\/sub proxy loses its unsynced writes once {int} messages are accepted, and restarts {int} ms later', async function (this: KeelhaulWorld, accepted: number, pauseMs: number) {
  await crashProxyOnceAccepted(this, accepted, pauseMs, 'lose-unsynced-writes');
});

async function crashProxyNow(world: KeelhaulWorld, pauseMs: number, kind: 'crash-restart' | 'lose-unsynced-writes'): Promise<void> {
  const { pubsub } = world.harness;
  if (!pubsub.proxy) throw new Error('no pub/sub proxy was started');
  await world.strike({ kind, target: pubsub.proxy.name, pauseMs: scaled(pauseMs) }, pubsub.proxy);
}

When('the pub\\/sub proxy is killed at once, with no puts after it, and restarted {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  await crashProxyNow(this, pauseMs, 'crash-restart');
});

When('the pub\\/sub proxy loses its unsynced writes at once, with no puts after it, and restarts {int} ms later', async function (this: KeelhaulWorld, pauseMs: number) {
  await crashProxyNow(this, pauseMs, 'lose-unsynced-writes');
});

When('{string} is killed, keeping its durable subscriptions', async function (this: KeelhaulWorld, name: string) {
  const subscriber = this.harness.pubsub.subscriber(name);
  // No restart yet: what is accepted for it meanwhile can only wait in the proxy's journal.
  await this.strike({ kind: 'kill', target: subscriber.name }, subscriber);
});

When('{string} is started again', async function (this: KeelhaulWorld, name: string) {
  // The same spec: the same durable id and positions file, so it asks for what it missed.
  await this.harness.pubsub.subscriber(name).restart();
});

When('{int} messages have been accepted', async function (this: KeelhaulWorld, accepted: number) {
  const { history } = this.harness;
  await waitFor(() => history.events().filter((e) => e.type === 'put-ok').length >= accepted, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${accepted} accepted messages` });
});

/** Waits (bounded) until `name` has reported `received` deliveries: the fault then strikes mid-stream. */
async function subscriberWithDeliveries(world: KeelhaulWorld, name: string, received: number) {
  const { pubsub, history } = world.harness;
  keepPuttingPastTheFault(world);
  const subscriber = pubsub.subscriber(name);
  const count = () => history.events().filter((e) => e.type === 'deliver' && e.subscriber === name).length;
  await waitFor(() => count() >= received, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${name} to receive ${received} messages` });
  return subscriber;
}

async function crashSubscriberOnceReceived(world: KeelhaulWorld, name: string, received: number, pauseMs: number, kind: 'crash-restart' | 'lose-unsynced-writes'): Promise<void> {
  const subscriber = await subscriberWithDeliveries(world, name, received);
  // Restarted from the same spec: the same durable id and positions file, so it resumes where it was.
  await world.strike({ kind, target: subscriber.name, pauseMs: scaled(pauseMs) }, subscriber);
}

When('{string} is killed once it has received {int} messages, and restarted {int} ms later', async function (this: KeelhaulWorld, name: string, received: number, pauseMs: number) {
  await crashSubscriberOnceReceived(this, name, received, pauseMs, 'crash-restart');
});

// A power cut (docs/power-loss.md): what the subscriber wrote of its positions without making it durable is gone.
When('{string} loses its unsynced writes once it has received {int} messages, and restarts {int} ms later', async function (this: KeelhaulWorld, name: string, received: number, pauseMs: number) {
  await crashSubscriberOnceReceived(this, name, received, pauseMs, 'lose-unsynced-writes');
});

When('{string} is frozen for {int} liveness periods once it has received {int} messages', async function (this: KeelhaulWorld, name: string, periods: number, received: number) {
  const subscriber = await subscriberWithDeliveries(this, name, received);
  await this.strike({ kind: 'freeze', target: subscriber.name, durationMs: periods * livenessPeriod(this.harness.timing) }, subscriber);
});

When('{string} is cut off from the network for {int} liveness periods once it has received {int} messages', async function (this: KeelhaulWorld, name: string, periods: number, received: number) {
  const subscriber = await subscriberWithDeliveries(this, name, received);
  await this.strike({ kind: 'isolate', target: subscriber.name, durationMs: periods * livenessPeriod(this.harness.timing) }, subscriber);
});

const stopHow = (how: string) => (how === 'SIGTERM' ? 'signal' : 'stdin') as 'signal' | 'stdin';

// A publisher shut down mid-stream: the workload gives it no more puts, and what it was told was accepted must still arrive.
When(/^"([^"]+)" is stopped gracefully by (SIGTERM|closing its stdin) once (\d+) messages are accepted$/, { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, name: string, how: string, accepted: string) {
  const { pubsub } = this.harness;
  const publisher = pubsub.publishers.find((node) => node.name === name);
  if (!publisher) throw new Error(`no publisher named ${name}`);
  if (!this.pubsubWorkload) throw new Error('no puts were started');
  await waitFor(() => pubsub.accepted() >= Number(accepted), { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${accepted} accepted messages` });
  this.pubsubWorkload.retire(publisher);
  await this.strike({ kind: 'stop', target: publisher.name, how: stopHow(how), graceMs: callerStopGrace(this.harness.timing) }, publisher);
});

// A subscriber shut down and started again with the same id (a rolling upgrade): it resumes after what it acknowledged.
When(
  /^"([^"]+)" is stopped gracefully by (SIGTERM|closing its stdin) once it has received (\d+) messages, and started again (\d+) ms later$/,
  { timeout: scaled(60_000) },
  async function (this: KeelhaulWorld, name: string, how: string, received: string, pauseMs: string) {
    const subscriber = await subscriberWithDeliveries(this, name, Number(received));
    await this.strike({ kind: 'stop', target: subscriber.name, how: stopHow(how), graceMs: STOP_GRACE_MS, restartAfterMs: scaled(Number(pauseMs)) }, subscriber);
  },
);

When(/^the pub\/sub proxy is stopped gracefully by (SIGTERM|closing its stdin), with no puts after it, and started again (\d+) ms later$/, { timeout: scaled(60_000) }, async function (this: KeelhaulWorld, how: string, pauseMs: string) {
  const { pubsub } = this.harness;
  if (!pubsub.proxy) throw new Error('no pub/sub proxy was started');
  await this.strike({ kind: 'stop', target: pubsub.proxy.name, how: stopHow(how), graceMs: STOP_GRACE_MS, restartAfterMs: scaled(Number(pauseMs)) }, pubsub.proxy);
});

/** A pub/sub storm under the round-robin puts, its schedule printed with the command that replays it. */
async function pubSubStorm(world: KeelhaulWorld, options: StormOptions, topics: string, minAccepted: number): Promise<void> {
  const { pubsub } = world.harness;
  world.pubsubStorm = await world.harness.crashStorm(pubsub, options, pubSubStormLoad(pubsub, { topics: topicList(topics), minAccepted }), announceSchedule(world, 'pub/sub crash storm', '@pubsub and @storm'));
  world.pubsubWorkload = world.pubsubStorm.load;
}

When(
  'each publisher puts round-robin on {string} until at least {int} messages are accepted, through a crash storm of {int} proxy crashes, {int} subscriber crashes and {int} subscriber freezes over {int} seconds',
  { timeout: scaled(180_000) },
  async function (this: KeelhaulWorld, topics: string, minAccepted: number, proxyCrashes: number, subscriberCrashes: number, subscriberFreezes: number, seconds: number) {
    await pubSubStorm(this, { hubCrashes: proxyCrashes, peerCrashes: subscriberCrashes, peerFreezes: subscriberFreezes, windowMs: scaled(seconds * 1000) }, topics, minAccepted);
  },
);

// The same storm with its faults spelled out (harness/nemesis/fault-table.ts): what `keelhaul shrink` prints.
When(
  'each publisher puts round-robin on {string} until at least {int} messages are accepted, through these faults:',
  { timeout: scaled(180_000) },
  async function (this: KeelhaulWorld, topics: string, minAccepted: number, table: DataTable) {
    await pubSubStorm(this, { faults: givenStormFaults(table.raw()) }, topics, minAccepted);
  },
);

Then('the pub\\/sub proxy was crashed and restarted at least {int} times', function (this: KeelhaulWorld, times: number) {
  if (!this.pubsubStorm) throw new Error('no pub/sub crash storm ran');
  const proxy = this.harness.pubsub.proxy?.name ?? '';
  const { faults, skipped } = this.pubsubStorm.storm;
  const crashes = faults.filter((fault) => fault.fault === 'crash-restart' && fault.targets.includes(proxy)).length;
  const why = describeSkipped(skipped);
  // A crash the storm had to skip (its target was already down) is the harness missing its own schedule, not the proxy's doing.
  if (crashes < times) throw new Inconclusive(`the pub/sub proxy was crashed ${crashes} times, fewer than the ${times} planned${why.length ? `; skipped: ${why.join('; ')}` : ''}`);
});

Then('at least {int} messages were accepted', function (this: KeelhaulWorld, messages: number) {
  const accepted = this.harness.history.events().filter((event) => event.type === 'put-ok').length;
  if (accepted < messages) throw new Error(`only ${accepted} messages were accepted, fewer than ${messages}`);
});

Then('{string} missed messages while the fault lasted and got them after it', function (this: KeelhaulWorld, name: string) {
  // Guards against a vacuous pass: a fault while nothing flowed to the subscriber proves nothing.
  this.attach(expectCaughtUpAfterFault(this.harness.history.events(), name), 'text/plain');
});

Then(/^messages accepted before the (?:crash|stop) reached subscribers only after the restart$/, function (this: KeelhaulWorld) {
  const { pubsub, history } = this.harness;
  if (!pubsub.proxy) throw new Error('no pub/sub proxy was started');
  // Guards against a vacuous pass: if the subscribers had everything before the crash, nothing was retained.
  this.attach(expectRetainedAcrossRestart(history.events(), pubsub.proxy.name), 'text/plain');
});

Then('some puts were refused as busy while {string} was frozen, none before, and puts were accepted again after', function (this: KeelhaulWorld, name: string) {
  if (this.maxPending === undefined) throw new Error('the proxy was not started with a bound on pending messages');
  this.attach(expectRefusedWhileFrozen(this.harness.history.events(), name, this.maxPending), 'text/plain');
});

Then('every subscriber gets each message it is owed exactly once, in each publisher\'s order', { timeout: DRAIN_CAP_MS + scaled(30_000) }, async function (this: KeelhaulWorld) {
  // Deliveries trail the last put: wait while they progress, then judge everything.
  this.drained = await drainDeliveries(this);
  const { judgement, summary } = this.harness.checkPubSub('pubsub-exactly-once', { catchingUp: this.drained });
  this.attach(summary, 'text/plain');
  expectPass(judgement, summary);
});

Then('the pub\\/sub checker counts every anomaly, and every count is zero', { timeout: DRAIN_CAP_MS + scaled(30_000) }, async function (this: KeelhaulWorld) {
  this.drained ??= await drainDeliveries(this);
  const { judgement, summary } = this.harness.checkPubSub('pubsub-exactly-once', { catchingUp: this.drained });
  // On the console as well as in the report: a storm's counts are what a reader of a CI log looks for.
  process.stderr.write(`${summary}\n`);
  this.attach(summary, 'text/plain');
  expectPass(judgement, summary);
});

Given('a pub\\/sub proxy that remembers the last {int} message ids and compacts its journal past {int} records', async function (this: KeelhaulWorld, dedupRetention: number, compactionThreshold: number) {
  await this.harness.pubsub.startProxy({ dedupRetention, compactionThreshold });
});

/**
 * Whether the run reached what it was set up for: a compaction of the journal, with the dedup table
 * full (its oldest ids forgotten). Known only from the proxy's `journal-compacted` reports; a proxy
 * that does not report them, or a run that did not get there, is INCONCLUSIVE, never a PASS.
 */
Then('the proxy compacted its journal, and its dedup table reached its bound of {int}', function (this: KeelhaulWorld, bound: number) {
  const { compactions } = this.harness.pubsub;
  const last = compactions[compactions.length - 1];
  if (last === undefined) throw new Inconclusive('the proxy reported no journal compaction (a "journal-compacted" report, docs/drivers.md): the scenario cannot show it reached compaction');
  const fullest = Math.max(...compactions.map((report) => report.dedupEntries));
  if (fullest < bound) throw new Inconclusive(`the proxy compacted ${compactions.length} time(s), but its dedup table held at most ${fullest} ids, below its bound of ${bound}: the dedup window's edge was not reached`);
  this.attach(`${compactions.length} compaction(s); the last kept ${last.liveRecords} records, ${last.dedupEntries} dedup entries (bound ${last.dedupRetention})`, 'text/plain');
});
