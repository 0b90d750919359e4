import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Dealer } from 'zeromq';
import { clusterChange } from '../../harness/cli/cluster-commands';
import { freePort } from '../../harness/runtime/ports';
import { MajordomoClient } from '../../reference/client';
import { encodeRaftMessage } from '../../reference/cluster/raft-message-codec';
import type { AppendRequest } from '../../reference/replication/messages';
import { PeerSecurity } from '../../reference/security/peer-security';
import { sleep } from '../reference/helpers';
import { SecurityFixture, type Rights } from '../reference/security/fixture';
import { countingWorker, TestCluster, type TestBroker, type TestClusterSecurity } from './cluster-processes';

/**
 * Secure replication (docs/replication.md, "Secure replication"), as real broker processes on real
 * sockets: replication links are CURVE between replica keys of the policy, and nothing else gets in.
 */

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
/** What an intruder claims: a term no election of these tests reaches, so a term at or past it was taken from the intruder. */
const INTRUDER_TERM = 1000;

/** One policy for every replica: the brokers share one key pair (clients know one server key), listed for every node id. */
const SHARED_RIGHTS: Record<string, Rights> = {
  brokers: { replicate: ['b1', 'b2', 'b3', 'b4'] },
  client: { call: ['echo'] },
  worker: { register: ['echo'] },
};

function sharedKeySecurity(fixture: SecurityFixture): TestClusterSecurity {
  return {
    argsOf: () => ['--curve-key', fixture.secretFile('brokers'), '--policy', fixture.policyFile],
    clientOf: () => new PeerSecurity(fixture.keys('client'), fixture.keys('brokers').publicKey),
  };
}

/** An append claiming to come from `from` at a term far above any real one: a replica that took it would adopt that term. */
function forgedAppend(from: string, to: string): Buffer {
  const append: AppendRequest = { type: 'append', from, to, term: INTRUDER_TERM, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, round: 1 };
  return encodeRaftMessage(append);
}

/** Connects to `endpoint` with these socket options, sends `frames`, and resolves to what came back within `waitMs` (nothing: undefined). */
async function intrude(endpoint: string, options: ConstructorParameters<typeof Dealer>[0], frames: Buffer[], waitMs = 1_000): Promise<Buffer[] | undefined> {
  const socket = new Dealer({ linger: 0, sendTimeout: 500, receiveTimeout: waitMs, ...options });
  socket.connect(endpoint);
  try {
    // Not `immediate`: the message waits in the socket's queue for a handshake that never completes.
    await socket.send(frames).catch(() => undefined);
    return await socket.receive().catch(() => undefined);
  } finally {
    socket.close();
  }
}

async function waitForOutput(broker: TestBroker, pattern: RegExp, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (pattern.test(broker.output.join(''))) return true;
    await sleep(100);
  }
  return false;
}

async function termsOf(cluster: TestCluster): Promise<number[]> {
  const statuses = await Promise.all(cluster.brokers.map((broker) => cluster.statusOf(broker, 1_000)));
  return statuses.map((status) => status?.term ?? -1);
}

describe('secure replication: CURVE between the replicas of a secure cluster', { timeout: 120_000 }, () => {
  let fixture: SecurityFixture;
  const clusters: TestCluster[] = [];
  const closers: (() => void)[] = [];
  before(() => {
    fixture = new SecurityFixture(SHARED_RIGHTS, ['intruder']);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    for (const cluster of clusters.splice(0)) await cluster.stop();
  });
  after(() => fs.rmSync(fixture.folder, { recursive: true, force: true }));

  it('a secure 3-replica cluster elects a leader and serves a secure KHR/1 client; with the leader SIGKILLed mid-run every job completes, none twice', async () => {
    const cluster = await TestCluster.start(3, [], sharedKeySecurity(fixture));
    clusters.push(cluster);
    const { broker: first, status } = await cluster.leader();
    assert.equal(status.replication.secure, true);
    const executions = new Map<string, number>();
    const worker = countingWorker(cluster.endpoints, executions, new PeerSecurity(fixture.keys('worker'), fixture.keys('brokers').publicKey));
    closers.push(() => worker.close());
    const client = new MajordomoClient({ broker: cluster.endpoints, checkService: false, timeout: 700, attempts: 10, backoffInitial: 50, backoffMax: 300, security: sharedKeySecurity(fixture).clientOf('b1') });
    closers.push(() => client.close());
    const jobs = Array.from({ length: 30 }, (_, n) => `secure-${n + 1}`);
    const outcomes = new Map<string, string>();
    const running = (async () => {
      for (const job of jobs) {
        const reply = await client.request('echo', [Buffer.from(job)], { job }).then((frames) => `ok:${frames[0]?.toString()}`, (error: Error) => `error:${error.message}`);
        outcomes.set(job, reply);
      }
    })();
    while (outcomes.size < 10) await sleep(20);
    cluster.kill(first);
    const { status: second } = await cluster.leader({ except: first, aboveTerm: status.term, withinMs: 15_000 });
    await running;
    for (const job of jobs) assert.equal(outcomes.get(job), `ok:${job}`);
    assert.deepEqual([...executions].filter(([, runs]) => runs > 1), [], 'no job ran twice');
    assert.equal(second.replication.refused, 0, 'the replicas refused none of each other\'s messages');
    assert.equal(second.replication.handshakeFailures, 0);
  });

  it('a plain DEALER, a CURVE peer with an unlisted key and one with a client\'s key get nothing in and change nothing: no term adopted, no answer; the refused keys counted and logged', async () => {
    const cluster = await TestCluster.start(3, [], sharedKeySecurity(fixture));
    clusters.push(cluster);
    const { broker: leader } = await cluster.leader();
    const follower = cluster.brokers.find((broker) => broker !== leader)!;
    const brokersKey = fixture.keys('brokers').publicKey;
    const curveAs = (name: string) => new PeerSecurity(fixture.keys(name), brokersKey);
    for (const target of [leader, follower]) {
      const forged = forgedAppend(leader === target ? follower.id : leader.id, target.id);
      assert.equal(await intrude(target.replication, {}, [forged]), undefined, 'a plain DEALER hears nothing');
      for (const name of ['intruder', 'client']) {
        const peer = curveAs(name);
        assert.equal(await intrude(target.replication, peer.socketOptions(), peer.wrap([forged])), undefined, `a CURVE peer with the ${name}'s key hears nothing`);
      }
    }
    const terms = await termsOf(cluster);
    assert.ok(terms.every((term) => term > 0 && term < INTRUDER_TERM), `no replica took the intruders' term: ${terms.join(', ')}`);
    for (const target of [leader, follower]) {
      // libzmq reports a failed handshake through the socket's monitor, which the broker reads asynchronously.
      // Only the two ZAP refusals are sure to be seen here: a plain peer that reads the CURVE greeting first
      // may hang up before this side has read its NULL one (this side then sees a bare disconnect).
      const deadline = Date.now() + 3_000;
      let status = await cluster.statusOf(target, 1_000);
      while ((status?.replication.handshakeFailures ?? 0) < 2 && Date.now() < deadline) {
        await sleep(100);
        status = await cluster.statusOf(target, 1_000);
      }
      assert.ok((status?.replication.handshakeFailures ?? 0) >= 2, `${target.id} counted the refused keys' handshakes: ${JSON.stringify(status?.replication)}`);
      assert.equal(status?.replication.refused, 0, 'nothing got as far as an envelope check');
      const refusedKeys = target.output.join('').split('\n').filter((line) => /refused a key the policy gives no replicate right \(ZAP\)/.test(line));
      for (const name of ['intruder', 'client']) assert.ok(refusedKeys.some((line) => line.includes(fixture.keys(name).publicKey)), `${target.id} logged the ${name}'s key as refused`);
    }
    const { broker: still } = await cluster.leader();
    assert.equal(still.id, leader.id, 'the leader is unchanged');
    // The operator's CLI as a client of the brokers' key: any listed key may ask the status; a change needs the call right.
    const keys = ['--curve-key', fixture.secretFile('client'), '--server-key', brokersKey];
    const status = await cluster.operator(['status', ...keys]);
    assert.equal(status.code, 0, status.stdout);
    assert.equal((JSON.parse(status.stdout) as { leader: string }).leader, leader.id);
    const removal = await cluster.operator(['remove', follower.id, ...keys]);
    assert.equal(removal.code, 1);
    assert.match(removal.stdout, /403 this key may not change the cluster: its principal needs "call: \[mmi\.khr\.cluster\]"/);
  });

  it('control: the same forged append on a plain cluster\'s replication endpoint is taken (its term jumps): what the secure mode stops', async () => {
    const cluster = await TestCluster.start(3);
    clusters.push(cluster);
    const { broker: leader } = await cluster.leader();
    const follower = cluster.brokers.find((broker) => broker !== leader)!;
    await intrude(follower.replication, {}, [forgedAppend(leader.id, follower.id)], 300);
    const deadline = Date.now() + 3_000;
    let term = (await cluster.statusOf(follower))?.term ?? 0;
    while (term < INTRUDER_TERM && Date.now() < deadline) {
      await sleep(100);
      term = (await cluster.statusOf(follower))?.term ?? 0;
    }
    assert.ok(term >= INTRUDER_TERM, `the plain follower adopted the forged term (${term})`);
  });

  it('with a key per replica: each reaches its peers by the key the policy names for their id, a replica key speaking for another id is refused, and a member is added once the policy names its key', async () => {
    const rights: Record<string, Rights> = { b1: { replicate: ['b1'] }, b2: { replicate: ['b2'] }, b3: { replicate: ['b3'] }, operator: { call: ['mmi.khr.cluster'] } };
    const perReplica = new SecurityFixture(rights, ['b4']);
    closers.push(() => fs.rmSync(perReplica.folder, { recursive: true, force: true }));
    const security: TestClusterSecurity = {
      argsOf: (id) => ['--curve-key', perReplica.secretFile(id), '--policy', perReplica.policyFile],
      clientOf: (id) => new PeerSecurity(perReplica.keys('operator'), perReplica.keys(id).publicKey),
    };
    const cluster = await TestCluster.start(3, [], security);
    clusters.push(cluster);
    const { broker: leader } = await cluster.leader();
    const follower = cluster.brokers.find((broker) => broker !== leader)!;
    const other = cluster.brokers.find((broker) => broker !== leader && broker !== follower)!;
    // The other replica's own key, claiming to be the leader: admitted by ZAP, refused by its envelope's principal.
    const impostor = new PeerSecurity(perReplica.keys(other.id), perReplica.keys(follower.id).publicKey);
    await intrude(follower.replication, impostor.socketOptions(), impostor.wrap([forgedAppend(leader.id, follower.id)]), 500);
    assert.ok(((await cluster.statusOf(follower, 1_000))?.replication.refused ?? 0) >= 1, 'the follower refused the message');
    assert.ok((await termsOf(cluster)).every((term) => term > 0 && term < INTRUDER_TERM), 'no replica took the impostor\'s term');

    const newcomer = await cluster.launchJoining('b4');
    const member = `b4=${newcomer.client}+${newcomer.replication}`;
    const operator = security.clientOf(leader.id);
    const refused = await clusterChange([leader.client], ['add', member], operator);
    assert.equal(refused.ok, false);
    assert.match(refused.text, /the policy names no replica key for b4/);
    assert.equal(await exitOf(newcomer), 2, 'b4 itself refused to start without its key in the policy');
    assert.match(newcomer.output.join(''), /names no replica key for this broker \(b4\)/);
    perReplica.writePolicy({ ...rights, b4: { replicate: ['b4'] } });
    cluster.launch(newcomer, ['--join', '--endpoint', newcomer.client, '--replication-endpoint', newcomer.replication]);
    // The replicas re-read the policy on their next tick (its file changed); the operator's first tries may precede it.
    let added = await clusterChange([leader.client], ['add', member], operator);
    for (let tries = 0; !added.ok && tries < 5; tries++) {
      await sleep(200);
      added = await clusterChange([leader.client], ['add', member], operator);
    }
    assert.equal(added.ok, true, added.text);
    const status = await cluster.statusOf(leader, 1_000);
    assert.deepEqual(status?.members.filter((entry) => entry.voter).map((entry) => entry.id), ['b1', 'b2', 'b3', 'b4']);
    const joined = await cluster.statusOf(newcomer, 1_000);
    assert.ok(joined !== undefined && joined.applied >= (status?.commit ?? Infinity) - 1, `b4 caught up: ${JSON.stringify(joined)}`);
  });

  it('a secure cluster broker whose policy names no replica key for it, or another key, stops at start with the reason (exit 2)', async () => {
    const bare = new SecurityFixture({ brokers: {}, other: { replicate: ['b1'] } });
    closers.push(() => fs.rmSync(bare.folder, { recursive: true, force: true }));
    const start = async (id: string): Promise<{ code: number | null; stderr: string }> => {
      const member = `${id}=tcp://127.0.0.1:${await freePort()}+tcp://127.0.0.1:${await freePort()}`;
      return run(['broker', '--node-id', id, '--cluster', member, '--data-dir', path.join(bare.folder, id), '--curve-key', bare.secretFile('brokers'), '--policy', bare.policyFile]);
    };
    const none = await start('b2');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /names no replica key for this broker \(b2\).*replicate: \[b2\]/);
    const another = await start('b1');
    assert.equal(another.code, 2);
    assert.match(another.stderr, /gives replica b1 the key .* but this broker's --curve-key holds/);
  });

  it('a cluster with one secure replica and one plain says so in both logs, bounded, rather than electing nobody in silence', async () => {
    const secureArgs = sharedKeySecurity(fixture).argsOf('b1');
    const cluster = await TestCluster.start(2, [], { argsOf: (id) => (id === 'b1' ? secureArgs : []), clientOf: () => sharedKeySecurity(fixture).clientOf('b1') });
    clusters.push(cluster);
    const [secure, plain] = cluster.brokers;
    assert.ok(await waitForOutput(secure!, /this broker runs secure \(CURVE\) and the other side plain: every replica of a cluster must run in the same mode/, 5_000), secure!.output.join(''));
    assert.ok(await waitForOutput(plain!, /this broker runs plain and the other side secure: every replica of a cluster must run in the same mode/, 5_000), plain!.output.join(''));
  });
});

/** `keelhaul <args>` to its end (bounded: 15 s, then SIGKILL). */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const bound = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, stderr });
    });
  });
}

/** The exit code of a broker process, waiting up to 5 s for it to end. */
function exitOf(broker: TestBroker): Promise<number | null> {
  const child = broker.process;
  if (child === undefined) return Promise.resolve(null);
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const bound = setTimeout(() => resolve(null), 5_000);
    child.once('exit', (code) => {
      clearTimeout(bound);
      resolve(code);
    });
  });
}
