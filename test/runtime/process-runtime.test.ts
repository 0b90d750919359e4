import assert from 'node:assert/strict';
import { statFields } from '../../harness/runtime/proc-stat';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';
import { runtimeInTempLogDir } from '../support/runtime-in-temp-log-dir';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import { freePort } from '../../harness/runtime/ports';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { encodeClientRequest } from '../../reference/mdp/codec';
import { RawMdpPeer, texts } from '../reference/helpers';

/**
 * ProcessRuntime with the compiled CLI as the node: real child processes, real signals, real
 * sockets. NodeHandle does not expose a pid, so pids are found in /proc among this process's
 * children (by a marker in their command line) to check process state directly.
 */
const MAIN = path.resolve(__dirname, '../../harness/cli/main.js');
const PROCESS_RUNTIME = path.resolve(__dirname, '../../harness/runtime/process-runtime.js');
const READY_MS = 10_000;

// --- /proc ------------------------------------------------------------------------------------


function procState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** Gone, or a zombie nobody reaped yet: either way it runs nothing and holds no socket. */
function isDead(pid: number): boolean {
  const state = procState(pid);
  return state === undefined || state === 'Z' || state === 'X';
}

/** Pids of this process's children whose command line contains `marker`. */
function childrenWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (Number(statFields(pid)?.[1]) !== process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(marker))) pids.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

async function onlyChildWith(marker: string): Promise<number> {
  let pids: number[] = [];
  await waitFor(() => (pids = childrenWith(marker)).length > 0, { timeoutMs: 2_000, what: `a child process with "${marker}" in its command line` });
  assert.equal(pids.length, 1, `expected one child with "${marker}", found ${pids.join(', ')}`);
  return pids[0];
}

// --- helpers ----------------------------------------------------------------------------------

/** A node's log is written through a stream, so a line may land a moment after the event it records. */
async function waitForLog(file: string, pattern: RegExp, what: string): Promise<string> {
  const read = (): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  try {
    await waitFor(() => pattern.test(read()), { timeoutMs: 1_000, what });
  } catch (error) {
    throw new Error(`${(error as Error).message} in ${file}, which holds:\n${read()}`);
  }
  return read();
}

function brokerSpec(name: string, port: number): NodeSpec {
  return {
    name,
    role: 'broker',
    command: process.execPath,
    args: [MAIN, 'broker', '--endpoint', `tcp://127.0.0.1:${port}`, '--name', name, '--heartbeat', '100', '--exit-with-stdin'],
    env: { LOG_LEVEL: 'warn' },
    readyTimeoutMs: READY_MS,
  };
}

/** One 8/MMI question on a fresh socket: the answer, or undefined if none within `timeoutMs`. */
async function askService(port: number, timeoutMs: number): Promise<string | undefined> {
  const peer = new RawMdpPeer(`tcp://127.0.0.1:${port}`);
  try {
    await peer.send(encodeClientRequest('mmi.service', [Buffer.from('echo')]));
    const frames = await peer.receive(timeoutMs);
    return frames ? texts(frames).at(-1) : undefined;
  } finally {
    peer.close();
  }
}

describe('ProcessRuntime', () => {
  let logDir: string;
  let runtime: ProcessRuntime;
  let dispose: () => Promise<void>;

  beforeEach(() => {
    ({ runtime, logDir, dispose } = runtimeInTempLogDir('keelhaul-runtime-test-'));
  });

  afterEach(() => dispose());

  test('starts the CLI broker and waits for it to report ready: it answers at once', async () => {
    const port = await freePort();
    const node = await runtime.start(brokerSpec('broker-ready', port));
    assert.equal(node.running, true);
    assert.equal(node.frozen, false);
    assert.equal(node.name, 'broker-ready');
    assert.equal(node.role, 'broker');
    assert.equal(await askService(port, 1_000), '404');
  });

  test('freeze() stops the process (state T, requests time out) and resume() brings it back', async () => {
    const port = await freePort();
    const node = await runtime.start(brokerSpec('broker-freeze', port));
    const pid = await onlyChildWith(`tcp://127.0.0.1:${port}`);
    assert.equal(await askService(port, 1_000), '404');

    await node.freeze();
    assert.equal(node.frozen, true);
    await waitFor(() => procState(pid) === 'T', { timeoutMs: 1_000, what: `pid ${pid} to be stopped (state ${procState(pid)})` });

    const peer = new RawMdpPeer(`tcp://127.0.0.1:${port}`);
    try {
      await peer.send(encodeClientRequest('mmi.service', [Buffer.from('echo')]));
      assert.equal(await peer.receive(300), undefined, 'a frozen broker answered');
      assert.equal(procState(pid), 'T');

      await node.resume();
      assert.equal(node.frozen, false);
      await waitFor(() => procState(pid) !== 'T', { timeoutMs: 1_000, what: `pid ${pid} to run again` });
      // The question asked while it was frozen is answered once it runs.
      const late = await peer.receive(2_000);
      assert.ok(late, 'the resumed broker did not answer the request it got while frozen');
      assert.equal(texts(late).at(-1), '404');
    } finally {
      peer.close();
    }
    assert.equal(await askService(port, 1_000), '404');
  });

  test('kill() ends the process and running turns false; restart() brings it back on the same port', async () => {
    const port = await freePort();
    const node = await runtime.start(brokerSpec('broker-kill', port));
    const pid = await onlyChildWith(`tcp://127.0.0.1:${port}`);

    await node.kill();
    assert.equal(node.running, false);
    assert.ok(isDead(pid), `pid ${pid} is still alive (state ${procState(pid)})`);
    assert.equal(await askService(port, 200), undefined, 'something still answers on the killed broker\'s port');

    await node.restart();
    assert.equal(node.running, true);
    const newPid = await onlyChildWith(`tcp://127.0.0.1:${port}`);
    assert.notEqual(newPid, pid);
    assert.equal(await askService(port, 1_000), '404');
    const log = await waitForLog(path.join(logDir, 'broker-kill.log'), /exit: SIGKILL[\s\S]* start: /, 'a SIGKILL exit followed by a second start');
    assert.equal(log.match(/ start: /g)?.length, 2, `expected two starts in the log:\n${log}`);
  });

  test('restart() works on a frozen node too', async () => {
    const port = await freePort();
    const node = await runtime.start(brokerSpec('broker-frozen-restart', port));
    await node.freeze();
    await node.restart();
    assert.equal(node.frozen, false);
    assert.equal(await askService(port, 1_000), '404');
  });

  test('a node that exits at once makes start() reject naming the node and its log', async () => {
    const spec: NodeSpec = { name: 'quitter', role: 'worker', command: process.execPath, args: ['-e', 'process.exit(3)'], readyTimeoutMs: READY_MS };
    const started = Date.now();
    await assert.rejects(runtime.start(spec), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^quitter exited \(code 3\) before it was ready/);
      assert.ok(error.message.includes(path.join(logDir, 'quitter.log')), `no log path in "${error.message}"`);
      return true;
    });
    assert.ok(Date.now() - started < READY_MS / 2, 'start() waited for the ready timeout instead of noticing the exit');
    await waitForLog(path.join(logDir, 'quitter.log'), /exit: code 3/, 'the exit code');
  });

  test("a node's log holds its stdout and stderr in the order written, control bytes escaped, its last words before the exit line", async () => {
    // Written back to back, alternating: two pipes read one after the other would put every err line after the out lines.
    const script = [
      "const fs = require('fs');",
      "fs.writeSync(1, 'ready now\\n');",
      "setTimeout(() => {",
      "  for (let i = 1; i <= 30; i++) fs.writeSync(i % 2 ? 2 : 1, 'line ' + i + '\\n');",
      "  fs.writeSync(1, JSON.stringify({ type: 'note', text: 'a report, not a log line' }) + '\\n');",
      "  fs.writeSync(2, 'a frame \\x01 and an escape \\x1b[2J\\tend\\n');",
      "  fs.writeSync(2, 'last words\\n');",
      "  process.exit(3);",
      "}, 50);",
    ].join('\n');
    const node = await runtime.start({ name: 'talker', role: 'broker', command: process.execPath, args: ['-e', script], ready: { kind: 'log', pattern: /ready now/ }, readyTimeoutMs: READY_MS });
    const reports: object[] = [];
    node.onReport((report) => reports.push(report));
    await waitFor(() => !node.running, { timeoutMs: 5_000, what: 'the talker to exit' });
    const log = await waitForLog(path.join(logDir, 'talker.log'), /exit: code 3/, 'the exit line');
    const lines = log.split('\n').filter((line) => line !== '');
    assert.match(lines[0], /^--- \S+ start: \S+ -e const fs = require\('fs'\);\\x0afs\.writeSync/, 'the start line escapes the inline script\'s newlines');
    const controlBytes = 'a frame \\x01 and an escape \\x1b[2J\tend';
    assert.deepEqual(lines.slice(1, -1), ['ready now', ...Array.from({ length: 30 }, (_, i) => `line ${i + 1}`), controlBytes, 'last words']);
    assert.match(lines[lines.length - 1], /^--- \S+ exit: code 3$/);
    assert.deepEqual(reports, [{ type: 'note', text: 'a report, not a log line' }]);
  });

  test('reload() sends SIGHUP to the node (a secure server re-reads its policy on it), which keeps running', async () => {
    const script = "process.on('SIGHUP', () => console.log('hup heard')); console.log('ready now'); setInterval(() => {}, 1000);";
    const node = await runtime.start({ name: 'reloader', role: 'broker', command: process.execPath, args: ['-e', script], ready: { kind: 'log', pattern: /ready now/ }, readyTimeoutMs: READY_MS });
    await node.reload();
    await waitForLog(path.join(logDir, 'reloader.log'), /hup heard/, 'the SIGHUP handler\'s line');
    assert.equal(node.running, true);
    await node.kill();
  });

  test('a command that does not exist makes start() reject at once', async () => {
    const spec: NodeSpec = { name: 'nobody', role: 'worker', command: path.join(logDir, 'no-such-command'), args: [], readyTimeoutMs: READY_MS };
    const started = Date.now();
    await assert.rejects(runtime.start(spec), /^NodeStartError: nobody could not start|nobody could not start/);
    assert.ok(Date.now() - started < READY_MS / 2, 'start() waited for the ready timeout');
  });

  test('a node that never reports ready is killed after readyTimeoutMs and start() rejects', async () => {
    const marker = `never-ready-${process.pid}-${Date.now()}`;
    const spec: NodeSpec = {
      name: 'sleeper',
      role: 'worker',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000); console.log("not a report")', marker],
      readyTimeoutMs: 400,
    };
    const started = Date.now();
    const starting = runtime.start(spec);
    const pid = await onlyChildWith(marker);
    await assert.rejects(starting, (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^sleeper did not report ready within 400 ms/);
      assert.ok(error.message.includes(path.join(logDir, 'sleeper.log')), `no log path in "${error.message}"`);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400 && elapsed < 2_000, `rejected after ${elapsed} ms`);
    await waitFor(() => isDead(pid), { timeoutMs: 1_000, what: `the never-ready node (pid ${pid}) to be killed` });
  });

  test('shutdown() leaves no child alive, frozen ones included', async () => {
    const port = await freePort();
    const broker = await runtime.start(brokerSpec('broker-shutdown', port));
    const worker = await runtime.start({
      name: 'worker-shutdown',
      role: 'worker',
      command: process.execPath,
      args: [MAIN, 'worker', '--broker', `tcp://127.0.0.1:${port}`, '--name', 'worker-shutdown', '--heartbeat', '100', '--exit-with-stdin'],
      env: { LOG_LEVEL: 'warn' },
      readyTimeoutMs: READY_MS,
    });
    const pids = [await onlyChildWith('broker-shutdown'), await onlyChildWith('worker-shutdown')];
    await worker.freeze();

    await withTimeout(runtime.shutdown(), 5_000, 'runtime.shutdown()');
    assert.equal(broker.running, false);
    assert.equal(worker.running, false);
    for (const pid of pids) assert.ok(isDead(pid), `pid ${pid} survived shutdown (state ${procState(pid)})`);
    assert.deepEqual(childrenWith(MAIN), [], 'a CLI child process is still alive');
    await runtime.shutdown(); // safe to call twice
  });

  test('a node started with --exit-with-stdin exits when the harness process that started it is SIGKILLed', async () => {
    const port = await freePort();
    const script = path.join(logDir, 'doomed-harness.js');
    fs.writeFileSync(
      script,
      `
const fs = require('node:fs');
const { ProcessRuntime } = require(${JSON.stringify(PROCESS_RUNTIME)});
(async () => {
  const runtime = new ProcessRuntime({ logDir: ${JSON.stringify(logDir)} });
  await runtime.start({
    name: 'orphan-worker',
    role: 'worker',
    command: process.execPath,
    args: [${JSON.stringify(MAIN)}, 'worker', '--broker', 'tcp://127.0.0.1:${port}', '--name', 'orphan-worker', '--exit-with-stdin'],
    readyTimeoutMs: 10000,
  });
  const children = fs.readdirSync('/proc').filter((entry) => {
    if (!/^\\d+$/.test(entry)) return false;
    try {
      const stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
      // The sentinel (harness/runtime/sentinel.ts) is a child too; only the worker counts here.
      if (fs.readFileSync('/proc/' + entry + '/cmdline', 'utf8').includes('sentinel-main')) return false;
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
    } catch {
      return false;
    }
  });
  process.stdout.write(JSON.stringify({ children: children.map(Number) }) + '\\n');
  process.kill(process.pid, 'SIGKILL');
})().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\\n');
  process.exit(1);
});
`,
    );
    const harness = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000, killSignal: 'SIGKILL' });
    let workerPids: number[] = [];
    try {
      let stderr = '';
      harness.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = createInterface({ input: harness.stdout });
      const exited = new Promise<string | null>((resolve) => harness.once('exit', (_code, signal) => resolve(signal)));
      lines.on('line', (line) => {
        workerPids = (JSON.parse(line) as { children: number[] }).children;
      });
      const signal = await withTimeout(exited, 12_000, 'the doomed harness to start its worker and kill itself');
      assert.equal(signal, 'SIGKILL', `the doomed harness did not die by SIGKILL: ${stderr}`);
      assert.equal(workerPids.length, 1, `expected the harness to report one worker pid, got ${JSON.stringify(workerPids)} (stderr: ${stderr})`);
      const [pid] = workerPids;
      const started = Date.now();
      await waitFor(() => isDead(pid), { timeoutMs: 3_000, what: `orphaned worker pid ${pid} to exit (state ${procState(pid)})` });
      assert.ok(Date.now() - started <= 3_000);
    } finally {
      if (harness.exitCode === null && harness.signalCode === null) harness.kill('SIGKILL');
      for (const pid of workerPids) {
        try {
          process.kill(pid, 'SIGKILL'); // only if the test failed and it is still there
        } catch {
          // gone, as it should be
        }
      }
    }
  });
});
