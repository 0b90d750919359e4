import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { checkPubSub } from '../../harness/checker/pubsub';
import { recoveryBound } from '../../harness/timing/timing';
import type { DeliverEvent, HistoryEvent, NemesisEvent } from '../../harness/history/event';
import { loadManifest } from '../../harness/manifest/manifest';
import { ManifestImplementation } from '../../harness/manifest/manifest-implementation';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { expectCaughtUpAfterFault } from '../../harness/systems/pubsub/expectations';
import type { Scenario } from '../../harness/scenario/scenario';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { python, requirePythonDrivers, ROOT, suiteReportDir, withScenario } from './python-helpers';
import { PubSubWorkload } from '../../harness/systems/pubsub/workload';

/**
 * The example Python KHP/1 drivers (examples/python/khp_*_driver.py), written from docs/protocol.md
 * and docs/drivers.md, under the real harness: the reference pub/sub proxy, Python publishers
 * and durable Python subscribers as real processes, each link through the fault proxy, started from
 * the manifest examples/python/pubsub.yaml exactly as `keelhaul verify` starts them, and judged by
 * the pub/sub checker.
 */
const MANIFEST = path.join(ROOT, 'examples/python/pubsub.yaml');
const DRIVERS = ['khp_publisher_driver.py', 'khp_subscriber_driver.py'].map((file) => path.join(ROOT, 'examples/python', file));
const TEST_TIMEOUT_MS = 40_000;
const COMMAND_TIMEOUT_MS = 5_000;
const FIND_TRAFFIC_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;
const RESTART_PAUSE_MS = 300;


const deliveries = (events: readonly HistoryEvent[], subscriber?: string, topic?: string): DeliverEvent[] =>
  events.filter((e): e is DeliverEvent => e.type === 'deliver' && (subscriber === undefined || e.subscriber === subscriber) && (topic === undefined || e.topic === topic));
/** The last event matching `match`. */
function lastEvent(events: readonly HistoryEvent[], match: (event: HistoryEvent) => boolean): HistoryEvent {
  for (let at = events.length - 1; at >= 0; at--) if (match(events[at])) return events[at];
  throw new Error('no such event in the history');
}

interface DeliverReport {
  type: 'deliver';
  topic: string;
  msg: string;
  seq: number;
  repeat?: boolean;
}

const accepted = (events: readonly HistoryEvent[]) => events.filter((e) => e.type === 'put-ok').length;

/** The end of the (first) fault on `node`, from the history. */
function faultEnd(events: readonly HistoryEvent[], node: string): number {
  const start = events.find((e): e is NemesisEvent => e.type === 'nemesis' && e.phase === 'start' && e.targets.includes(node));
  const end = start && events.find((e): e is NemesisEvent => e.type === 'nemesis' && e.phase === 'end' && e.id === start.id);
  assert.ok(end, `no fault on ${node} started and ended`);
  return end.t;
}

function nodeLog(scenario: Scenario, node: string): string {
  const file = path.join(scenario.dir, 'logs', `${node}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** Puts round-robin on `topics` from every publisher started so far. */
function startPuts(scenario: Scenario, messagesPerPublisher: number, topics: string[]): PubSubWorkload {
  return new PubSubWorkload(scenario.pubsub.publishers, scenario.history, { messagesPerPublisher, topicsOf: () => topics }).start();
}

/** As steps/pubsub.steps.ts: every put may take a whole publisher bound; the ceiling keeps a hung run bounded. */
function putsBound(scenario: Scenario, messages: number): number {
  const t = scenario.timing;
  return Math.min(30_000, 10_000 + messages * 50 + t.clientAttempts * (t.clientTimeout + t.backoffMax));
}

/**
 * Deliveries trail the last put: waits (bounded) until nothing owed is missing, then judges the
 * whole history. Asserts zero anomalies and at least `minDeliveries` deliveries; returns the events.
 */
async function expectExactlyOnce(scenario: Scenario, minDeliveries: number): Promise<readonly HistoryEvent[]> {
  const { history, timing } = scenario;
  await waitFor(() => checkPubSub(history.events()).counts.lost === 0, { timeoutMs: recoveryBound(timing) + 5_000, what: 'every owed message to be delivered' }).catch(() => undefined);
  const { result, judgement, summary } = scenario.checkPubSub('pubsub-exactly-once');
  assert.equal(judgement.verdict, 'PASS', summary);
  assert.deepEqual(result.anomalies, [], summary);
  assert.ok(result.stats.deliveries >= minDeliveries, `only ${result.stats.deliveries} deliveries, expected at least ${minDeliveries}:\n${summary}`);
  return history.events();
}

/** Waits (bounded) until the node's log says its process exited with status 0. */
async function expectCleanExit(scenario: Scenario, node: NodeHandle): Promise<void> {
  await withTimeout(node.exited(), EXIT_TIMEOUT_MS, `${node.name} to exit once its stdin closed`);
  await waitFor(() => /--- \S+ exit: /.test(nodeLog(scenario, node.name)), { timeoutMs: EXIT_TIMEOUT_MS, what: `${node.name}'s exit in its log` });
  assert.match(nodeLog(scenario, node.name), /--- \S+ exit: code 0\n/, `${node.name} did not exit cleanly on stdin EOF:\n${nodeLog(scenario, node.name).slice(-2000)}`);
}

/** Collects the `error` reports of a node while `body` runs. */
async function errorReports(node: NodeHandle, body: (errors: string[]) => Promise<void>): Promise<string[]> {
  const errors: string[] = [];
  const off = node.onReport((report) => {
    if (report.type === 'error') errors.push((report as { error: string }).error);
  });
  try {
    await body(errors);
  } finally {
    off();
  }
  return errors;
}

describe('the example Python KHP/1 drivers under the harness', () => {
  const reportDir = suiteReportDir('keelhaul-python-pubsub-');
  let implementation: ManifestImplementation;

  beforeEach(() => {
    requirePythonDrivers([MANIFEST, ...DRIVERS]);
    // Exactly what `keelhaul verify --impl examples/python/pubsub.yaml` uses: the manifest's
    // publisher and subscriber, the reference's proxy.
    implementation = new ManifestImplementation(loadManifest(MANIFEST));
    assert.deepEqual(implementation.ownRoles, ['publisher', 'subscriber']);
  });



  test('2 Python publishers, 3 Python subscribers on overlapping topics: each message exactly once, in order', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python pubsub overlapping topics', reportDir: reportDir(), implementation }, async (scenario) => {
      const { pubsub } = scenario;
      await pubsub.startProxy();
      const [s1, s2, s3] = await pubsub.startSubscribers(3);
      await pubsub.subscribe(s1, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(s2, 'sports', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(s3, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(s3, 'sports', COMMAND_TIMEOUT_MS);
      const [p1] = await pubsub.startPublishers(2);

      await startPuts(scenario, 60, ['news', 'sports']).wait(putsBound(scenario, 60));
      assert.equal(accepted(scenario.history.events()), 120, 'every put accepted');
      // news 60 to s1 and s3, sports 60 to s2 and s3.
      const events = await expectExactlyOnce(scenario, 240);
      for (const [subscriber, count] of [['subscriber-1', 60], ['subscriber-2', 60], ['subscriber-3', 120]] as const) {
        assert.equal(deliveries(events, subscriber).length, count, `${subscriber}'s deliveries`);
      }
      assert.deepEqual(new Set(deliveries(events).map((e) => e.publisher)), new Set(['publisher-1', 'publisher-2']), 'deliveries name both publishers by their node names');

      // Malformed commands get an error report and are skipped; the drivers keep serving.
      const publisherErrors = await errorReports(p1, async (errors) => {
        p1.send({ type: 'put', topic: 'news' });
        p1.send({ type: 'publish', topic: 'news', msg: 'x' });
        await waitFor(() => errors.length >= 2, { timeoutMs: COMMAND_TIMEOUT_MS, what: "the publisher's two error reports" });
      });
      assert.match(publisherErrors[0], /"msg" must be a non-empty string/);
      assert.match(publisherErrors[1], /unknown command type "publish"/);
      const subscriberErrors = await errorReports(s1, async (errors) => {
        s1.send({ type: 'subscribe' });
        s1.send({ type: 'follow', topic: 'news' });
        await waitFor(() => errors.length >= 2, { timeoutMs: COMMAND_TIMEOUT_MS, what: "the subscriber's two error reports" });
      });
      assert.match(subscriberErrors[0], /"topic" must be a non-empty string/);
      assert.match(subscriberErrors[1], /unknown command type "follow"/);
      await startPuts(scenario, 2, ['news']).wait(putsBound(scenario, 2));
      await expectExactlyOnce(scenario, 240 + 2 * 2 * 2);

      // stdin EOF: every driver exits by itself, cleanly.
      const nodes = [...pubsub.publishers, ...pubsub.subscribers];
      for (const node of nodes) node.closeInput();
      await Promise.all(nodes.map((node) => expectCleanExit(scenario, node)));
    });
  });

  test('the proxy SIGKILLed mid-stream and restarted: Python publishers and subscribers carry on, exactly once', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python pubsub proxy killed', reportDir: reportDir(), implementation }, async (scenario) => {
      const { pubsub, history, nemesis } = scenario;
      const proxy = await pubsub.startProxy();
      const [s1, s2] = await pubsub.startSubscribers(2);
      await pubsub.subscribe(s1, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(s2, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(s2, 'sports', COMMAND_TIMEOUT_MS);
      await pubsub.startPublishers(2);

      const workload = startPuts(scenario, 80, ['news', 'sports']);
      await waitFor(() => accepted(history.events()) >= 30, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: '30 accepted messages' });
      const fault = await nemesis.invoke({ kind: 'crash-restart', target: proxy.name, pauseMs: RESTART_PAUSE_MS });
      assert.equal(fault.effect?.hit, true, `the kill hit nothing: ${JSON.stringify(fault)}`);
      await workload.wait(putsBound(scenario, 80));

      const events = await expectExactlyOnce(scenario, 150);
      const restarted = faultEnd(events, proxy.name);
      const acceptedAfter = events.filter((e) => e.type === 'put-ok' && e.t > restarted).length;
      assert.ok(acceptedAfter > 0, 'no put was accepted by the restarted proxy');
      for (const subscriber of ['subscriber-1', 'subscriber-2']) {
        const after = deliveries(events, subscriber).filter((e) => e.t > restarted).length;
        assert.ok(after > 0, `${subscriber} got nothing from the restarted proxy`);
      }
      // The restart was noticed: every Python subscriber said HELLO again.
      for (const subscriber of pubsub.subscribers) assert.ok((nodeLog(scenario, subscriber.name).match(/HELLO to /g) ?? []).length >= 2, `${subscriber.name} never said HELLO again`);
    });
  });

  test('a Python subscriber SIGKILLed after some deliveries resumes from its positions file: nothing lost, nothing twice', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python pubsub subscriber killed', reportDir: reportDir(), implementation }, async (scenario) => {
      const { pubsub, history, nemesis } = scenario;
      await pubsub.startProxy();
      const [victim, other] = await pubsub.startSubscribers(2);
      await pubsub.subscribe(victim, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(victim, 'sports', COMMAND_TIMEOUT_MS);
      await pubsub.subscribe(other, 'news', COMMAND_TIMEOUT_MS);
      await pubsub.startPublishers(2);

      // Every deliver report the driver writes, repeats included (the history keeps a repeat only if it is new).
      const reports: DeliverReport[] = [];
      const off = victim.onReport((report) => {
        const r = report as unknown as { type: string };
        if (r.type === 'deliver') reports.push(r as DeliverReport);
      });
      let events: readonly HistoryEvent[];
      try {
        const workload = startPuts(scenario, 80, ['news', 'sports']);
        await waitFor(() => deliveries(history.events(), victim.name).length >= 20, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: `${victim.name} to receive 20 messages` });
        const fault = await nemesis.invoke({ kind: 'crash-restart', target: victim.name, pauseMs: RESTART_PAUSE_MS });
        assert.equal(fault.effect?.hit, true, `the kill hit nothing: ${JSON.stringify(fault)}`);
        await workload.wait(putsBound(scenario, 80));
        // news 80 to both, sports 80 to the victim.
        events = await expectExactlyOnce(scenario, 240);
      } finally {
        off();
      }
      assert.equal(deliveries(events, victim.name).length, 160, `${victim.name} got every message once`);
      // The kill struck mid-stream: messages accepted while it was down reached it after its restart.
      expectCaughtUpAfterFault(events, victim.name);

      // It resumed from its positions file. The restarted driver first repeats the last message it
      // took on each topic (flagged: its first report may have died with the kill), which is the
      // last one reported before the kill, or the one after it if the kill fell between the
      // position's rename and the report. HELLO carried the positions, so the first new message on
      // each topic is the one right after the repeat: nothing skipped, nothing taken twice.
      const firstRepeat = reports.findIndex((r) => r.repeat === true);
      assert.ok(firstRepeat >= 20, `the restarted ${victim.name} repeated nothing from its positions file (or too early): ${JSON.stringify(reports.slice(0, 3))}`);
      const beforeKill = reports.slice(0, firstRepeat);
      const repeats = reports.slice(firstRepeat).filter((r) => r.repeat === true);
      const afterRestart = reports.slice(firstRepeat).filter((r) => r.repeat !== true);
      assert.deepEqual(new Set(repeats.map((r) => r.topic)), new Set(beforeKill.map((r) => r.topic)), 'one repeat per topic taken before the kill');
      for (const repeat of repeats) {
        const lastSeq = Math.max(...beforeKill.filter((r) => r.topic === repeat.topic).map((r) => r.seq));
        assert.ok(repeat.seq === lastSeq || repeat.seq === lastSeq + 1, `the repeat on ${repeat.topic} is seq ${repeat.seq}; the last reported before the kill was ${lastSeq}`);
        const next = afterRestart.find((r) => r.topic === repeat.topic);
        assert.ok(next, `nothing on ${repeat.topic} after the restart`);
        assert.equal(next.seq, repeat.seq + 1, `the first message on ${repeat.topic} after the restart`);
      }
      const log = nodeLog(scenario, victim.name);
      const restartLog = log.slice(log.lastIndexOf(' start: '));
      assert.match(restartLog, /HELLO to \S+ with 2 position\(s\)/, `the restarted ${victim.name} did not say HELLO with its positions:\n${restartLog.slice(0, 2000)}`);
    });
  });

  test('a Python subscriber unsubscribes during traffic and subscribes again: nothing of the topic in between, the rest exactly once', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python pubsub unsubscribe', reportDir: reportDir(), implementation }, async (scenario) => {
      const { pubsub, history } = scenario;
      await pubsub.startProxy();
      const [s1, s2] = await pubsub.startSubscribers(2);
      for (const subscriber of [s1, s2]) for (const topic of ['news', 'sports']) await pubsub.subscribe(subscriber, topic, COMMAND_TIMEOUT_MS);
      await pubsub.startPublishers(2);

      const workload = startPuts(scenario, 80, ['news', 'sports']);
      await waitFor(() => accepted(history.events()) >= 40, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: '40 accepted messages' });
      // On a loaded machine all 160 puts can be accepted before the unsubscribe is confirmed; the puts
      // then go on past their count until news was accepted while s2 was away, and again after it is
      // back, so both windows the assertions judge hold traffic.
      const newsSince = (t: number) => history.events().filter((e) => e.type === 'put-ok' && e.topic === 'news' && e.t > t).length;
      await pubsub.unsubscribe(s2, 'news', COMMAND_TIMEOUT_MS);
      const left = lastEvent(history.events(), (e) => e.type === 'unsubscribed' && e.subscriber === s2.name).t;
      workload.keepPuttingUntil(() => newsSince(left) >= 5, FIND_TRAFFIC_TIMEOUT_MS);
      await waitFor(() => accepted(history.events()) >= 90 && newsSince(left) >= 5, { timeoutMs: FIND_TRAFFIC_TIMEOUT_MS, what: '90 accepted messages, 5 news after the unsubscribe' });
      await pubsub.subscribe(s2, 'news', COMMAND_TIMEOUT_MS);
      const back = lastEvent(history.events(), (e) => e.type === 'subscribed' && e.subscriber === s2.name && e.topic === 'news').t;
      workload.keepPuttingUntil(() => newsSince(back) >= 5, FIND_TRAFFIC_TIMEOUT_MS);
      await workload.wait(putsBound(scenario, 80) + FIND_TRAFFIC_TIMEOUT_MS);

      const events = await expectExactlyOnce(scenario, 200);
      const puts = events.filter((e) => e.type === 'put-ok') as readonly (HistoryEvent & { topic?: string })[];
      assert.equal(deliveries(events, s1.name).length, puts.length, `${s1.name}, subscribed throughout, got every message once`);
      const between = deliveries(events, s2.name, 'news').filter((e) => e.t > left && e.t < back);
      assert.deepEqual(between.map((e) => e.msg), [], `${s2.name} got news between its unsubscribed and subscribed`);
      // The unsubscribe took effect: news accepted while s2 was away never reached it, yet news
      // reached it before and after, and sports all along.
      const newsGot = new Set(deliveries(events, s2.name, 'news').map((e) => e.msg));
      const missed = events.filter((e) => e.type === 'put-ok' && e.topic === 'news' && e.t > left && e.t < back && !newsGot.has(e.msg));
      assert.ok(missed.length > 0, `${s2.name} missed no news while unsubscribed: the unsubscribe did nothing`);
      assert.ok(deliveries(events, s2.name, 'news').some((e) => e.t < left), `${s2.name} got no news before unsubscribing`);
      assert.ok(deliveries(events, s2.name, 'news').some((e) => e.t > back), `${s2.name} got no news after subscribing again`);
      assert.equal(deliveries(events, s2.name, 'sports').length, puts.filter((e) => e.topic === 'sports').length, `${s2.name} got every sports message once`);
    });
  });
});
