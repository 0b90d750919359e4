import { Given, Then, When } from '@cucumber/cucumber';
import { LEADER_TARGET } from '../harness/nemesis/fault';
import type { BrokerReplicas } from '../harness/systems/request-reply/broker-replicas';
import { followsLeader } from '../harness/systems/request-reply/cluster-leader';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
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
