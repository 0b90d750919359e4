import { seededRandom } from '../util/random';

/**
 * Partition shapes over a cluster of brokers (issue #20 item 3), as pure functions: who may still
 * reach whom. A shape is a list of groups; nodes in one group reach each other, and the link between
 * two nodes that share no group is cut (both ways). A node in no group is untouched. The nemesis turns
 * a shape into a partition of the links between such pairs (`{ groups }`, link-nemesis.ts).
 */
export type ClusterShapeName = 'leader-isolated' | 'leader-cut-from-peers' | 'leader-cut-from-clients' | 'clients-reach-only-deposed' | 'majorities-ring' | 'bridge' | 'random-halves';

export const CLUSTER_SHAPES: readonly ClusterShapeName[] = ['leader-isolated', 'leader-cut-from-peers', 'leader-cut-from-clients', 'clients-reach-only-deposed', 'majorities-ring', 'bridge', 'random-halves'];

/** What a shape is drawn over: the brokers (in their order, broker-1 first), the leader when known, the clients and workers, a seed. */
export interface ClusterMembers {
  brokers: readonly string[];
  leader?: string;
  /** Clients and workers: placed on both sides by the shapes that split the cluster, untouched by the others. */
  others: readonly string[];
  /** random-halves: the same seed draws the same halves. */
  seed?: number | string;
  /** clients-reach-only-deposed: a replica that led before the leader now (a freeze or a cut let the others elect a new one). */
  deposed?: string;
}

export interface ClusterShape {
  shape: ClusterShapeName;
  groups: string[][];
}

export class ClusterShapeError extends Error {}

/** Alternately onto the sides, the first onto `first`: clients and workers end up on both sides. */
function deal(nodes: readonly string[], first: string[], second: string[]): void {
  nodes.forEach((node, index) => (index % 2 === 0 ? first : second).push(node));
}

/** The leader alone and the other brokers together, the leader checked to be one of them. */
function leaderApart(shape: ClusterShapeName, { brokers, leader }: ClusterMembers): [string[], string[]] {
  if (leader === undefined) throw new ClusterShapeError(`${shape} needs the leader, and none is known`);
  if (!brokers.includes(leader)) throw new ClusterShapeError(`${shape}: the leader ${leader} is not one of the brokers (${brokers.join(', ')})`);
  return [[leader], brokers.filter((broker) => broker !== leader)];
}

/** The leader cut off from every other broker; the clients and workers dealt onto both sides. */
function leaderIsolated(members: ClusterMembers): string[][] {
  const [minority, majority] = leaderApart('leader-isolated', members);
  deal(members.others, minority, majority);
  return [minority, majority];
}

/**
 * The leader cut off from the other brokers only: every client and worker still reaches it. It keeps
 * hearing jobs and results it can no longer commit, and its workers keep running what it dispatched,
 * until it learns it was deposed: the shape that shows what a leader acknowledges before commit.
 */
function leaderCutFromPeers(members: ClusterMembers): string[][] {
  return leaderApart('leader-cut-from-peers', members);
}

/**
 * The leader cut off from every client and worker, but not from the other brokers: it keeps its
 * majority and leads on, unreachable, while the clients and workers try the other brokers. After a
 * freeze of the leader before it, those others include a deposed leader: the shape that shows whether
 * clients and workers that met the new leader refuse the old one (fencing).
 */
function leaderCutFromClients(members: ClusterMembers): string[][] {
  const [, others] = leaderApart('leader-cut-from-clients', members);
  return [[...members.brokers], [...others, ...members.others]];
}

/**
 * The clients and workers reach the deposed leader only; the brokers all reach each other. Whichever
 * endpoint a client or worker tries, only the deposed leader answers it until the heal: unlike
 * leader-cut-from-clients, where a follower listed before the deposed leader redirects them back to
 * the cut-off leader, every run puts their fencing to the test.
 */
function clientsReachOnlyDeposed(members: ClusterMembers): string[][] {
  const [[leader]] = leaderApart('clients-reach-only-deposed', members);
  const { brokers, deposed } = members;
  if (deposed === undefined) throw new ClusterShapeError('clients-reach-only-deposed needs the deposed leader, and none was named');
  if (!brokers.includes(deposed)) throw new ClusterShapeError(`clients-reach-only-deposed: the deposed leader ${deposed} is not one of the brokers (${brokers.join(', ')})`);
  if (deposed === leader) throw new ClusterShapeError(`clients-reach-only-deposed: ${deposed} leads again, so it is not deposed`);
  return [[...brokers], [deposed, ...members.others]];
}

/**
 * Jepsen's majorities ring: the brokers on a ring, each reaching the nearest ones on both sides, so
 * each sees a majority (itself included) and no two see the same one. A group per pair of brokers
 * within reach of each other; clients and workers reach every broker.
 */
function majoritiesRing({ brokers }: ClusterMembers): string[][] {
  const n = brokers.length;
  const majority = Math.floor(n / 2) + 1;
  const reach = Math.ceil((majority - 1) / 2);
  if (2 * reach + 1 >= n) throw new ClusterShapeError(`majorities-ring needs at least 4 brokers, so that no two see the same majority (got ${n})`);
  const groups: string[][] = [];
  for (let i = 0; i < n; i++) for (let d = 1; d <= reach; d++) groups.push([brokers[i], brokers[(i + d) % n]]);
  return groups;
}

/**
 * Two halves joined by one broker that reaches both: the brokers with the leader first (when known),
 * the bridge the one in the middle, the leader's half before it. Clients and workers reach every broker.
 */
function bridge({ brokers, leader }: ClusterMembers): string[][] {
  if (brokers.length < 3) throw new ClusterShapeError(`bridge needs at least 3 brokers (got ${brokers.length})`);
  const order = leader !== undefined && brokers.includes(leader) ? [leader, ...brokers.filter((broker) => broker !== leader)] : [...brokers];
  const middle = Math.floor(order.length / 2);
  const bridgeNode = order[middle];
  return [[...order.slice(0, middle), bridgeNode], [bridgeNode, ...order.slice(middle + 1)]];
}

/** The brokers shuffled by the seed and cut in two (the smaller half first); clients and workers shuffled and dealt onto both. */
function randomHalves({ brokers, others, seed }: ClusterMembers): string[][] {
  if (brokers.length < 2) throw new ClusterShapeError(`random-halves needs at least 2 brokers (got ${brokers.length})`);
  const random = seededRandom(seed);
  const shuffle = (nodes: readonly string[]): string[] => {
    const copy = [...nodes];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
  const shuffled = shuffle(brokers);
  const cut = Math.floor(shuffled.length / 2);
  const first = shuffled.slice(0, cut);
  const second = shuffled.slice(cut);
  deal(shuffle(others), first, second);
  return [first, second];
}

const SHAPES: Record<ClusterShapeName, (members: ClusterMembers) => string[][]> = {
  'leader-isolated': leaderIsolated,
  'leader-cut-from-peers': leaderCutFromPeers,
  'leader-cut-from-clients': leaderCutFromClients,
  'clients-reach-only-deposed': clientsReachOnlyDeposed,
  'majorities-ring': majoritiesRing,
  bridge,
  'random-halves': randomHalves,
};

export function isClusterShapeName(text: string): text is ClusterShapeName {
  return (CLUSTER_SHAPES as readonly string[]).includes(text);
}

/** The groups of `shape` over the members; a precise error for a shape the members cannot take. */
export function clusterShape(shape: ClusterShapeName, members: ClusterMembers): ClusterShape {
  if (new Set(members.brokers).size !== members.brokers.length) throw new ClusterShapeError(`the brokers are named twice: ${members.brokers.join(', ')}`);
  return { shape, groups: SHAPES[shape](members) };
}

/** The pairs of nodes (each sorted, the list sorted) that share no group: the links the shape cuts. */
export function cutPairs(groups: readonly (readonly string[])[]): [string, string][] {
  const nodes = [...new Set(groups.flat())].sort();
  const together = new Set<string>();
  for (const group of groups) for (const a of group) for (const b of group) together.add(`${a}\u0000${b}`);
  const pairs: [string, string][] = [];
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) if (!together.has(`${nodes[i]}\u0000${nodes[j]}`)) pairs.push([nodes[i], nodes[j]]);
  return pairs;
}

/** Who each node still reaches under the groups (itself included), for a person reading a report. */
export function reachOf(groups: readonly (readonly string[])[], node: string): string[] {
  return [...new Set(groups.filter((group) => group.includes(node)).flat())].sort();
}
