import { Given, Then, When } from '@cucumber/cucumber';
import { CLUSTER_SHAPES, isClusterShapeName } from '../harness/nemesis/cluster-shape';
import { LEADER_TARGET } from '../harness/nemesis/fault';
import { runSeed } from '../harness/util/run-seed';
import type { BrokerReplicas } from '../harness/systems/request-reply/broker-replicas';
import { followsLeader } from '../harness/systems/request-reply/cluster-leader';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
import { clusterChange, clusterStatus } from '../harness/cli/cluster-commands';
import { implementationUnderTest } from '../harness/manifest/selected-implementation';
import { Inconclusive } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

/** How long a cluster may take to elect a leader after losing one (several election timeouts, scaled). */
const ELECTION_BOUND_MS = 10_000;

function replicasOf(world: KeelhaulWorld): BrokerReplicas {
  const replicas = world.harness.cluster.replicas;
  if (replicas === undefined) throw new Error('this step needs a broker cluster (Given a broker cluster)');
  return replicas;
}

// Binary Star's primary: the clients try this replica before any other, so a restarted old leader that
// believed itself still in charge would be the first one they reach.
Given('{int} client(s) that list the leader first', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, count: number) {
  const replicas = replicasOf(this);
  const { leader } = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), 'the cluster to elect its first leader');
  replicas.listFirst(leader);
  this.attach(`the clients list ${leader}, the leader when they started, first`, 'text/plain');
  await this.harness.cluster.startClients(count);
});

/** Jobs enough for any run: the load is stopped when its faults are over, never run out. */
const UNENDING_JOBS = 100_000;

/** Clients keep submitting until `faults` is over and the cluster has answered after it; then they stop, and what is open gets its bound. */
async function underLoad(world: KeelhaulWorld, service: string, concurrency: number, faults: (answered: () => Promise<void>) => Promise<void>): Promise<void> {
  const { harness } = world;
  world.workload = harness.startWorkload({ jobsPerClient: UNENDING_JOBS, concurrency, service });
  world.workloadBound = harness.workloadBound({ jobsPerClient: concurrency, concurrency });
  const answers = (): number => harness.history.events().filter((event) => event.type === 'ok').length;
  // A fault strikes a cluster that is answering: one more answer than before. Bounded and never an error itself: a
  // cluster that stays silent is judged by the checks (failover-slow, stuck), not here.
  const answered = async (): Promise<void> => {
    const before = answers();
    await waitFor(() => answers() > before, { timeoutMs: scaled(ELECTION_BOUND_MS), what: 'an answer' }).catch(() => undefined);
  };
  try {
    await answered();
    await faults(answered);
    await answered();
  } finally {
    world.workload.stop();
  }
}

When('the clients keep submitting jobs to {string}, {int} at a time each, while every broker is restarted in turn', { timeout: scaled(180_000) }, async function (this: KeelhaulWorld, service: string, concurrency: number) {
  const replicas = replicasOf(this);
  await underLoad(this, service, concurrency, async (answered) => {
    for (const name of replicas.names) {
      await this.strike({ kind: 'crash-restart', target: name, pauseMs: scaled(200) });
      // The next replica goes down only once this one is back in the cluster (following a leader at its term) and the cluster answers.
      const found = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), `a leader that ${name} follows after its restart`, (leader, answers) => leader.leader === name || followsLeader(answers, name, leader));
      await answered();
      this.attach(`${name} restarted; ${found.leader} leads at term ${found.term}`, 'text/plain');
    }
  });
});

/**
 * zguide's Binary Star bug (zguide#172): a primary restarted while its backup was active became a
 * second master. Here the old leader is restarted with its data only once another replica leads and
 * has answered a client, while the clients still list it first.
 */
When(
  'the clients keep submitting jobs to {string}, {int} at a time each, while the leader is killed and restarted with its data once a new leader has answered',
  { timeout: scaled(120_000) },
  async function (this: KeelhaulWorld, service: string, concurrency: number) {
    const replicas = replicasOf(this);
    await underLoad(this, service, concurrency, async (answered) => {
      const killed = await this.strike({ kind: 'kill', target: LEADER_TARGET });
      const old = killed.targets[0];
      const newLeader = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), `a leader other than ${old}`, (leader) => leader.leader !== old);
      await answered();
      this.oldLeader = { name: old, deposedAtTerm: newLeader.term };
      await this.harness.node(old).restart();
      this.attach(`${old} killed at term ${killed.effect?.term ?? '?'}; ${newLeader.leader} leads at term ${newLeader.term} and has answered; ${old} restarted from its data folder`, 'text/plain');
      // The clients list the old leader first: give them time to try it before the load stops.
      await answered();
    });
  },
);

/**
 * A deposed leader in reach of clients and workers that know the new leader's term: the leader is frozen
 * past the election timeout (they move to the new leader), resumed, and once the new leader has answered
 * the cluster is partitioned in `shape` around the frozen one (clients-reach-only-deposed: it is all they
 * reach; leader-cut-from-clients: the new leader out of their reach, so they try every other broker,
 * the deposed one among them).
 */
When(
  'the clients keep submitting jobs to {string}, {int} at a time each, while the leader is frozen for {int} ms and then the cluster is partitioned {string} for {int} ms',
  { timeout: scaled(120_000) },
  async function (this: KeelhaulWorld, service: string, concurrency: number, freezeMs: number, shape: string, partitionMs: number) {
    if (!isClusterShapeName(shape)) throw new Error(`unknown cluster partition shape "${shape}" (known: ${CLUSTER_SHAPES.join(', ')})`);
    await underLoad(this, service, concurrency, async (answered) => {
      const frozen = await this.strike({ kind: 'freeze', target: LEADER_TARGET, durationMs: scaled(freezeMs) });
      await answered();
      await this.strike({ kind: 'cluster-partition', shape, durationMs: scaled(partitionMs), seed: Number(runSeed()), deposed: frozen.targets[0] });
    });
  },
);

Then('the old leader comes back as a follower of the new one', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const replicas = replicasOf(this);
  const old = this.oldLeader;
  if (old === undefined) throw new Error('no leader was killed and restarted in this scenario');
  // It may not lead at the term it was deposed at or below; a later election it wins fairly is another matter, and the
  // history's dual-dispatch and stale-leader-reply checks judge what it did meanwhile.
  const found = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), `${old.name} to follow a leader at a term of at least ${old.deposedAtTerm}`, (leader, answers) =>
    leader.term >= old.deposedAtTerm && (leader.leader !== old.name || leader.term > old.deposedAtTerm) && (followsLeader(answers, old.name, leader) || leader.leader === old.name),
  );
  if (found.leader === old.name) this.attach(`${old.name} leads again, at term ${found.term}, above the term ${old.deposedAtTerm} it was deposed at (a fair election)`, 'text/plain');
  else this.attach(`${old.name} follows ${found.leader} at term ${found.term}`, 'text/plain');
});

// ---- membership changes (docs/replication.md, "Membership change, one server at a time") ----------

/**
 * The bound a change completes or rolls back within: catchUpTimeoutMs + changeTimeoutMs (10 election
 * timeouts each by default) plus one commit round, with the reference's default election timeout
 * (1 s; the cluster's own timeouts are not stretched by the time scale), and the harness's slack scaled.
 */
const ELECTION_TIMEOUT_MS = 1_000;
const MEMBERSHIP_BOUND_MS = 21 * ELECTION_TIMEOUT_MS;

/** One membership change as the operator saw it: what was asked, how it ended, how long until `cluster status` showed it settled. */
export interface MembershipChangeOutcome {
  change: string;
  answer: string;
  settledMs: number;
  voters: string[];
}

async function votersNow(replicas: BrokerReplicas): Promise<string[] | undefined> {
  const text = await clusterStatus(replicas.harnessEndpoints, 1_000);
  if (text === undefined) return undefined;
  const status = JSON.parse(text) as { leader: string | null; node: string; members: { id: string; voter: boolean }[] };
  // Only the leader's view is the cluster's configuration; a follower's may lag.
  if (status.leader !== status.node) return undefined;
  return status.members.filter((member) => member.voter).map((member) => member.id).sort();
}

/**
 * Asks the cluster for a change through the operator service (`keelhaul cluster add|remove`'s path),
 * then polls `cluster status` until the leader's voters are either `after` (completed) or `before`
 * (aborted or rolled back) and the operator has its answer; measured from the request.
 */
async function changeMembership(world: KeelhaulWorld, body: [string, string], before: readonly string[], after: readonly string[], meanwhile?: () => Promise<void>): Promise<MembershipChangeOutcome> {
  const replicas = replicasOf(world);
  const started = Date.now();
  const answered = clusterChange(replicas.harnessEndpoints, body);
  await meanwhile?.();
  const { ok, text } = await answered;
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((id, i) => id === [...b].sort()[i]);
  const bound = MEMBERSHIP_BOUND_MS + scaled(2_000);
  let voters: string[] | undefined;
  for (;;) {
    voters = await votersNow(replicas);
    if (voters !== undefined && (same(voters, after) || same(voters, before))) break;
    if (Date.now() - started > bound) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const outcome = { change: body.join(' '), answer: `${ok ? '200' : 'refused'} ${text}`, settledMs: Date.now() - started, voters: voters ?? [] };
  world.membershipChanges.push(outcome);
  world.attach(`${outcome.change}: ${outcome.answer}; voters ${outcome.voters.join(', ') || '(no leader answered)'} after ${outcome.settledMs} ms`, 'text/plain');
  return outcome;
}

function refuseManifest(): void {
  // A broker recipe that never reads {{join}} cannot be told to start as a joining member: the harness cannot make the condition.
  if (!implementationUnderTest().brokerJoins) throw new Inconclusive("adding a replica needs a broker that can start as a joining member: the manifest's broker recipe does not use {{join}} (docs/manifest.md)");
}

async function addReplica(world: KeelhaulWorld, meanwhile?: (newcomer: string) => Promise<void>): Promise<MembershipChangeOutcome> {
  refuseManifest();
  const before = replicasOf(world).names;
  const { node, member } = await world.harness.cluster.startJoiningReplica();
  return changeMembership(world, ['add', member], before, [...before, node.name], meanwhile && (() => meanwhile(node.name)));
}

async function removeReplica(world: KeelhaulWorld, name: string): Promise<MembershipChangeOutcome> {
  const replicas = replicasOf(world);
  const before = replicas.names;
  const outcome = await changeMembership(world, ['remove', name], before, before.filter((each) => each !== name));
  if (!outcome.voters.includes(name)) {
    replicas.forget(name);
    const node = world.harness.node(name);
    if (node.running) await node.stop(scaled(2_000));
  }
  return outcome;
}

async function aFollower(replicas: BrokerReplicas): Promise<string> {
  const { leader } = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), 'a leader');
  const follower = replicas.names.find((name) => name !== leader);
  if (follower === undefined) throw new Inconclusive(`the cluster has no follower (${replicas.names.join(', ')})`);
  return follower;
}

// A follower, not the leader: the leader's own loss mid-change is its own scenario (the leader killed in the middle of an addition).
When('the clients keep submitting jobs to {string}, {int} at a time each, while a broker is added to the cluster and a follower removed', { timeout: scaled(180_000) }, async function (this: KeelhaulWorld, service: string, concurrency: number) {
  const replicas = replicasOf(this);
  await underLoad(this, service, concurrency, async (answered) => {
    await addReplica(this);
    await answered();
    await removeReplica(this, await aFollower(replicas));
  });
});

When('the clients keep submitting jobs to {string}, {int} at a time each, while a dead follower is replaced by a new broker', { timeout: scaled(180_000) }, async function (this: KeelhaulWorld, service: string, concurrency: number) {
  const replicas = replicasOf(this);
  await underLoad(this, service, concurrency, async (answered) => {
    const dead = await aFollower(replicas);
    await this.strike({ kind: 'kill', target: dead });
    await answered();
    // Add first: the cluster never runs one short (docs/replication.md, "Replace").
    await addReplica(this);
    await removeReplica(this, dead);
  });
});

When('the clients keep submitting jobs to {string}, {int} at a time each, while a broker is added and killed in the middle of the change', { timeout: scaled(180_000) }, async function (this: KeelhaulWorld, service: string, concurrency: number) {
  await underLoad(this, service, concurrency, async () => {
    // Killed while it catches up as a learner: the add is aborted within the catch-up timeout, or, if its entry was appended, committed by the old majority.
    await addReplica(this, async (newcomer) => {
      await new Promise((resolve) => setTimeout(resolve, scaled(150)));
      await this.strike({ kind: 'kill', target: newcomer });
    });
  });
});

When('the clients keep submitting jobs to {string}, {int} at a time each, while a broker is added and the leader killed in the middle of the change', { timeout: scaled(180_000) }, async function (this: KeelhaulWorld, service: string, concurrency: number) {
  await underLoad(this, service, concurrency, async () => {
    // A new leader completes an inherited change with its first commit, or never saw it (the add is then simply not made).
    await addReplica(this, async () => {
      await new Promise((resolve) => setTimeout(resolve, scaled(150)));
      await this.strike({ kind: 'crash-restart', target: LEADER_TARGET, pauseMs: scaled(300) });
    });
  });
});

Then('every membership change completed or rolled back within the bound, and the cluster has a leader', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  if (this.membershipChanges.length === 0) throw new Error('no membership change was made in this scenario');
  const bound = MEMBERSHIP_BOUND_MS + scaled(2_000);
  const late = this.membershipChanges.filter((change) => change.settledMs > bound || change.voters.length === 0);
  const summary = this.membershipChanges.map((change) => `${change.change}: ${change.answer}, settled in ${change.settledMs} ms (voters ${change.voters.join(', ') || 'unknown'})`).join('\n');
  this.attach(summary, 'text/plain');
  if (late.length > 0) throw new Error(`a membership change did not complete or roll back within ${bound} ms (catch-up + change timeouts + a commit round):\n${summary}`);
  await replicasOf(this).awaitLeader(scaled(ELECTION_BOUND_MS), 'a leader after the changes');
});
