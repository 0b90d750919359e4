import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, test } from 'node:test';
import { encodeJobReply, encodeRequest, KhxStatus } from '../../reference/mdp/codec';
import { encodeControl, encodeInspectAnswer, encodeKillAnswer, encodeWorkerControlAnswer, type KillOutcome } from '../../reference/mdp/control-codec';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { CONTROL_EXIT } from '../../harness/cli/control-commands';
import { SECURITY_SETTINGS_EXIT } from '../../harness/cli/node-options';
import { mmiAnswer, ScriptedBroker, type Received } from './scripted-broker';
import { freeEndpoint, startBroker } from '../reference/helpers';

/**
 * The KHC/1 reference nodes as processes (bin/keelhaul.js) against a scripted ROUTER broker: the worker
 * driver's exec-killed and its exit after STOP, the client driver's kill command and killed fail, and the
 * operator commands' output and exit codes.
 */
const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
const WAIT = 10_000;

interface Node {
  child: ChildProcessWithoutNullStreams;
  reports: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

describe('KHC/1 reference nodes as processes', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const brokerAnswering = async (answer: (received: Received) => Buffer[] | undefined): Promise<ScriptedBroker> => {
    const broker = await ScriptedBroker.start();
    broker.answer = answer;
    closers.push(() => broker.close());
    return broker;
  };

  const run = (args: string[]): Node => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    const node: Node = { child, reports: [], stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    createInterface({ input: child.stdout }).on('line', (line) => {
      node.stdout += `${line}\n`;
      try {
        node.reports.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a report line
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (node.stderr += chunk.toString()));
    closers.push(() => child.exitCode === null && child.kill('SIGKILL'));
    return node;
  };
  const report = (node: Node, type: string, what: string): Promise<Record<string, unknown>> =>
    waitFor(() => node.reports.some((r) => r.type === type), { timeoutMs: WAIT, what }).then(() => node.reports.find((r) => r.type === type) as Record<string, unknown>);
  const killAck = (job: string) => (r: Received) =>
    r.message.kind === 'control-ack' && r.message.instruction === 'KILL' && r.message.job.toString() === job ? r.message.outcome : undefined;

  test('worker driver: ready names its instance; a killed job reports exec-killed and is acked killed; an unstoppable one is acked cannot and ends in exec-end; STOP makes it exit 0', async () => {
    const broker = await brokerAnswering(() => undefined);
    const worker = run(['worker', '--broker', broker.endpoint, '--name', 'worker-1', '--heartbeat', '100', '--exit-with-stdin']);
    const ready = await report(worker, 'ready', 'the worker ready report');
    assert.match(String(ready.instance), /^[0-9a-f-]{36}$/);
    const registered = await broker.welcomeWorker(100);
    assert.deepEqual(registered.message.extensions, ['KHX/1', ready.instance, 'KHC/1', 'KHT/1']);

    await broker.send(registered.identity, encodeRequest(Buffer.from('job-1'), [Buffer.from('job-1'), Buffer.from('work=5000')]));
    await report(worker, 'exec-start', 'exec-start of job-1');
    await broker.send(registered.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: Buffer.from('job-1') }));
    assert.equal(await broker.expect(killAck('job-1'), 'the KILL ack of job-1', WAIT), 'killed');
    assert.deepEqual(await report(worker, 'exec-killed', 'exec-killed of job-1'), { type: 'exec-killed', job: 'job-1', worker: 'worker-1' });
    assert.ok(!worker.reports.some((r) => r.type === 'exec-end' && r.job === 'job-1'), 'a killed job never reports exec-end');

    await broker.send(registered.identity, encodeRequest(Buffer.from('job-2'), [Buffer.from('job-2'), Buffer.from('work=300,unstoppable')]));
    await waitFor(() => worker.reports.some((r) => r.type === 'exec-start' && r.job === 'job-2'), { timeoutMs: WAIT, what: 'exec-start of job-2' });
    await broker.send(registered.identity, encodeControl({ kind: 'control', instruction: 'KILL', job: Buffer.from('job-2') }));
    assert.equal(await broker.expect(killAck('job-2'), 'the KILL ack of job-2', WAIT), 'cannot');
    await broker.expect((r) => (r.message.kind === 'reply' && r.message.client.toString() === 'job-2' ? true : undefined), 'the REPLY of job-2', WAIT);
    assert.ok(worker.reports.some((r) => r.type === 'exec-end' && r.job === 'job-2'));

    await broker.send(registered.identity, encodeControl({ kind: 'control', instruction: 'STOP' }));
    assert.equal(await withTimeout(worker.exit, WAIT, 'the worker to exit after STOP'), 0);
    assert.ok(broker.received.some((r) => r.message.kind === 'disconnect'), 'DISCONNECT before the exit');
  });

  test('the lease across a real freeze: heartbeats the broker sent meanwhile are stale, so the worker abandons the job uncommitted', async () => {
    const broker = await brokerAnswering(() => undefined);
    const worker = run(['worker', '--broker', broker.endpoint, '--name', 'worker-1', '--heartbeat', '100', '--liveness', '3', '--exit-with-stdin']);
    const registered = await broker.welcomeWorker(100);
    await broker.send(registered.identity, encodeRequest(Buffer.from('job-1'), [Buffer.from('job-1'), Buffer.from('work=400')]));
    await report(worker, 'exec-start', 'exec-start of job-1');
    // Frozen past its lease window (300 ms) and past the job's end; the broker keeps heartbeating into its buffers.
    worker.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    worker.child.kill('SIGCONT');
    await waitFor(() => /lease lost/.test(worker.stderr), { timeoutMs: WAIT, what: "the worker's 'lease lost' log" }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; reports ${JSON.stringify(worker.reports)}; log ${worker.stderr}`);
    });
    assert.ok(!worker.reports.some((r) => r.type === 'exec-end'), 'no exec-end after the lease lapsed');
    assert.ok(!broker.received.some((r) => r.message.kind === 'reply'), 'no REPLY after the lease lapsed');
  });

  test('client driver: a kill command reports kill-answer, a job answered 409 reports fail killed, a bad kill command an error', async () => {
    const broker = await brokerAnswering((r) => {
      if (r.message.kind === 'control-request' && r.message.verb === 'KILL') return encodeKillAnswer(r.message.job, 'finished');
      if (r.message.kind === 'job-request') return encodeJobReply(r.message.service, r.message.job, KhxStatus.Killed);
      return mmiAnswer(r, { 'mmi.khc': '200', 'mmi.khx': '200', 'mmi.service': '200' });
    });
    const client = run(['client', '--driver', '--broker', broker.endpoint, '--timeout', '300']);
    await report(client, 'ready', 'the client ready report');
    client.child.stdin.write('{"type":"kill","job":"job-1"}\n{"type":"kill"}\n{"type":"call","job":"job-2","service":"echo"}\n');
    client.child.stdin.end();
    assert.equal(await withTimeout(client.exit, WAIT, 'the client driver to exit'), 0);
    assert.deepEqual(client.reports.find((r) => r.type === 'kill-answer'), { type: 'kill-answer', job: 'job-1', outcome: 'finished' });
    const fail = client.reports.find((r) => r.type === 'fail');
    assert.equal(fail?.killed, true);
    assert.match(String(fail?.error), /^killed/);
    assert.match(String(client.reports.find((r) => r.type === 'error')?.error), /"job" must be a non-empty string/);
  });

  test('reference broker, worker and client drivers: a long job killed mid-run reports exec-killed, kill-answer killed and a killed fail', async () => {
    const endpoint = await freeEndpoint();
    const broker = await startBroker(endpoint, { heartbeatInterval: 100, heartbeatLiveness: 3, resultGrace: 600 });
    closers.push(() => broker.close());
    const worker = run(['worker', '--broker', endpoint, '--name', 'worker-1', '--heartbeat', '100', '--exit-with-stdin']);
    await report(worker, 'ready', 'the worker ready report');
    const client = run(['client', '--driver', '--broker', endpoint, '--timeout', '1000', '--attempts', '5']);
    await report(client, 'ready', 'the client ready report');
    await waitFor(() => broker.stats().workers === 1, { timeoutMs: WAIT, what: 'the worker to register' });
    client.child.stdin.write('{"type":"call","job":"job-1","service":"echo","payload":"work=8000"}\n');
    await report(worker, 'exec-start', 'exec-start of job-1');
    client.child.stdin.write('{"type":"kill","job":"job-1"}\n');
    assert.deepEqual(await report(client, 'kill-answer', 'the kill answer'), { type: 'kill-answer', job: 'job-1', outcome: 'killed' });
    assert.deepEqual(await report(worker, 'exec-killed', 'exec-killed of job-1'), { type: 'exec-killed', job: 'job-1', worker: 'worker-1' });
    const fail = await report(client, 'fail', 'the killed call');
    assert.equal(fail.killed, true);
    assert.ok(!worker.reports.some((r) => r.type === 'exec-end'));
  });

  const operator = async (args: string[], answer: (received: Received) => Buffer[] | undefined): Promise<{ code: number | null; stdout: string }> => {
    const broker = await brokerAnswering(answer);
    const node = run([...args, '--broker', broker.endpoint, '--timeout', '300', '--attempts', '2']);
    const code = await withTimeout(node.exit, WAIT, `keelhaul ${args.join(' ')} to exit`);
    return { code, stdout: node.stdout };
  };
  const killAnswering = (outcome: KillOutcome) => (r: Received) =>
    r.message.kind === 'control-request' && r.message.verb === 'KILL' ? encodeKillAnswer(r.message.job, outcome) : mmiAnswer(r, { 'mmi.khc': '200' });

  test('keelhaul kill prints the outcome and exits 0 killed, 3 finished, 4 unknown; 1 when the broker does not speak KHC/1', async () => {
    const expected: [KillOutcome, number][] = [
      ['killed', CONTROL_EXIT.killed],
      ['finished', CONTROL_EXIT.finished],
      ['unknown', CONTROL_EXIT.unknown],
    ];
    assert.deepEqual(CONTROL_EXIT, { killed: 0, ok: 0, error: 1, finished: 3, unknown: 4, forbidden: 5 }, 'the documented codes');
    for (const [outcome, code] of expected) assert.deepEqual(await operator(['kill', 'job-1'], killAnswering(outcome)), { code, stdout: `${outcome}\n` });
    assert.equal((await operator(['kill', 'job-1'], (r) => mmiAnswer(r, { 'mmi.khc': '501' }))).code, CONTROL_EXIT.error);
  });

  test('keelhaul kill with unusable secure-mode flags exits 2 before it sends anything', async () => {
    const broker = await brokerAnswering(killAnswering('killed'));
    const node = run(['kill', 'job-1', '--broker', broker.endpoint, '--curve-key', '/nonexistent/k.key_secret']);
    assert.equal(await withTimeout(node.exit, WAIT, 'keelhaul kill to exit'), SECURITY_SETTINGS_EXIT);
    assert.equal(broker.received.length, 0);
  });

  test('keelhaul inspect prints the JSON; drain and stop-worker print ok (exit 0) or unknown (exit 4)', async () => {
    const inspected = await operator(['inspect', 'job-9'], (r) =>
      r.message.kind === 'control-request' && r.message.verb === 'INSPECT' ? encodeInspectAnswer(r.message.job, { job: 'job-9', state: 'running' }) : mmiAnswer(r, { 'mmi.khc': '200' }),
    );
    assert.equal(inspected.code, 0);
    assert.deepEqual(JSON.parse(inspected.stdout), { job: 'job-9', state: 'running' });
    const workerControl = (r: Received) =>
      r.message.kind === 'control-request' && (r.message.verb === 'DRAIN' || r.message.verb === 'STOP')
        ? encodeWorkerControlAnswer(r.message.verb, r.message.instance, r.message.instance === 'known' ? 'ok' : 'unknown')
        : mmiAnswer(r, { 'mmi.khc': '200' });
    assert.deepEqual(await operator(['drain', 'known'], workerControl), { code: 0, stdout: 'ok\n' });
    assert.deepEqual(await operator(['stop-worker', 'nobody'], workerControl), { code: CONTROL_EXIT.unknown, stdout: 'unknown\n' });
  });
});
