/**
 * A stand-in harness for the "nothing left behind" and "runs never disturb each other" tests
 * (leftovers.test.ts): started as a child process, it uses the runtime library the way a harness
 * does, prints one JSON line saying what it started, then waits to be signalled — or, in `pair`
 * mode, until its stdin closes, when it shuts its runtime down and exits 0.
 *
 *   node leftovers-child.js --child process <logDir>   fault proxy, broker, two workers (one frozen),
 *                                                      and a node with a child of its own (frozen too)
 *   node leftovers-child.js --child pair <logDir> <n>  n brokers started at once, each on its own port
 *   node leftovers-child.js --child docker <logDir> <image>  fault proxy, broker, worker (paused)
 *
 * Without `--child` it does nothing (node --test runs every .js under test/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { descendants, identify, type ProcessIdentity } from '../../harness/runtime/proc-stat';
import { sentinelPid } from '../../harness/runtime/sentinel';

export const MAIN = path.resolve(__dirname, '../../harness/cli/main.js');

export interface ChildReport {
  /** Every process the stand-in harness started, with its start time (the sentinel excluded). */
  processes: ProcessIdentity[];
  /** Processes that were frozen (SIGSTOP) when the report was written. */
  frozen: number[];
  /** Ports nodes and the fault proxy listen on. */
  ports: number[];
  sentinel?: number;
  /** The docker run id (docker mode). */
  runId?: string;
}

/** A reference node of `role` on 127.0.0.1. No --exit-with-stdin: it outlives its harness unless someone kills it. */
function referenceSpec(role: 'broker' | 'worker', name: string, args: string[]): NodeSpec {
  return { name, role, command: process.execPath, args: [MAIN, role, ...args, '--name', name, '--heartbeat', '100'], env: { LOG_LEVEL: 'warn' }, readyTimeoutMs: 15_000 };
}

export function brokerSpec(name: string, port: number): NodeSpec {
  return referenceSpec('broker', name, ['--endpoint', `tcp://127.0.0.1:${port}`]);
}

function workerSpec(name: string, port: number): NodeSpec {
  return referenceSpec('worker', name, ['--broker', `tcp://127.0.0.1:${port}`]);
}

/** A node that starts a child of its own (which ignores SIGINT and SIGTERM), then says it is ready. */
function parentSpec(name: string): NodeSpec {
  const grandchild = "process.on('SIGINT',()=>{});process.on('SIGTERM',()=>{});setInterval(()=>{},1000)";
  const node = `require('child_process').spawn(process.execPath,['-e',${JSON.stringify(grandchild)}],{stdio:'ignore'});process.stdout.write(JSON.stringify({type:'ready',role:'worker'})+'\\n');setInterval(()=>{},1000)`;
  return { name, role: 'worker', command: process.execPath, args: ['-e', node], readyTimeoutMs: 15_000 };
}

/** This process's children other than the sentinel, and their descendants (the nodes' own children). */
function startedProcesses(): ProcessIdentity[] {
  const sentinel = sentinelPid();
  const found = new Map<number, ProcessIdentity>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === sentinel) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
    } catch {
      continue;
    }
    const leader = identify(Number(entry));
    found.set(leader.pid, leader);
    for (const member of descendants(leader)) found.set(member.pid, member);
  }
  return [...found.values()];
}

function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function report(value: ChildReport): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function processMode(logDir: string): Promise<void> {
  const runtime = new ProcessRuntime({ logDir });
  const proxy = await runtime.faultProxy(path.join(logDir, 'fault-proxy.log'));
  const port = await runtime.allocatePort();
  await runtime.start(brokerSpec('broker', port));
  const [, frozenWorker, parent] = await Promise.all([
    runtime.start(workerSpec('worker-1', port)),
    runtime.start(workerSpec('worker-2', port)),
    runtime.start(parentSpec('parent')),
  ]);
  await freezeAll([frozenWorker, parent]);
  const processes = startedProcesses();
  report({
    processes,
    frozen: processes.filter((p) => stateOf(p.pid) === 'T').map((p) => p.pid),
    ports: [port, Number(new URL(proxy.url).port)],
    sentinel: sentinelPid(),
  });
}

async function freezeAll(nodes: NodeHandle[]): Promise<void> {
  for (const node of nodes) await node.freeze();
  // SIGSTOP is delivered asynchronously: wait (bounded) until /proc shows every group member stopped.
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline && startedProcesses().filter((p) => stateOf(p.pid) === 'T').length < 3) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function pairMode(logDir: string, count: number): Promise<void> {
  const runtime = new ProcessRuntime({ logDir });
  const ports = await Promise.all(Array.from({ length: count }, () => runtime.allocatePort()));
  await Promise.all(ports.map((port, i) => runtime.start(brokerSpec(`broker-${i + 1}`, port))));
  report({ processes: startedProcesses(), frozen: [], ports, sentinel: sentinelPid() });
  process.stdin.resume();
  process.stdin.once('end', () => {
    void runtime.shutdown().then(() => process.exit(0));
  });
}

async function dockerMode(logDir: string, image: string): Promise<void> {
  const { DockerRuntime } = require('../../harness/runtime/docker/docker-runtime') as typeof import('../../harness/runtime/docker/docker-runtime');
  const runtime = new DockerRuntime({ logDir, image });
  await runtime.faultProxy();
  const broker = brokerSpec('broker', 5555);
  await runtime.start({ ...broker, args: [MAIN, 'broker', '--endpoint', 'tcp://0.0.0.0:5555', '--name', 'broker', '--heartbeat', '100'] });
  const worker = await runtime.start({ ...workerSpec('worker-1', 5555), args: [MAIN, 'worker', '--broker', runtime.endpoint('broker', 5555), '--name', 'worker-1', '--heartbeat', '100'] });
  await worker.freeze();
  report({ processes: [], frozen: [], ports: [], sentinel: sentinelPid(), runId: runtime.runId });
}

if (require.main === module && process.argv[2] === '--child') {
  const [mode, logDir, extra] = process.argv.slice(3);
  const run = mode === 'process' ? processMode(logDir!) : mode === 'pair' ? pairMode(logDir!, Number(extra ?? 4)) : dockerMode(logDir!, extra!);
  // Keeps running until signalled (or, in pair mode, until stdin closes).
  setInterval(() => undefined, 60_000);
  run.catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
