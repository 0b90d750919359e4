import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { MajordomoClient } from '../../reference/client';
import { MajordomoWorker } from '../../reference/worker';
import { sleep } from '../reference/helpers';
import { TestCluster, TEST_HEARTBEAT_MS } from './cluster-processes';

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');

/**
 * KHR/1 revision 3 and the client's rotation, on a real cluster of reference brokers (processes, real
 * sockets): a worker that lists one follower and no route reaches the leader through the endpoint the
 * follower's `mmi.khr` names; a client drops from its rotation a member the cluster removed.
 */
describe('KHR/1: leaders and members a peer was not started with', { timeout: 120_000 }, () => {
  const clusters: TestCluster[] = [];
  const processes: ChildProcess[] = [];
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    for (const child of processes.splice(0)) child.kill('SIGKILL');
    for (const cluster of clusters.splice(0)) await cluster.stop();
  });

  /** One call with a job id on a fresh client of `broker`; resolves to the reply's first frame, or the error's message. */
  async function call(broker: string, job: string, timeout = 700): Promise<string> {
    const client = new MajordomoClient({ broker, khr: true, checkService: false, timeout, attempts: 2, backoffInitial: 50, backoffMax: 200 });
    try {
      return (await client.request('echo', [Buffer.from(job)], { job }))[0]?.toString() ?? '';
    } catch (error) {
      return `error: ${(error as Error).message}`;
    } finally {
      client.close();
    }
  }

  it('a KHR/1 worker that lists only a follower and has no route registers with the leader the follower names', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    const { broker: leader } = await cluster.leader();
    const follower = cluster.brokers.find((broker) => broker !== leader);
    assert.ok(follower);
    // The worker process is told of the follower only: its TERM names the leader by node id, which it has no route to.
    const worker = spawn(process.execPath, [BIN, 'worker', '--name', 'w1', '--broker', follower.client, '--khr', 'on', '--heartbeat', String(TEST_HEARTBEAT_MS), '--liveness', '3', '--reconnect-initial', '50', '--reconnect-max', '300', '--exit-with-stdin'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    processes.push(worker);
    let output = '';
    worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Only the leader serves: a job answered there ran on this worker, the only one of the service.
    let answer = '';
    // 20 s: a worker process's start and its follower round on a loaded 2-core machine.
    const deadline = Date.now() + 20_000;
    for (let n = 1; Date.now() < deadline; n++) {
      answer = await call(leader.client, `unlisted-${n}`);
      if (answer === `unlisted-${n}`) break;
    }
    assert.match(answer, /^unlisted-\d+$/, `the leader never got the job done: ${answer}\n${output.slice(-3000)}`);
    assert.match(output, /"type":"exec-start"/, 'the worker ran it');
    assert.match(output, /going to the endpoint mmi\.khr names/, 'it found the leader through the follower\'s mmi.khr');
  });

  it('a client drops a member the cluster removed from its rotation, and keeps every endpoint it was given', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    await cluster.leader();
    const given = cluster.brokers.map((broker) => broker.client);
    const newcomer = await cluster.launchJoining('b4');
    const added = await cluster.operator(['add', `${newcomer.id}=${newcomer.client}+${newcomer.replication}`]);
    assert.equal(added.code, 0, added.stdout);
    const worker = new MajordomoWorker({ broker: given.join(','), service: 'echo', heartbeatInterval: TEST_HEARTBEAT_MS, heartbeatLiveness: 3, reconnectInitial: 50, reconnectMax: 300, handler: async (body) => body });
    worker.start();
    closers.push(() => worker.close());
    const client = new MajordomoClient({ broker: given.join(','), checkService: false, timeout: 700, attempts: 10, backoffInitial: 50, backoffMax: 300 });
    closers.push(() => client.close());
    assert.equal((await client.request('echo', [Buffer.from('before')], { job: 'before' }))[0]?.toString(), 'before');
    assert.deepEqual([...client.endpoints].sort(), [...given, newcomer.client].sort(), 'the member added later joined the rotation');

    const removed = await cluster.operator(['remove', 'b4']);
    assert.equal(removed.code, 0, removed.stdout);
    // A failover makes the client read the voters again: the leader dies, the calls move on.
    const { broker: leader } = await cluster.leader();
    cluster.kill(leader);
    await cluster.leader({ except: leader });
    const deadline = Date.now() + 20_000;
    for (let n = 1; client.endpoints.includes(newcomer.client) && Date.now() < deadline; n++) {
      await client.request('echo', [Buffer.from(`after-${n}`)], { job: `after-${n}` }).catch(() => undefined);
      await sleep(200);
    }
    assert.deepEqual([...client.endpoints].sort(), [...given].sort(), 'b4 left the rotation; the given endpoints, the dead leader among them, stayed');
  });
});
