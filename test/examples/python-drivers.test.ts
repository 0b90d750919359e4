import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { checkStuck } from '../../harness/checker';
import { clientCallBound, livenessPeriod, recoveryBound, type Timing } from '../../harness/timing/timing';
import type { HistoryEvent } from '../../harness/history/event';
import type { Implementation } from '../../harness/implementation/implementation';
import { referenceImplementation } from '../../harness/implementation/reference';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import type { Scenario } from '../../harness/scenario/scenario';
import { expectDefiniteFailures, expectEveryJobAnswered, expectJobsAnswered } from '../../harness/systems/request-reply/expectations';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { askService } from '../../harness/probe/mdp-probe';
import { MMI_SERVICE } from '../../reference/mdp/mmi';
import { PYTHON, python, requirePythonDrivers, ROOT, suiteReportDir, withScenario } from './python-helpers';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The example Python drivers (examples/python/) under the real harness: reference broker, Python
 * workers and Python client drivers, through the fault proxy, judged by the checkers.
 */
const CLIENT_DRIVER = path.join(ROOT, 'examples/python/mdp_client_driver.py');
const WORKER_DRIVER = path.join(ROOT, 'examples/python/mdp_worker_driver.py');
const TEST_TIMEOUT_MS = 90_000;
const FIND_JOB_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;
const IDLE_LIVENESS_PERIODS = 8;
const LOST_REPLIES_MS = 1_000;


const heartbeatArgs = (timing: Timing) => ['--heartbeat', String(timing.heartbeatInterval), '--liveness', String(timing.heartbeatLiveness)];

/** The reference broker with the Python example worker and client drivers. */
const pythonExamples: Implementation = {
  ...referenceImplementation,
  name: 'python-examples',
  worker: ({ name, broker, service, workMs, timing }) => ({
    name,
    role: 'worker',
    command: PYTHON,
    args: [
      WORKER_DRIVER,
      '--name', name,
      '--broker', broker,
      '--service', service,
      '--work-ms', String(workMs),
      ...heartbeatArgs(timing),
      '--reconnect', String(Math.max(1, Math.round(timing.heartbeatInterval / 2))),
    ],
  }),
  client: ({ name, broker, timing }) => ({
    name,
    role: 'client',
    command: PYTHON,
    args: [
      CLIENT_DRIVER,
      '--name', name,
      '--broker', broker,
      '--timeout', String(timing.clientTimeout),
      '--attempts', String(timing.clientAttempts),
      '--backoff-initial', String(timing.backoffInitial),
      '--backoff-max', String(timing.backoffMax),
    ],
  }),
};

const count = (events: readonly HistoryEvent[], type: HistoryEvent['type']) => events.filter((event) => event.type === type).length;

/**
 * Whether some client had two of its jobs executing at the same time: impossible unless the client
 * driver sent a call before the previous one was answered.
 */
function clientRanCallsConcurrently(events: readonly HistoryEvent[]): boolean {
  const clientOf = new Map<string, string>();
  for (const event of events) if (event.type === 'invoke') clientOf.set(event.job, event.process);
  const running = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.type !== 'exec-start' && event.type !== 'exec-end') continue;
    const client = clientOf.get(event.job);
    if (client === undefined) continue;
    const jobs = running.get(client) ?? new Set<string>();
    running.set(client, jobs);
    if (event.type === 'exec-end') jobs.delete(event.job);
    else if (jobs.add(event.job).size > 1) return true;
  }
  return false;
}

/** The `msg` of every JSON line the reference broker logged so far. */
function brokerLogMessages(scenario: Scenario): string[] {
  const file = path.join(scenario.dir, 'logs', 'broker.log');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed === 'object' && parsed !== null && typeof (parsed as { msg?: unknown }).msg === 'string' ? [(parsed as { msg: string }).msg] : [];
      } catch {
        return [];
      }
    });
}

/** Waits (bounded) until the node's log says its process exited with status 0. */
async function expectCleanExit(scenario: Scenario, node: NodeHandle): Promise<void> {
  await withTimeout(node.exited(), EXIT_TIMEOUT_MS, `${node.name} to exit once its stdin closed`);
  const logFile = path.join(scenario.dir, 'logs', `${node.name}.log`);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  await waitFor(() => /--- \S+ exit: /.test(log()), { timeoutMs: EXIT_TIMEOUT_MS, what: `${node.name}'s exit in its log` });
  assert.match(log(), /--- \S+ exit: code 0\n/, `${node.name} did not exit cleanly on stdin EOF:\n${log().slice(-2000)}`);
}

describe('the example Python drivers under the harness', () => {
  const reportDir = suiteReportDir('keelhaul-python-drivers-');

  beforeEach(() => requirePythonDrivers([CLIENT_DRIVER, WORKER_DRIVER]));



  test('Python workers and clients answer a concurrent workload at least once', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python drivers happy path', reportDir: reportDir(), implementation: pythonExamples }, async (scenario) => {
      const { cluster, timing } = scenario;
      await cluster.startBroker();
      // 20 ms per job, so a client's concurrent calls show up as overlapping executions.
      await cluster.startWorkers(2, 'echo', 20);
      await cluster.startClients(2);

      const options = { jobsPerClient: 50, concurrency: 4, service: 'echo' };
      const workload = scenario.startWorkload(options);
      const summary = await workload.wait(scenario.workloadBound(options));
      assert.deepEqual(summary.pending, [], 'every call returned');

      const events = scenario.history.events();
      assert.equal(count(events, 'ok'), 100, `100 jobs answered (summary: ${JSON.stringify(summary)})`);
      expectEveryJobAnswered(events);
      const { judgement, summary: verdict } = scenario.check('at-least-once');
      assert.equal(judgement.verdict, 'PASS', verdict);
      for (const worker of cluster.workers) assert.ok(cluster.executionsBy(worker.name) > 0, `${worker.name} ran no job`);
      assert.ok(clientRanCallsConcurrently(events), 'no client ever had two calls executing at once: the client driver ran its calls one by one');

      // Heartbeats keep idle workers registered: after several liveness periods with no traffic the
      // broker has expired none (one spurious expiry is tolerated on a loaded machine; a worker that
      // does not heartbeat is expired and re-registers every liveness period).
      await sleep(IDLE_LIVENESS_PERIODS * livenessPeriod(timing));
      assert.equal(await askService(cluster.brokerEndpoint, MMI_SERVICE, 'echo', 1_000), '200', 'the idle workers are still registered');
      const expired = brokerLogMessages(scenario).filter((msg) => msg === 'worker expired').length;
      assert.ok(expired <= 1, `the broker expired ${expired} workers in a run without faults: the workers' heartbeats did not keep them registered`);

      // stdin EOF: every driver exits by itself, cleanly.
      const nodes = [...cluster.clients, ...cluster.workers];
      for (const node of nodes) node.closeInput();
      await Promise.all(nodes.map((node) => expectCleanExit(scenario, node)));
    });
  });

  test('a Python worker killed while it holds a job: every job is still answered', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python drivers worker killed', reportDir: reportDir(), implementation: pythonExamples }, async (scenario) => {
      const { cluster } = scenario;
      // As features/request-reply/worker-faults.feature: 30 ms jobs leave time to catch a worker holding one.
      await cluster.startBroker();
      await cluster.startWorkers(3, 'echo', 30);
      await cluster.startClients(2);

      const options = { jobsPerClient: 40, concurrency: 2, service: 'echo' };
      const workload = scenario.startWorkload(options);
      const victim = await cluster.waitForWorkerHoldingJob(FIND_JOB_TIMEOUT_MS);
      const fault = await scenario.nemesis.invoke({ kind: 'kill', target: victim.name });
      const hit = fault.effect?.jobsInFlight ?? [];
      assert.ok(fault.effect?.hit === true && hit.length > 0, `the kill hit no job: ${JSON.stringify(fault)}`);

      const summary = await workload.wait(scenario.workloadBound(options));
      assert.deepEqual(summary.pending, [], 'every call returned');
      const events = scenario.history.events();
      expectEveryJobAnswered(events);
      // Ran to the end and answered: normally by another worker; by the victim itself if it just
      // managed to reply before SIGKILL landed (the harness saw exec-start, not yet exec-end).
      expectJobsAnswered(events, hit, victim.name);
      assert.ok(count(events, 'ok') >= 80, '80 jobs answered');
      const { judgement, summary: verdict } = scenario.check('at-least-once');
      assert.equal(judgement.verdict, 'PASS', verdict);
    });
  });

  test('a Python client whose replies are lost retries on fresh sockets and every job is answered', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python drivers lost replies', reportDir: reportDir(), implementation: pythonExamples }, async (scenario) => {
      const { cluster, nemesis } = scenario;
      assert.ok(nemesis.links, 'the scenario runs through the fault proxy');
      // As the lost-replies scenario of features/request-reply/exactly-once.feature, judged at least once.
      await cluster.startBroker();
      await cluster.startWorkers(2, 'echo', 50);
      await cluster.startClients(2);

      const options = { jobsPerClient: 40, concurrency: 2, service: 'echo' };
      const workload = scenario.startWorkload(options);
      // Struck once a request of client-1's is running: its reply (and any other sent before the heal) is lost.
      await cluster.nextExecStart(FIND_JOB_TIMEOUT_MS, (job) => cluster.openCalls('client-1').includes(job), 'no job of client-1 started');
      const fault = await nemesis.begin({ kind: 'partition', links: { of: ['client-1'] }, direction: 'backward' });
      assert.equal(fault.event.effect?.hit, true, `the partition cut nothing: ${JSON.stringify(fault.event)}`);
      await fault.healAfter(LOST_REPLIES_MS);

      const summary = await workload.wait(scenario.workloadBound(options));
      assert.deepEqual(summary.pending, [], 'every call returned');
      const events = scenario.history.events();
      expectEveryJobAnswered(events);
      const { judgement, summary: verdict } = scenario.check('at-least-once');
      assert.equal(judgement.verdict, 'PASS', verdict);
      // Calls were open through a partition longer than the reply timeout: the driver must have retried.
      const clientLog = fs.readFileSync(path.join(scenario.dir, 'logs', 'client-1.log'), 'utf8');
      assert.match(clientLog, /retrying on a new socket/, 'client-1 never retried an attempt');
    });
  });

  test('a call to a service with no workers fails definitely within its bound; bad commands get an error', { skip: python.skipReason, timeout: TEST_TIMEOUT_MS }, async () => {
    await withScenario({ name: 'python drivers no workers', reportDir: reportDir(), implementation: pythonExamples }, async (scenario) => {
      const { cluster, timing } = scenario;
      // As features/request-reply/no-workers.feature: 8/MMI says 404, so the request is never sent.
      await cluster.startBroker();
      await cluster.startWorkers(1, 'echo');
      const [client] = await cluster.startClients(1);

      const options = { jobsPerClient: 3, concurrency: 1, service: 'nobody-home' };
      const workload = scenario.startWorkload(options);
      const summary = await workload.wait(scenario.workloadBound(options));
      assert.deepEqual(summary.pending, [], 'every call returned');
      const events = scenario.history.events();
      expectDefiniteFailures(events, 'nobody-home', clientCallBound(timing));
      assert.equal(count(events, 'exec-start'), 0, 'no worker ran anything');
      const stuck = checkStuck(events, { callBound: clientCallBound(timing), recoveryBound: recoveryBound(timing) });
      assert.deepEqual(stuck.map((anomaly) => anomaly.detail), [], 'no call is stuck');

      // Malformed commands are answered with an error and skipped; the driver keeps serving.
      const errors: string[] = [];
      const unsubscribe = client.onReport((report) => {
        if (report.type === 'error') errors.push(report.error);
      });
      try {
        client.send({ type: 'call', job: 7, service: 'echo' });
        client.send({ type: 'launch', job: 'x' });
        await waitFor(() => errors.length >= 2, { timeoutMs: 5_000, what: 'two error reports' });
      } finally {
        unsubscribe();
      }
      assert.match(errors[0], /"job" must be a non-empty string/);
      assert.match(errors[1], /unknown command type "launch"/);
      const more = scenario.startWorkload({ jobsPerClient: 2, concurrency: 2, service: 'echo' });
      const later = await more.wait(scenario.workloadBound({ jobsPerClient: 2, concurrency: 2 }));
      assert.equal(later.ok, 2, `the client still serves calls after bad commands: ${JSON.stringify(later)}`);
    });
  });
});
