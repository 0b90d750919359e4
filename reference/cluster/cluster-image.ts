import type { ClusterMember } from './cluster-members';
import { parseClusterMember } from './cluster-members';

/**
 * The replicated state machine's image, a Raft snapshot's `data`: the job store's live records (what
 * a JobStore compaction keeps) and the address book of the brokers (membership entries carry only
 * ids; where a broker listens is replicated as a `cluster-member` command).
 */
export interface ClusterImage {
  records: Buffer[];
  members: ClusterMember[];
}

export function encodeClusterImage(image: ClusterImage): Buffer {
  return Buffer.from(JSON.stringify({ records: image.records.map((record) => record.toString('base64')), members: image.members }), 'utf8');
}

export function decodeClusterImage(data: Buffer): ClusterImage {
  if (data.length === 0) return { records: [], members: [] };
  const value = JSON.parse(data.toString('utf8')) as { records?: unknown; members?: unknown };
  if (!Array.isArray(value.records) || !value.records.every((record) => typeof record === 'string')) throw new Error('cluster image without a records array');
  if (!Array.isArray(value.members)) throw new Error('cluster image without a members array');
  const members = value.members.map((member: unknown) => {
    const m = member as Partial<ClusterMember>;
    return parseClusterMember(`${String(m.id)}=${String(m.client)}+${String(m.replication)}`);
  });
  return { records: (value.records as string[]).map((record) => Buffer.from(record, 'base64')), members };
}

/** A command entry that is not a job record: where a broker listens (`keelhaul cluster add`). */
export function encodeMemberCommand(member: ClusterMember): Buffer {
  return Buffer.from(JSON.stringify({ type: 'cluster-member', ...member }), 'utf8');
}

/** The member a command entry announces, or undefined when it is a job record. */
export function memberOfCommand(data: Buffer): ClusterMember | undefined {
  // Job records are JSON objects too; only this type is the cluster's.
  if (!data.subarray(0, 40).toString('utf8').includes('"cluster-member"')) return undefined;
  const value = JSON.parse(data.toString('utf8')) as Partial<ClusterMember> & { type?: unknown };
  if (value.type !== 'cluster-member') return undefined;
  return parseClusterMember(`${String(value.id)}=${String(value.client)}+${String(value.replication)}`);
}
