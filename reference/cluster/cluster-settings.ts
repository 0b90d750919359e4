import { nodeIdProblem, parseClusterMembers, type ClusterMember } from './cluster-members';

/** `keelhaul broker`'s cluster flags as given (docs/protocol.md, "Replicated broker"). */
export interface ClusterFlags {
  nodeId?: string;
  cluster?: string;
  dataDir?: string;
  join?: boolean;
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
  const self = members.find((member) => member.id === flags.nodeId);
  // A joining node names its own endpoints in --cluster too; it is simply not among the initial voters.
  if (self === undefined) throw new Error(`--cluster must include this node (${flags.nodeId}=<client>+<replication>)${flags.join === true ? ': a joining node lists itself too, and is not made a voter' : ''}`);
  if (flags.endpointGiven && flags.endpoint !== self.client) throw new Error(`--endpoint ${flags.endpoint} differs from ${self.client}, this node's client endpoint in --cluster`);
  const voters = flags.join === true ? members.filter((member) => member.id !== self.id) : members;
  return { self, members: voters, dataDir: flags.dataDir, join: flags.join === true };
}
