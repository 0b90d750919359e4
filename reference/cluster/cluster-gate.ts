import { encodeClientReply, encodeDisconnect, encodeHeartbeat, encodeKhrJobReply, encodeTerm, KHR_EXTENSION, KhxStatus, type BrokerInbound, type Frame } from '../mdp/codec';
import { isMmiService } from '../mdp/mmi';
import type { Logger } from '../util/log';
import { formatClientMembers } from './broker-routes';
import { parseClusterMember } from './cluster-members';
import type { ClusterNode } from './cluster-node';

/** 8/MMI `mmi.khr`: `200` from a cluster broker with its term, the leader's client endpoint and its own id (`501` from a single broker). */
export const KHR_MMI_SERVICE = 'mmi.khr';
/** The operator's service (`keelhaul cluster status|add|remove`), answered by every cluster broker. */
export const CLUSTER_MMI_SERVICE = 'mmi.khr.cluster';

/**
 * `mmi.khr`'s answer body: `200`, term, leader client endpoint (empty if none known), node id; since
 * revision 2 also the leader's node id (empty if none known) and the voters as `<id>=<client>,...`,
 * so a peer can reach members it was not started with (a broker added later).
 */
export function khrMmiAnswer(cluster: ClusterNode): Frame[] {
  const voters = cluster.status().members.flatMap((member) => (member.voter && member.client !== null ? [{ id: member.id, client: member.client }] : []));
  return [
    Buffer.from('200'),
    Buffer.from(String(cluster.leadership.term)),
    Buffer.from(cluster.leaderEndpoint() ?? ''),
    Buffer.from(cluster.id),
    Buffer.from(cluster.leadership.leader ?? ''),
    Buffer.from(formatClientMembers(voters)),
  ];
}

/**
 * Where a broker that does not serve sends a KHRC01 client: `307` to the leader (its client endpoint,
 * and since revision 2 its node id, by which a peer may have a route of its own), or `503 no leader`.
 */
function redirectOf(cluster: ClusterNode): { status: KhxStatus; body: Frame[] } {
  const leader = cluster.leaderEndpoint();
  const leaderId = cluster.leadership.leader;
  // A leader still catching up names itself: the client must try again, not loop on a redirect here.
  if (leader === null || leaderId === null || leaderId === cluster.id) return { status: KhxStatus.Unavailable, body: [Buffer.from('no leader')] };
  return { status: KhxStatus.Redirect, body: [Buffer.from(leader), Buffer.from(leaderId)] };
}

/**
 * A broker that does not serve (a follower, a candidate, or a leader not yet caught up) answers only
 * what KHR/1 says it answers: `mmi.khr`, the operator's service, KHRC01 jobs (307 or 503), other
 * `mmi.*` (503), a READY (TERM naming the leader, then DISCONNECT). Everything else is dropped. The
 * seeded defect follower-keeps-plain-workers keeps a worker that did not declare KHR/1 (no DISCONNECT)
 * and answers its heartbeats, so it stays where nothing is ever dispatched.
 */
export function answerAsNonLeader(identity: Frame, message: BrokerInbound, cluster: ClusterNode, send: (frames: Frame[]) => void, log: Logger, keepsPlainWorkers = false): void {
  switch (message.kind) {
    case 'client-request':
      if (message.service === KHR_MMI_SERVICE) return send([identity, ...encodeClientReply(message.service, khrMmiAnswer(cluster))]);
      if (message.service === CLUSTER_MMI_SERVICE) return void answerOperator(identity, message.body, cluster, send, log);
      if (isMmiService(message.service)) return send([identity, ...encodeClientReply(message.service, [Buffer.from('503')])]);
      return;
    case 'job-request': {
      if (message.khr !== true) return;
      const { status, body } = redirectOf(cluster);
      return send([identity, ...encodeKhrJobReply(message.service, message.job, status, cluster.leadership.term, body)]);
    }
    case 'ready':
      if (message.extensions.includes(KHR_EXTENSION)) send([identity, ...encodeTerm(cluster.leadership.term, cluster.leadership.leader ?? '')]);
      else if (keepsPlainWorkers) return log.warn({ service: message.service }, 'seeded defect follower-keeps-plain-workers: a worker without KHR/1 kept, not disconnected');
      return send([identity, ...encodeDisconnect()]);
    case 'heartbeat':
      if (keepsPlainWorkers) send([identity, ...encodeHeartbeat()]);
      return;
    default:
      return;
  }
}

/**
 * `mmi.khr.cluster` (docs/protocol.md): body `status`, `add <id>=<client>+<replication>` or
 * `remove <id>` (verb and argument as separate frames); answered `200` + JSON or text, `307` + the
 * leader's client endpoint, `503 no leader`, `400` (bad request), `403` (a secure broker's operator
 * key may not `call` `mmi.khr.cluster`: `mayChange` false) or `500` (the change failed).
 */
export async function answerOperator(identity: Frame, body: readonly Frame[], cluster: ClusterNode, send: (frames: Frame[]) => void, log: Logger, mayChange = true): Promise<void> {
  const reply = (status: string, text: string): void => send([identity, ...encodeClientReply(CLUSTER_MMI_SERVICE, [Buffer.from(status), Buffer.from(text)])]);
  const verb = body[0]?.toString('utf8') ?? '';
  const argument = body[1]?.toString('utf8') ?? '';
  if (verb === 'status') return reply('200', JSON.stringify(cluster.status()));
  if (verb !== 'add' && verb !== 'remove') return reply('400', `unknown verb ${JSON.stringify(verb)}: status, add or remove`);
  if (!mayChange) return reply('403', `this key may not change the cluster: its principal needs "call: [${CLUSTER_MMI_SERVICE}]"`);
  if (!cluster.isServing) {
    const { status, body: where } = redirectOf(cluster);
    return reply(status, where[0].toString('utf8'));
  }
  try {
    const outcome = verb === 'add' ? await cluster.addMember(parseClusterMember(argument)) : await cluster.removeMember(argument);
    log.info({ verb, argument, outcome }, 'membership change');
    reply('200', outcome);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    log.warn({ verb, argument, err: text }, 'membership change failed');
    reply(/must be|node id/.test(text) ? '400' : '500', text);
  }
}
