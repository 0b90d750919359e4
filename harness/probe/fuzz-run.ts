import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Dealer } from 'zeromq';
import { MajordomoClient } from '../../reference/client';
import { Publisher } from '../../reference/pubsub/publisher';
import { PACKAGE_ROOT } from '../run/package-root';
import { freePort } from '../runtime/ports';
import { seededRandom } from '../util/random';
import { fuzzMessage, type FuzzTarget } from './fuzz-messages';

/**
 * The fuzzer (docs/limits.md, "Fuzzing"): a real broker, echo worker and pub/sub proxy as child
 * processes, hostile peers sending them seeded malformed and adversarial messages, and valid calls
 * (a KHX/1 job, a KHP/1 put) interleaved. It asserts nothing itself: the report says whether a node
 * exited, how many valid calls were answered within their bound, and the nodes' RSS, and the callers
 * (the unit test, `npm run fuzz`) judge it.
 */

export interface FuzzOptions {
  seed: number;
  /** Malformed or adversarial messages to send, over both protocols. */
  messages: number;
  /** One valid call of each protocol after every this many messages. */
  validEvery: number;
  /** A valid call must be answered within this many ms. */
  callBoundMs: number;
  /** Called with progress now and then (messages sent so far). */
  onProgress?: (sent: number) => void;
}

export interface NodeMemory {
  /** RSS in bytes once the node was ready, and at the end. */
  before: number;
  after: number;
  /** The largest RSS seen at any sample (after each valid call). */
  max: number;
}

export interface FuzzReport {
  seed: number;
  sent: number;
  /** Attempts refused at a hostile peer's send high-water mark: not sent, not counted in `sent`. */
  notSent: number;
  byKind: Record<string, number>;
  validCalls: number;
  validAnswered: number;
  /** The first few valid calls that failed or came late, with why. */
  failures: string[];
  /** Nodes that exited during the run, with their exit code or signal. */
  exited: string[];
  memory: { broker: NodeMemory; proxy: NodeMemory };
  durationMs: number;
}

/** RSS a node may reach during a fuzz run (docs/limits.md, "Fuzzing"). */
export const FUZZ_RSS_CEILING = 512 * 1024 * 1024;

/** What is wrong with a report: nothing (an empty list) when no node exited, every valid call was answered, and RSS stayed under the ceiling. */
export function fuzzProblems(report: FuzzReport, rssCeiling = FUZZ_RSS_CEILING): string[] {
  const problems = report.exited.map((exit) => `a node exited: ${exit}`);
  if (report.validCalls === 0) problems.push('no valid call was made');
  if (report.validAnswered < report.validCalls) problems.push(`${report.validCalls - report.validAnswered} of ${report.validCalls} valid calls unanswered: ${report.failures.join('; ')}`);
  for (const [name, memory] of Object.entries(report.memory)) {
    if (memory.max > rssCeiling || memory.after > rssCeiling) problems.push(`${name} RSS reached ${mib(Math.max(memory.max, memory.after))}, over the ceiling of ${mib(rssCeiling)}`);
  }
  return problems;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Bytes over the broker's and the proxy's default 16 MiB message size: such a peer is disconnected by libzmq. */
const OVERSIZED_BYTES = 17 * 1024 * 1024;
const OVERSIZED_EVERY = 50_000;
const PEERS_PER_TARGET = 16;
const NODE_START_MS = 15_000;

interface Node {
  name: string;
  child: ChildProcess;
  exit?: string;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const nodes: Node[] = [];
  const closers: (() => unknown)[] = [];
  try {
    const brokerEndpoint = `tcp://127.0.0.1:${await freePort()}`;
    const proxyEndpoint = `tcp://127.0.0.1:${await freePort()}`;
    const broker = await startNode(nodes, 'broker', ['broker', '--endpoint', brokerEndpoint, '--heartbeat', '500', '--request-expiry', '2000']);
    await startNode(nodes, 'worker', ['worker', '--broker', brokerEndpoint, '--service', 'echo', '--heartbeat', '500']);
    const proxy = await startNode(nodes, 'proxy', ['pubsub-proxy', '--endpoint', proxyEndpoint, '--heartbeat', '500']);
    const memory = { broker: sample(broker.child.pid!), proxy: sample(proxy.child.pid!) };

    const peers: Record<FuzzTarget, Dealer[]> = { broker: [], proxy: [] };
    for (const [target, endpoint] of [['broker', brokerEndpoint], ['proxy', proxyEndpoint]] as const) {
      for (let index = 0; index < PEERS_PER_TARGET; index += 1) {
        // Never read: a receive high-water mark of 10 lets libzmq drop the answers instead of queueing them here.
        const peer = new Dealer({ linger: 0, sendTimeout: 0, receiveHighWaterMark: 10 });
        peer.connect(endpoint);
        peers[target].push(peer);
        closers.push(() => peer.close());
      }
    }
    const client = new MajordomoClient({ broker: brokerEndpoint, timeout: 1_000, attempts: 3, backoffInitial: 50, backoffMax: 200 });
    closers.push(() => client.close());
    const publisher = new Publisher({ proxy: proxyEndpoint, id: 'fuzz-valid', timeout: 1_000, attempts: 3, backoffInitial: 50, backoffMax: 200 });
    closers.push(() => publisher.close());

    const random = seededRandom(options.seed);
    const report: FuzzReport = { seed: options.seed, sent: 0, notSent: 0, byKind: {}, validCalls: 0, validAnswered: 0, failures: [], exited: [], memory: { broker: { ...memory.broker }, proxy: { ...memory.proxy } }, durationMs: 0 };
    const call = async (what: string, run: () => Promise<unknown>): Promise<void> => {
      report.validCalls += 1;
      const began = Date.now();
      const outcome = await bounded(run(), options.callBoundMs);
      if (outcome === 'ok') report.validAnswered += 1;
      else if (report.failures.length < 10) report.failures.push(`${what} after ${report.sent} messages: ${outcome} (${Date.now() - began} ms)`);
    };
    // Until `messages` were sent: a message refused at a peer's send high-water mark does not count, and
    // the loop yields to let the socket drain. The attempts are capped so a wedged peer cannot hang the run.
    for (let counter = 0; report.sent < options.messages && counter < 2 * options.messages; counter += 1) {
      const message = counter % OVERSIZED_EVERY === 1 ? { target: 'broker' as const, kind: 'oversized', frames: [Buffer.alloc(0), Buffer.alloc(OVERSIZED_BYTES)] } : fuzzMessage(random, counter);
      const peer = peers[message.target][counter % PEERS_PER_TARGET];
      try {
        await peer.send(message.frames);
        report.sent += 1;
        report.byKind[`${message.target}: ${message.kind}`] = (report.byKind[`${message.target}: ${message.kind}`] ?? 0) + 1;
      } catch {
        report.notSent += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if ((counter + 1) % options.validEvery === 0) {
        await call('KHX/1 job to echo', () => client.request('echo', [Buffer.from(`valid ${counter}`)], { job: `valid-${options.seed}-${counter}` }));
        await call('KHP/1 put', () => publisher.put('valid-topic', `valid ${counter}`));
        for (const [name, pid] of [['broker', broker.child.pid!], ['proxy', proxy.child.pid!]] as const) report.memory[name].max = Math.max(report.memory[name].max, rssOf(pid));
        options.onProgress?.(counter + 1);
      }
      if (nodes.some((node) => node.exit !== undefined)) break;
    }
    report.memory.broker.after = rssOf(broker.child.pid!);
    report.memory.proxy.after = rssOf(proxy.child.pid!);
    report.exited = nodes.filter((node) => node.exit !== undefined).map((node) => `${node.name}: ${node.exit}`);
    report.durationMs = Date.now() - started;
    return report;
  } finally {
    for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
    await Promise.all(nodes.map(stopNode));
  }
}

async function startNode(nodes: Node[], name: string, args: string[]): Promise<Node> {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'keelhaul.js'), ...args, '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, LOG_LEVEL: 'error' } });
  const node: Node = { name, child };
  nodes.push(node);
  child.once('exit', (code, signal) => (node.exit = signal ?? `exit ${code}`));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fuzz: ${name} not ready within ${NODE_START_MS} ms`)), NODE_START_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`fuzz: ${name} exited before it was ready (${node.exit})`));
    });
    lines.on('line', (line) => {
      if (line.includes('"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return node;
}

async function stopNode(node: Node): Promise<void> {
  if (node.exit !== undefined) return;
  const exited = new Promise<void>((resolve) => node.child.once('exit', () => resolve()));
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function bounded(call: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms)));
  try {
    return await Promise.race([call.then(() => 'ok', (error: unknown) => (error instanceof Error ? error.message : String(error))), late]);
  } finally {
    clearTimeout(timer);
  }
}

function sample(pid: number): NodeMemory {
  const rss = rssOf(pid);
  return { before: rss, after: rss, max: rss };
}

/** Resident set size of a process in bytes, from /proc (Linux); 0 where /proc is missing. */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
