import { performance } from 'node:perf_hooks';
import { Dealer } from 'zeromq';
import { decodeAtClient, encodeClientRequest } from '../../reference/mdp/codec';
import { sleep } from '../../reference/util/backoff';
import { closeQuietly } from '../kinds';
import { PacedJobs } from '../load/paced-jobs';
import { defineMeasurement, type Environment } from '../measurement';
import { percentile } from '../stats';
import { nextJobId } from './durable-broker';
import { SERVICE } from './reference-broker';
import { ReplicaSet, type ClusterTimings } from './replica-set';

/**
 * Failover of the replicated broker (issue 20): `settings.failoverKills` times, SIGKILL the serving
 * leader under a light steady load, time how long until clients see a job answered again, and
 * restart the killed replica from its data dir (the cluster stays at 3) before the next kill.
 *
 * - **Failover** (client-visible): from the kill to the first job answered `200` in a newer term
 *   by any client of the load (PacedJobs: a new job every 20 ms, each a reference-client call across
 *   the three endpoints, an attempt timing out after 250 ms).
 * - **Jobs in flight at the kill**: from the kill until every call under way at that moment has its
 *   answer. Those jobs wait out the new leader's result grace (KHR/1 rule 5), so this is longer; the
 *   next kill waits for it, so no job lives through two failovers and none is left unanswered.
 * - **Election**: from the kill to the first `mmi.khr` answer from a survivor naming itself leader
 *   in a newer term (each survivor asked every 5 ms on its own DEALER).
 *
 * The cluster runs the CLI's Raft defaults (election timeout 1 s, drawn from [1 s, 2 s); Raft
 * heartbeat 100 ms) and a 100 ms 7/MDP heartbeat (liveness 3), so workers find the new leader within
 * about 0.3 s: the election, not the workers, is what the failover waits for.
 */
const TIMINGS: ClusterTimings = { electionTimeoutMs: 1000, raftHeartbeatMs: 100, heartbeatMs: 100 };
const LOAD = { everyMs: 20, attemptTimeoutMs: 250, attempts: 60, maxClients: 32 };
const PROBE_EVERY_MS = 5;
/** Steady load between a restarted replica catching up and the next kill. */
const SETTLE_MS = 500;
/** Bound on one failover, one restart, one drain. */
const STEP_BOUND_MS = 15_000;

const failoverCluster: Environment<ReplicaSet> = {
  id: 'khr-failover-cluster',
  description: '3-replica reference broker cluster for leader kills (3 processes, restarted as killed) + MajordomoWorker echo workers (one process)',
  start: (context) => ReplicaSet.start(context, 'khr-failover', TIMINGS),
};

const ID = 'khr.failover';
const TITLE = 'KHR/1 cluster, leader SIGKILL';

export const khrFailover = defineMeasurement<ReplicaSet>({
  id: ID,
  title: TITLE,
  environment: failoverCluster,
  once: true,
  boundMs: (settings) => settings.warmupMs + settings.failoverKills * 4 * STEP_BOUND_MS,
  figures: [
    { id: `${ID}.p50`, label: `${TITLE}: kill → first job answered 200, p50`, unit: 'ms', baseline: `${ID}.election.p50` },
    { id: `${ID}.p99`, label: `${TITLE}: kill → first job answered 200, p99`, unit: 'ms', baseline: `${ID}.election.p99` },
    { id: `${ID}.inflight.p50`, label: `${TITLE}: kill → every job in flight at the kill answered, p50`, unit: 'ms' },
    { id: `${ID}.inflight.p99`, label: `${TITLE}: kill → every job in flight at the kill answered, p99`, unit: 'ms' },
    { id: `${ID}.election.p50`, label: `${TITLE}: kill → new leader answers mmi.khr, p50`, unit: 'ms' },
    { id: `${ID}.election.p99`, label: `${TITLE}: kill → new leader answers mmi.khr, p99`, unit: 'ms' },
    { id: `${ID}.kills`, label: `${TITLE}: leader kills`, unit: 'samples' },
  ],
  async run(cluster, settings) {
    const load = new PacedJobs({ endpoints: cluster.endpoints, service: SERVICE, payload: settings.payload, ...LOAD, nextJobId: () => nextJobId('f') });
    const samples: FailoverSample[] = [];
    try {
      await sleep(settings.warmupMs);
      for (let kill = 0; kill < settings.failoverKills; kill++) {
        samples.push(await killTheLeader(cluster, load));
      }
    } catch (error) {
      await load.stop(0).catch(() => undefined);
      throw new Error(`after ${samples.length} of ${settings.failoverKills} leader kills: ${(error as Error).message}`);
    }
    await load.stop(STEP_BOUND_MS);
    if (load.answered === 0) throw new Error('the light load got no answer at all');
    return figures(samples);
  },
});

interface FailoverSample {
  failoverMs: number;
  inflightMs: number;
  electionMs: number;
}

function figures(samples: readonly FailoverSample[]): Record<string, number> {
  const result: Record<string, number> = { [`${ID}.kills`]: samples.length };
  for (const [figure, of] of [['', 'failoverMs'], ['.inflight', 'inflightMs'], ['.election', 'electionMs']] as const) {
    const sorted = Float64Array.from(samples.map((sample) => sample[of])).sort();
    result[`${ID}${figure}.p50`] = percentile(sorted, 50);
    result[`${ID}${figure}.p99`] = percentile(sorted, 99);
  }
  return result;
}

/** One sample: kill the serving leader, time the election and the first answer, restart the replica and let it catch up. */
async function killTheLeader(cluster: ReplicaSet, load: PacedJobs): Promise<FailoverSample> {
  const leader = await cluster.leaderWithWorkers(STEP_BOUND_MS);
  const oldTerm = leader.status.term;
  const survivors = cluster.othersThan(leader.id);
  const killedAt = performance.now();
  const killed = cluster.kill(leader.id);
  const [answer, electedAt] = await Promise.all([load.firstAnswer(killedAt, oldTerm, STEP_BOUND_MS), newLeaderAnswers(survivors, oldTerm, STEP_BOUND_MS), killed]);
  const inflightEndedAt = await load.callsEnded(killedAt, STEP_BOUND_MS);
  const successor = await cluster.leaderWithWorkers(STEP_BOUND_MS);
  await cluster.restart(leader.id, successor.status.commit, STEP_BOUND_MS);
  await sleep(SETTLE_MS);
  return { failoverMs: answer.at - killedAt, inflightMs: inflightEndedAt - killedAt, electionMs: electedAt - killedAt };
}

/** When (performance.now()) a survivor first answers `mmi.khr` naming itself leader in a term above `oldTerm`. */
async function newLeaderAnswers(survivors: { client: string }[], oldTerm: number, timeoutMs: number): Promise<number> {
  const sockets = survivors.map(({ client }) => {
    const socket = new Dealer({ linger: 0, sendTimeout: 0, receiveTimeout: PROBE_EVERY_MS });
    socket.connect(client);
    return { client, socket };
  });
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      const answers = await Promise.all(sockets.map(({ client, socket }) => askKhr(socket).then((answer) => answer !== undefined && answer.term > oldTerm && answer.leader === client)));
      if (answers.includes(true)) return performance.now();
    }
    throw new Error(`no survivor answered mmi.khr as leader in a term above ${oldTerm} within ${timeoutMs} ms`);
  } finally {
    for (const { socket } of sockets) closeQuietly(socket);
  }
}

/** One `mmi.khr` question: the term and leader endpoint answered, or undefined if nothing came within the socket's receive timeout. */
async function askKhr(socket: Dealer): Promise<{ term: number; leader: string } | undefined> {
  try {
    await socket.send(encodeClientRequest('mmi.khr', [Buffer.from('KHR/1')]));
    // A late answer to an earlier question may come first: it says what that broker believed then, and the probe simply asks again.
    for (;;) {
      const reply = decodeAtClient(await socket.receive());
      if (reply.service !== 'mmi.khr' || reply.body[0]?.toString() !== '200') continue;
      return { term: Number(reply.body[1]?.toString()), leader: reply.body[2]?.toString() ?? '' };
    }
  } catch {
    return undefined;
  }
}
