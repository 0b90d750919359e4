import type { KhrAnswer } from '../../probe/khr-probe';

/** One replica as the harness knows it, and what it answered to `mmi.khr` (undefined: nothing in time). */
export interface ReplicaAnswer {
  /** The node name, which is also its KHR/1 node id (`broker-k`). */
  replica: string;
  /** Its client endpoint as the cluster knows it (as others reach it, and as it binds it): what a broker names as the leader. */
  clientEndpoints: readonly string[];
  answer: KhrAnswer | undefined;
}

export interface ClusterLeader {
  leader: string;
  term: number;
}

/**
 * Who leads, read off the replicas' answers: at the highest term any replica answered, the replica
 * whose client endpoint that answer names (a replica naming itself counts like any other). Undefined
 * when no answer at the highest term names a known replica: an election in progress, or nobody answered.
 */
export function leaderOf(answers: readonly ReplicaAnswer[]): ClusterLeader | undefined {
  const cluster = answers.flatMap(({ answer }) => (answer?.cluster === true ? [answer] : []));
  if (cluster.length === 0) return undefined;
  const term = Math.max(...cluster.map((answer) => answer.term));
  for (const answer of cluster.filter((each) => each.term === term && each.leader !== '')) {
    const named = answers.find((each) => each.clientEndpoints.includes(answer.leader) || each.replica === answer.leader);
    if (named !== undefined) return { leader: named.replica, term };
  }
  return undefined;
}

/** Whether `replica` answered at the leader's term naming the leader (by its client endpoint or its name): it has rejoined as a follower. */
export function followsLeader(answers: readonly ReplicaAnswer[], replica: string, leader: ClusterLeader): boolean {
  const own = answers.find((each) => each.replica === replica)?.answer;
  const leading = answers.find((each) => each.replica === leader.leader);
  if (own?.cluster !== true || leading === undefined || own.term !== leader.term) return false;
  return leading.clientEndpoints.includes(own.leader) || own.leader === leader.leader;
}
