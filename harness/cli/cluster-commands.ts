import { Option, type Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ClusterNode } from '../../reference/cluster/cluster-node';
import { parseClusterMember, parseEndpointList } from '../../reference/cluster/cluster-members';
import { parseBrokerRoutes } from '../../reference/cluster/broker-routes';
import { clusterSettingsOf } from '../../reference/cluster/cluster-settings';
import type { ReplicationSecuritySettings } from '../../reference/cluster/replication-security';
import type { PeerSecurity } from '../../reference/security/peer-security';
import type { JobStoreOptions } from '../../reference/journal/job-store';
import type { BrokerDefect } from '../../reference/defects';
import type { Logger } from '../../reference/util/log';
import { createLogger } from '../../reference/util/log';
import { curveKeyOption, peerSecurityOrExit, serverKeyOption } from './node-options';

/** `--broker a,b,c`: one endpoint or several, each checked; kept as the comma-separated text. */
export function endpointList(value: string): string {
  try {
    return parseEndpointList(value).join(',');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `--broker-route <id>=<endpoint>,...` for clients and workers: how they reach each broker of a cluster by node id (KHR/1). */
export const brokerRouteOption = (): Option =>
  new Option('--broker-route <routes>', "KHR/1: how this node reaches each broker by node id, <id>=<endpoint>,...: a leader that a redirect, TERM or mmi.khr names is reached at its route (else at the endpoint the cluster names)").argParser((value: string) => {
    try {
      return parseBrokerRoutes(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  });

/** `--khr <mode>` for clients and workers: speak KHR/1 or not, whatever the number of endpoints (`auto`: only with several). */
export const khrModeOption = (): Option =>
  new Option('--khr <mode>', 'KHR/1: on (ask mmi.khr / declare KHR/1 in READY even with one endpoint), off (KHX/1 only, even with several endpoints: failover on timeouts and DISCONNECT, no terms) or auto (on with several endpoints)')
    .choices(['on', 'off', 'auto'])
    .default('auto');

/** `--khr` as the client and worker options take it: undefined leaves it to the number of endpoints. */
export function khrWanted(mode: string): boolean | undefined {
  return mode === 'auto' ? undefined : mode === 'on';
}

/** Exit status for cluster flags that do not make a cluster node (bad input, as for the other node flags). */
const CLUSTER_SETTINGS_EXIT = 2;

/** `keelhaul broker --cluster ...`: the Raft node the broker serves from, undefined without --cluster; a bad flag exits 2. */
export async function startClusterNodeOrExit(
  opts: { nodeId?: string; cluster?: string; dataDir?: string; join?: boolean; replicationEndpoint?: string; endpoint: string; electionTimeout: number; raftHeartbeat: number; seedDefect?: BrokerDefect[]; journal?: string },
  endpointGiven: boolean,
  store: JobStoreOptions,
  log: Logger,
  security: ReplicationSecuritySettings | undefined,
): Promise<ClusterNode | undefined> {
  let settings;
  try {
    settings = clusterSettingsOf({ ...opts, endpointGiven });
    if (settings !== undefined && opts.journal !== undefined) throw new Error('--journal and --cluster exclude each other: a cluster broker keeps its records in --data-dir');
    if (settings !== undefined && opts.raftHeartbeat >= opts.electionTimeout) throw new Error(`--raft-heartbeat (${opts.raftHeartbeat}) must be below --election-timeout (${opts.electionTimeout})`);
  } catch (error) {
    process.stderr.write(`keelhaul broker: ${(error as Error).message}\n`);
    process.exit(CLUSTER_SETTINGS_EXIT);
  }
  if (settings === undefined) return undefined;
  // Loaded only for a cluster broker: Raft and replication are no part of any other node.
  const { ClusterNode } = await import('../../reference/cluster/cluster-node');
  const { ReplicationSecurityError } = await import('../../reference/cluster/replication-security');
  try {
    return await ClusterNode.start({
      ...settings,
      electionTimeoutMs: opts.electionTimeout,
      heartbeatMs: opts.raftHeartbeat,
      fsync: store.fsync ?? true,
      store,
      log,
      ackBeforeCommit: opts.seedDefect?.includes('ack-before-commit') === true,
      deposedKeepsServing: opts.seedDefect?.includes('deposed-keeps-serving') === true,
      security,
    });
  } catch (error) {
    if (!(error instanceof ReplicationSecurityError)) throw error;
    process.stderr.write(`keelhaul broker: ${error.message}\n`);
    process.exit(CLUSTER_SETTINGS_EXIT);
  }
}

/** How long an operator request waits for its answer: a membership change may wait for a newcomer to catch up. */
const OPERATOR_TIMEOUT_MS = 20_000;

/** One operator request to one endpoint: the answer's status and text, or undefined without one. */
async function askOperator(endpoint: string, body: string[], timeout: number, security: PeerSecurity | undefined): Promise<{ status: string; text: string } | undefined> {
  const { DefiniteFailure, MajordomoClient } = await import('../../reference/client');
  const { CLUSTER_MMI_SERVICE } = await import('../../reference/cluster/cluster-gate');
  const client = new MajordomoClient({ broker: endpoint, khr: false, checkService: false, attempts: 1, timeout, logger: createLogger('cluster'), security });
  try {
    const reply = await client.request(CLUSTER_MMI_SERVICE, body.map((frame) => Buffer.from(frame)));
    return { status: reply[0]?.toString() ?? '', text: reply[1]?.toString() ?? '' };
  } catch (error) {
    if (error instanceof DefiniteFailure || (error as { definite?: boolean }).definite === false) return undefined;
    throw error;
  } finally {
    client.close();
  }
}

/**
 * `status` as the leader sees it: the brokers in turn until one is the leader or names one that
 * confirms it; failing that, the first answer (a removed or cut-off broker's own view may be stale).
 */
export async function clusterStatus(endpoints: string[], timeout: number, security?: PeerSecurity): Promise<string | undefined> {
  let first: string | undefined;
  const leads = (text: string): boolean => {
    const status = JSON.parse(text) as { node: string; leader: string | null };
    return status.leader === status.node;
  };
  for (const endpoint of endpoints) {
    const answer = await askOperator(endpoint, ['status'], timeout, security);
    if (answer?.status !== '200') continue;
    first ??= answer.text;
    if (leads(answer.text)) return answer.text;
    const named = (JSON.parse(answer.text) as { leaderEndpoint?: string | null }).leaderEndpoint;
    if (typeof named !== 'string') continue;
    const fromLeader = await askOperator(named, ['status'], timeout, security);
    if (fromLeader?.status === '200' && leads(fromLeader.text)) return fromLeader.text;
  }
  return first;
}

/** A change goes to the leader: the endpoints in turn, following a 307 at once. */
export async function clusterChange(endpoints: string[], body: string[], security?: PeerSecurity): Promise<{ ok: boolean; text: string }> {
  const queue = [...endpoints];
  for (let tries = 0; tries < 3 * endpoints.length + 3 && queue.length > 0; tries++) {
    const endpoint = queue.shift()!;
    queue.push(endpoint);
    const answer = await askOperator(endpoint, body, OPERATOR_TIMEOUT_MS, security);
    if (answer === undefined) continue;
    if (answer.status === '200') return { ok: true, text: answer.text };
    if (answer.status === '307') {
      queue.unshift(answer.text);
      continue;
    }
    if (answer.status === '503') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    return { ok: false, text: `${answer.status} ${answer.text}` };
  }
  return { ok: false, text: `no leader among ${endpoints.join(',')} took the change` };
}

/** A secure cluster's operator: its own key pair and the brokers' public key (as a client's). */
interface OperatorKeys {
  curveKey?: string;
  serverKey?: string;
}

/** `keelhaul cluster status|add|remove` (docs/protocol.md, "Replicated broker"). */
export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('operate a reference broker cluster (KHR/1): status, add or remove a member');
  const brokerOption = () => new Option('--broker <endpoints>', "the cluster's client endpoints, comma-separated").argParser(endpointList).makeOptionMandatory();
  cluster
    .command('status')
    .description('print the cluster as its leader (or the first broker that answers) sees it, as JSON: node, role, term, leader, members')
    .addOption(brokerOption())
    .addOption(new Option('--timeout <ms>', 'how long each broker is waited for').default(2000).argParser((value) => Number(value)))
    .addOption(curveKeyOption())
    .addOption(serverKeyOption())
    .action(async (opts: { broker: string; timeout: number } & OperatorKeys) => {
      const status = await clusterStatus(opts.broker.split(','), opts.timeout, peerSecurityOrExit(opts));
      if (status === undefined) {
        process.stderr.write(`keelhaul cluster status: no broker of ${opts.broker} answered\n`);
        process.exit(1);
      }
      process.stdout.write(`${status}\n`);
      process.exit(0);
    });
  cluster
    .command('add')
    .description('add a broker (it must run with --join): it catches up as a learner, then becomes a voter')
    .argument('<member>', '<id>=<client endpoint>+<replication endpoint>')
    .addOption(brokerOption())
    .addOption(curveKeyOption())
    .addOption(serverKeyOption())
    .action(async (member: string, opts: { broker: string } & OperatorKeys) => {
      try {
        parseClusterMember(member);
      } catch (error) {
        process.stderr.write(`keelhaul cluster add: ${(error as Error).message}\n`);
        process.exit(2);
      }
      const outcome = await clusterChange(opts.broker.split(','), ['add', member], peerSecurityOrExit(opts));
      process.stdout.write(`${outcome.text}\n`);
      process.exit(outcome.ok ? 0 : 1);
    });
  cluster
    .command('remove')
    .description('remove a broker from the voters')
    .argument('<id>', 'the node id to remove')
    .addOption(brokerOption())
    .addOption(curveKeyOption())
    .addOption(serverKeyOption())
    .action(async (id: string, opts: { broker: string } & OperatorKeys) => {
      const outcome = await clusterChange(opts.broker.split(','), ['remove', id], peerSecurityOrExit(opts));
      process.stdout.write(`${outcome.text}\n`);
      process.exit(outcome.ok ? 0 : 1);
    });
}
