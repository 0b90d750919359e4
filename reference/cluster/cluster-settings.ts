import { nodeIdProblem, parseClusterMember, parseClusterMembers, type ClusterMember } from './cluster-members';

/** `keelhaul broker`'s cluster flags as given (docs/protocol.md, "Replicated broker"). */
export interface ClusterFlags {
  nodeId?: string;
  cluster?: string;
  dataDir?: string;
  join?: boolean;
  /** `--replication-endpoint`: for a node that --cluster does not list (its peers only, a manifest's `{{peers}}`). */
  replicationEndpoint?: string;
  /** `--endpoint`, and whether it was given rather than defaulted. */
  endpoint: string;
  endpointGiven: boolean;
}

export interface ClusterSettings {
  self: ClusterMember;
  members: ClusterMember[];
  dataDir: string;
  join: boolean;
}

/** A node that --cluster does not list (it names the peers only): its endpoints from --endpoint and --replication-endpoint. */
function selfFromFlags(flags: ClusterFlags): ClusterMember | undefined {
  if (flags.nodeId === undefined || !flags.endpointGiven || flags.replicationEndpoint === undefined) return undefined;
  return parseClusterMember(`${flags.nodeId}=${flags.endpoint}+${flags.replicationEndpoint}`);
}

/** The cluster a broker's flags describe, undefined without `--cluster`; throws a precise error for a bad combination. */
export function clusterSettingsOf(flags: ClusterFlags): ClusterSettings | undefined {
  if (flags.cluster === undefined) {
    for (const [flag, given] of [['--node-id', flags.nodeId !== undefined], ['--data-dir', flags.dataDir !== undefined], ['--join', flags.join === true]] as const) {
      if (given) throw new Error(`${flag} needs --cluster`);
    }
    return undefined;
  }
  if (flags.nodeId === undefined) throw new Error('--cluster needs --node-id');
  const idProblem = nodeIdProblem(flags.nodeId);
  if (idProblem !== undefined) throw new Error(`--node-id: ${idProblem}`);
  if (flags.dataDir === undefined) throw new Error('--cluster needs --data-dir (the replicated log, hard state and snapshots)');
  const members = parseClusterMembers(flags.cluster);
  // A node may list itself in --cluster (a joining one is not made a voter), or name only its peers and give --endpoint and --replication-endpoint.
  const listed = members.find((member) => member.id === flags.nodeId);
  const self = listed ?? selfFromFlags(flags);
  if (self === undefined) throw new Error(`--cluster must include this node (${flags.nodeId}=<client>+<replication>), or name only its peers with --endpoint and --replication-endpoint given`);
  if (flags.endpointGiven && flags.endpoint !== self.client) throw new Error(`--endpoint ${flags.endpoint} differs from ${self.client}, this node's client endpoint in --cluster`);
  if (flags.replicationEndpoint !== undefined && flags.replicationEndpoint !== self.replication) throw new Error(`--replication-endpoint ${flags.replicationEndpoint} differs from ${self.replication}, this node's replication endpoint in --cluster`);
  const others = members.filter((member) => member.id !== self.id);
  const voters = flags.join === true ? others : listed !== undefined ? members : [self, ...members];
  return { self, members: voters, dataDir: flags.dataDir, join: flags.join === true };
}
