import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, test } from 'node:test';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint, sleep } from '../reference/helpers';
import { addToxic, createProxy, startFaultProxy } from '../toxiproxy/support';

/**
 * The give-up class (docs/protocol.md, KHX/1 rule 10, KHT/1) with every node a real process
 * (bin/keelhaul.js) and real faults: SIGSTOP of the broker, SIGSTOP of a worker holding the job or about
 * to get it, no worker at all. The guarantee: the call ends within F of its start, one attempt, and no
 * execution of the job starts after the outcome was reported. Timestamps are this test's, taken when a
 * report line is read (as the harness does).
 */
const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
const WAIT = 10_000;
const HEARTBEAT = 100;
const GIVE_UP_MS = 700;
/** A report crosses a pipe and this process's event loop: the outcome may be read this much after F. */
const READ_SLACK = 150;

interface Report {
  type: string;
  job?: string;
  at: number;
  [field: string]: unknown;
}

interface Node {
  child: ChildProcessWithoutNullStreams;
  reports: Report[];
  stderr: string;
}

describe('give-up class: real processes under faults', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const run = (args: string[]): Node => {
    // info: the tests read a worker's LATE log line.
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
    const node: Node = { child, reports: [], stderr: '' };
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        node.reports.push({ ...(JSON.parse(line) as Record<string, unknown>), at: Date.now() } as Report);
      } catch {
        // not a report line
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (node.stderr += chunk.toString()));
    closers.push(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    });
    return node;
  };

  const ready = (node: Node, what: string) => waitFor(() => node.reports.some((r) => r.type === 'ready'), { timeoutMs: WAIT, what });

  const startBroker = (endpoint: string, liveness: number, extra: string[] = []): Node =>
    run(['broker', '--endpoint', endpoint, '--heartbeat', String(HEARTBEAT), '--liveness', String(liveness), '--service-class', `step=give-up:${GIVE_UP_MS}`, ...extra, '--exit-with-stdin']);

  const startWorker = (endpoint: string, liveness: number, workMs: number, extra: string[] = []): Node =>
    run(['worker', '--broker', endpoint, '--service', 'step', '--name', 'w1', '--work-ms', String(workMs), '--heartbeat', String(HEARTBEAT), '--liveness', String(liveness), '--reconnect-initial', '25', '--reconnect-max', '200', ...extra, '--exit-with-stdin']);

  interface SystemOptions {
    workMs?: number;
    worker?: boolean;
    liveness?: number;
    brokerArgs?: string[];
    workerArgs?: string[];
    clientArgs?: string[];
    /** The endpoint a node is given instead of the broker's own (a fault proxy in front of it). */
    workerLink?: (broker: string) => Promise<string>;
    clientLink?: (broker: string) => Promise<string>;
  }

  const system = async (options: SystemOptions = {}) => {
    const endpoint = await freeEndpoint();
    const liveness = options.liveness ?? 3;
    const broker = startBroker(endpoint, liveness, options.brokerArgs);
    await ready(broker, 'the broker to listen');
    let worker: Node | undefined;
    if (options.worker !== false) {
      worker = startWorker(options.workerLink === undefined ? endpoint : await options.workerLink(endpoint), liveness, options.workMs ?? 20, options.workerArgs);
      await ready(worker, 'the worker to start');
    }
    const clientEndpoint = options.clientLink === undefined ? endpoint : await options.clientLink(endpoint);
    const client = run(['client', '--driver', '--broker', clientEndpoint, '--timeout', '400', '--attempts', '3', '--backoff-initial', '20', '--backoff-max', '100', '--service-class', `step=give-up:${GIVE_UP_MS}`, ...(options.clientArgs ?? [])]);
    await ready(client, 'the client driver');
    // Three processes starting on a busy machine: the first call may miss F. Warm up until one is answered.
    for (let warm = 1; worker !== undefined && options.workerArgs === undefined && warm <= 5; warm++) {
      call(client, `warm-${warm}`);
      if ((await outcomeOf(client, `warm-${warm}`)).type === 'ok') break;
    }
    return { broker, worker, client, endpoint };
  };

  const call = (client: Node, job: string): number => {
    client.child.stdin.write(`${JSON.stringify({ type: 'call', job, service: 'step', payload: job })}\n`);
    return Date.now();
  };

  const outcomeOf = async (client: Node, job: string): Promise<Report> => {
    await waitFor(() => client.reports.some((r) => r.job === job && ['ok', 'fail', 'info'].includes(r.type)), { timeoutMs: WAIT, what: `the outcome of ${job}` });
    return client.reports.find((r) => r.job === job && ['ok', 'fail', 'info'].includes(r.type))!;
  };

  const reportsOf = (node: Node | undefined, job: string, type: string) => (node?.reports ?? []).filter((r) => r.job === job && r.type === type);

  /** The class's promise about one call: ended by F, one attempt, no exec-start after the outcome. */
  const assertGaveUp = (client: Node, worker: Node | undefined, job: string, calledAt: number, outcome: Report): void => {
    assert.ok(outcome.at - calledAt <= GIVE_UP_MS + READ_SLACK, `${job} ended ${outcome.at - calledAt} ms after the call, F = ${GIVE_UP_MS} ms`);
    assert.deepEqual(reportsOf(client, job, 'attempt').map((r) => r.n), [1], `${job}: exactly one attempt`);
    const late = reportsOf(worker, job, 'exec-start').filter((r) => r.at >= outcome.at);
    assert.deepEqual(late, [], `${job}: an execution started after the ${outcome.type} was reported`);
  };

  test('the broker frozen (SIGSTOP) past F: the call ends by F (info), and the job never starts after, also once the broker resumes', async () => {
    const { broker, worker, client } = await system();
    assert.ok(client.reports.some((r) => r.type === 'ok'), 'a give-up call with everything up is answered');
    broker.child.kill('SIGSTOP');
    const calledAt = call(client, 'frozen-1');
    const outcome = await outcomeOf(client, 'frozen-1');
    assert.equal(outcome.type, 'info', `no answer by F is indefinite: ${JSON.stringify(outcome)}`);
    assert.deepEqual(reportsOf(client, 'frozen-1', 'attempt-fail').map((r) => r.reason), ['timeout']);
    await sleep(GIVE_UP_MS);
    broker.child.kill('SIGCONT');
    // Resumed with the request unread: it is past its deadline, so it is answered 410 and never dispatched.
    await sleep(1_500);
    assertGaveUp(client, worker, 'frozen-1', calledAt, outcome);
    assert.deepEqual(reportsOf(worker, 'frozen-1', 'exec-start'), [], 'the job ran after the broker resumed');
    // The broker excuses its own stall, so the worker's old registration lingers a liveness period beside
    // its new one: a call given to that ghost ends 504 (info, allowed). The system serves again after it.
    let served: Report | undefined;
    for (let n = 1; n <= 5 && served?.type !== 'ok'; n++) {
      const after = call(client, `after-${n}`);
      served = await outcomeOf(client, `after-${n}`);
      assert.ok(served.at - after <= GIVE_UP_MS + READ_SLACK, `after-${n} took ${served.at - after} ms`);
    }
    assert.equal(served?.type, 'ok', 'the system serves again');
  });

  test('a worker frozen (SIGSTOP) while it holds the job: the call ends by F, and no execution starts after', async () => {
    const { worker, client } = await system({ workMs: 300 });
    const calledAt = call(client, 'held-1');
    await waitFor(() => reportsOf(worker, 'held-1', 'exec-start').length > 0, { timeoutMs: WAIT, what: 'held-1 to start' });
    worker!.child.kill('SIGSTOP');
    const outcome = await outcomeOf(client, 'held-1');
    assert.equal(outcome.type, 'info', `it may have run: indefinite, never fail: ${JSON.stringify(outcome)}`);
    await sleep(4 * HEARTBEAT * 3);
    worker!.child.kill('SIGCONT');
    await sleep(1_000);
    assertGaveUp(client, worker, 'held-1', calledAt, outcome);
    assert.equal(reportsOf(worker, 'held-1', 'exec-start').length, 1, 'the job was dispatched again');
  });

  test('a worker frozen before it reads the job: the call ends by F; resumed past the deadline, the worker does not start it (LATE)', async () => {
    const { worker, client } = await system();
    worker!.child.kill('SIGSTOP');
    const calledAt = call(client, 'late-1');
    const outcome = await outcomeOf(client, 'late-1');
    // The broker lost the frozen worker (504) before F; the job still sits unread in that worker's socket.
    assert.equal(outcome.type, 'info', JSON.stringify(outcome));
    assert.ok(outcome.at - calledAt >= GIVE_UP_MS - 5, `a 504 is reported only at F (after ${outcome.at - calledAt} ms), when no worker will start the job any more`);
    worker!.child.kill('SIGCONT');
    await sleep(1_000);
    assertGaveUp(client, worker, 'late-1', calledAt, outcome);
    assert.deepEqual(reportsOf(worker, 'late-1', 'exec-start'), [], 'the worker started a job past its deadline');
    assert.match(worker!.stderr, /not started \(LATE\)/, 'the resumed worker read the job and refused it');
  });

  test('no worker for the service: 410 before F, a definite fail, one attempt', async () => {
    const { client } = await system({ worker: false });
    const calledAt = call(client, 'none-1');
    const outcome = await outcomeOf(client, 'none-1');
    assert.equal(outcome.type, 'fail', JSON.stringify(outcome));
    assert.match(String(outcome.error), /expired|410|did not and will not run/);
    assertGaveUp(client, undefined, 'none-1', calledAt, outcome);
  });

  test('the seeded defect retries-give-up: a give-up call is retried (several attempts), the class broken', async () => {
    const { worker, client } = await system({ clientArgs: ['--seed-defect', 'retries-give-up'] });
    worker!.child.kill('SIGSTOP');
    call(client, 'defect-1');
    const outcome = await outcomeOf(client, 'defect-1');
    assert.equal(outcome.type, 'info');
    assert.ok(reportsOf(client, 'defect-1', 'attempt').length > 1, `${reportsOf(client, 'defect-1', 'attempt').length} attempt(s)`);
  });

  test('best-effort client driver with the broker down: every call ends at once with sent or dropped, never ok, fail or info', async () => {
    const client = run(['client', '--driver', '--broker', await freeEndpoint(), '--service-class', 'log=best-effort']);
    await ready(client, 'the client driver');
    for (let i = 0; i < 50; i++) client.child.stdin.write(`${JSON.stringify({ type: 'call', job: `be-${i}`, service: 'log', payload: 'x' })}\n`);
    await waitFor(() => client.reports.filter((r) => r.type === 'sent' || r.type === 'dropped').length === 50, { timeoutMs: WAIT, what: '50 best-effort outcomes' });
    assert.deepEqual(client.reports.filter((r) => ['ok', 'fail', 'info'].includes(r.type)), []);
    for (const sent of client.reports.filter((r) => r.type === 'sent')) assert.ok(typeof sent.ms === 'number' && sent.ms < 20, JSON.stringify(sent));
  });

  test('the broker SIGKILLed with the job queued and restarted: the job is forgotten (never journaled), no worker that comes later runs it, the call ends by F', async () => {
    const { broker, client, endpoint } = await system({ worker: false });
    const calledAt = call(client, 'killed-1');
    await sleep(100);
    broker.child.kill('SIGKILL');
    const restarted = startBroker(endpoint, 3);
    await ready(restarted, 'the broker to listen again');
    const worker = startWorker(endpoint, 3, 20);
    await ready(worker, 'a worker after the restart');
    const outcome = await outcomeOf(client, 'killed-1');
    assert.equal(outcome.type, 'info', JSON.stringify(outcome));
    await sleep(500);
    assertGaveUp(client, worker, 'killed-1', calledAt, outcome);
    assert.deepEqual(reportsOf(worker, 'killed-1', 'exec-start'), [], 'a give-up job ran after the broker restarted');
  });

  /** A fault proxy named `name` in front of the broker; the endpoint the node is given instead. */
  const through = (name: string) => async (endpoint: string): Promise<string> => {
    const port = await createProxy(faultProxy!.url, name, endpoint.replace('tcp://', ''));
    return `tcp://127.0.0.1:${port}`;
  };
  let faultProxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  const withFaultProxy = async (): Promise<NonNullable<typeof faultProxy>> => {
    const started = await startFaultProxy();
    closers.push(() => started.close());
    return (faultProxy = started);
  };

  test('latency on the client → broker link longer than F: the call ends by F, and the request that reaches the broker late is never dispatched', async () => {
    const faults = await withFaultProxy();
    const { broker, worker, client } = await system({ clientLink: through('client') });
    await addToxic(faults.url, 'client', { type: 'latency', stream: 'upstream', attributes: { latency: GIVE_UP_MS + 300 } });
    const calledAt = call(client, 'delayed-1');
    const outcome = await outcomeOf(client, 'delayed-1');
    assert.ok(outcome.type === 'info' || outcome.type === 'fail', JSON.stringify(outcome));
    await sleep(GIVE_UP_MS + 800);
    assertGaveUp(client, worker, 'delayed-1', calledAt, outcome);
    assert.deepEqual(reportsOf(worker, 'delayed-1', 'exec-start'), [], 'a request that arrived past its deadline was run');
    assert.match(broker.stderr, /timed job arrived past its deadline/, 'the late request reached the broker and was refused there (not lost on the way)');
  });

  test('a busy worker (stuck on the job, heartbeating) past the processing timeout: 504, reported at F; the broker kills the handler and the worker serves again', async () => {
    const { worker, client } = await system({ brokerArgs: ['--processing-timeout', 'step=250'], workerArgs: ['--mode', 'busy'] });
    const calledAt = call(client, 'busy-1');
    await waitFor(() => reportsOf(worker, 'busy-1', 'exec-start').length > 0, { timeoutMs: WAIT, what: 'busy-1 to start' });
    const outcome = await outcomeOf(client, 'busy-1');
    assert.equal(outcome.type, 'info', JSON.stringify(outcome));
    assert.ok(outcome.at - calledAt >= GIVE_UP_MS - 5, `a 504 is reported at F, not after ${outcome.at - calledAt} ms`);
    await waitFor(() => reportsOf(worker, 'busy-1', 'exec-killed').length > 0, { timeoutMs: WAIT, what: 'the busy handler to be killed' });
    assertGaveUp(client, worker, 'busy-1', calledAt, outcome);
    assert.equal(reportsOf(worker, 'busy-1', 'exec-start').length, 1, 'the job ran again');
  });

  test('latency on the broker → worker link longer than F: the job reaches the worker past its deadline and is not started (LATE); the call ends by F', async () => {
    const faults = await withFaultProxy();
    const { worker, client } = await system({ liveness: 30, workerLink: through('worker') });
    await addToxic(faults.url, 'worker', { type: 'latency', stream: 'downstream', attributes: { latency: GIVE_UP_MS + 300 } });
    const calledAt = call(client, 'slow-1');
    const outcome = await outcomeOf(client, 'slow-1');
    assert.equal(outcome.type, 'info', JSON.stringify(outcome));
    await sleep(GIVE_UP_MS + 800);
    assertGaveUp(client, worker, 'slow-1', calledAt, outcome);
    assert.deepEqual(reportsOf(worker, 'slow-1', 'exec-start'), [], 'the worker started a job that reached it past its deadline');
    assert.match(worker!.stderr, /not started \(LATE\)/, 'the job reached the worker, late, and was refused there (not lost on the way)');
  });
});
