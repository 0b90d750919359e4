import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../harness/runtime/ports';
import { MajordomoClient } from '../../reference/client';
import type { ClusterStatus } from '../../reference/cluster/cluster-node';
import type { PeerSecurity } from '../../reference/security/peer-security';
import { MajordomoWorker } from '../../reference/worker';
import { sleep } from '../reference/helpers';

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');

/** Short timers so a test cluster elects, fails over and recovers in well under a second. */
export const TEST_ELECTION_MS = 300;
export const TEST_RAFT_HEARTBEAT_MS = 50;
export const TEST_HEARTBEAT_MS = 100;

export interface TestBroker {
  id: string;
  client: string;
  replication: string;
  dataDir: string;
  process?: ChildProcess;
  output: string[];
}

/** A secure cluster's test setup: each broker's own flags (its key, the policy), and how the test reaches a broker as a client. */
export interface TestClusterSecurity {
  argsOf(id: string): string[];
  clientOf(id: string): PeerSecurity;
}

/**
 * A cluster of reference brokers as real processes on 127.0.0.1 (`keelhaul broker --cluster`), each
 * with its own data dir. `kill` is SIGKILL; `freeze`/`resume` are SIGSTOP/SIGCONT; `restart` reuses the dir.
 */
export class TestCluster {
  private constructor(
    readonly brokers: TestBroker[],
    private readonly root: string,
    private readonly extraArgs: string[],
    private readonly security: TestClusterSecurity | undefined,
  ) {}

  static async start(size: number, extraArgs: string[] = [], security?: TestClusterSecurity): Promise<TestCluster> {
    const root = await mkdtemp(path.join(tmpdir(), 'keelhaul-cluster-'));
    const brokers: TestBroker[] = [];
    for (let n = 1; n <= size; n++) {
      brokers.push({ id: `b${n}`, client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}`, dataDir: path.join(root, `b${n}`), output: [] });
    }
    const cluster = new TestCluster(brokers, root, extraArgs, security);
    for (const broker of brokers) cluster.launch(broker);
    return cluster;
  }

  get endpoints(): string {
    return this.brokers.map((broker) => broker.client).join(',');
  }

  get members(): string {
    return this.brokers.map((broker) => `${broker.id}=${broker.client}+${broker.replication}`).join(',');
  }

  byId(id: string): TestBroker {
    const broker = this.brokers.find((candidate) => candidate.id === id);
    if (broker === undefined) throw new Error(`no broker ${id}`);
    return broker;
  }

  launch(broker: TestBroker, more: string[] = []): void {
    const args = [
      BIN, 'broker', '--name', broker.id, '--node-id', broker.id, '--cluster', this.members, '--data-dir', broker.dataDir,
      '--election-timeout', String(TEST_ELECTION_MS), '--raft-heartbeat', String(TEST_RAFT_HEARTBEAT_MS), '--heartbeat', String(TEST_HEARTBEAT_MS), '--liveness', '3', '--exit-with-stdin',
      ...this.extraArgs,
      ...(this.security?.argsOf(broker.id) ?? []),
      ...more,
    ];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    broker.process = child;
    const keep = (chunk: Buffer): void => {
      broker.output.push(chunk.toString());
      if (broker.output.length > 2000) broker.output.splice(0, 1000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts a new broker with --join (not a voter, not in --cluster): `keelhaul cluster add` makes it one. */
  async launchJoining(id: string): Promise<TestBroker> {
    const broker: TestBroker = { id, client: `tcp://127.0.0.1:${await freePort()}`, replication: `tcp://127.0.0.1:${await freePort()}`, dataDir: path.join(this.root, id), output: [] };
    this.launch(broker, ['--join', '--endpoint', broker.client, '--replication-endpoint', broker.replication]);
    this.brokers.push(broker);
    return broker;
  }

  /** Runs `keelhaul cluster <args>` against this cluster's endpoints; resolves to its exit code and stdout (bounded by `timeoutMs`). */
  operator(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'cluster', ...args, '--broker', this.endpoints], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const bound = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(bound);
        resolve({ code, stdout });
      });
    });
  }

  kill(broker: TestBroker): void {
    broker.process?.kill('SIGKILL');
    broker.process = undefined;
  }

  freeze(broker: TestBroker): void {
    broker.process?.kill('SIGSTOP');
  }

  resume(broker: TestBroker): void {
    broker.process?.kill('SIGCONT');
  }

  /** The status one broker reports (mmi.khr.cluster), or undefined without an answer within `timeoutMs`. */
  async statusOf(broker: TestBroker, timeoutMs = 500): Promise<ClusterStatus | undefined> {
    const client = new MajordomoClient({ broker: broker.client, khr: false, checkService: false, attempts: 1, timeout: timeoutMs, security: this.security?.clientOf(broker.id) });
    try {
      const reply = await client.request('mmi.khr.cluster', [Buffer.from('status')]);
      return reply[0]?.toString() === '200' ? (JSON.parse(reply[1]?.toString() ?? '') as ClusterStatus) : undefined;
    } catch {
      return undefined;
    } finally {
      client.close();
    }
  }

  /**
   * Waits (bounded) until a live broker other than `except` leads, serves, and its term is above `aboveTerm`.
   * 20 s by default: three brokers starting beside the other test files on a loaded 2-core machine missed 10 s.
   */
  async leader(options: { except?: TestBroker; aboveTerm?: number; withinMs?: number } = {}): Promise<{ broker: TestBroker; status: ClusterStatus }> {
    const deadline = Date.now() + (options.withinMs ?? LEADER_WAIT_MS);
    while (Date.now() < deadline) {
      for (const broker of this.brokers) {
        if (broker === options.except || broker.process === undefined) continue;
        const status = await this.statusOf(broker, 300);
        if (status?.role === 'leader' && status.serving && status.term > (options.aboveTerm ?? 0)) return { broker, status };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no serving leader within ${options.withinMs ?? LEADER_WAIT_MS} ms${options.except ? ` other than ${options.except.id}` : ''}`);
  }

  async stop(): Promise<void> {
    for (const broker of this.brokers) {
      broker.process?.kill('SIGCONT');
      broker.process?.kill('SIGKILL');
      broker.process = undefined;
    }
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A worker in this process that counts every execution of every job: a second one is a duplicate. `security`: a secure cluster's worker. */
export function countingWorker(endpoints: string, executions: Map<string, number>, security?: PeerSecurity): MajordomoWorker {
  const worker = new MajordomoWorker({
    broker: endpoints,
    service: 'echo',
    heartbeatInterval: TEST_HEARTBEAT_MS,
    heartbeatLiveness: 3,
    reconnectInitial: 50,
    reconnectMax: 300,
    security,
    handler: async (body) => {
      const job = body[0]?.toString() ?? '';
      executions.set(job, (executions.get(job) ?? 0) + 1);
      await sleep(20);
      return body;
    },
  });
  worker.start();
  return worker;
}

const LEADER_WAIT_MS = 20_000;
