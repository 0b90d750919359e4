/**
 * The brokers of a cluster as the operator names them (`--cluster`, `keelhaul cluster add`):
 * `<id>=<client endpoint>+<replication endpoint>`. Clients and workers reach a broker at its client
 * endpoint; brokers reach each other at their replication endpoints.
 */
export interface ClusterMember {
  id: string;
  client: string;
  replication: string;
}

const NODE_ID = /^[A-Za-z0-9_-]{1,32}$/;
const ENDPOINT = /^(tcp|ipc|inproc):\/\/.+$/;

/** Why `id` is not a node id (letters, digits, `-`, `_`; 1-32 characters), or undefined. */
export function nodeIdProblem(id: string): string | undefined {
  return NODE_ID.test(id) ? undefined : `node id ${JSON.stringify(id)} must be 1-32 letters, digits, "-" or "_"`;
}

/** One `<id>=<client>+<replication>`; throws a precise error for anything else. */
export function parseClusterMember(text: string): ClusterMember {
  const match = /^([^=]*)=([^+]*)\+(.*)$/.exec(text.trim());
  if (match === null) throw new Error(`cluster member ${JSON.stringify(text)} must be <id>=<client endpoint>+<replication endpoint>`);
  const [, id, client, replication] = match;
  const idProblem = nodeIdProblem(id);
  if (idProblem !== undefined) throw new Error(idProblem);
  for (const [what, endpoint] of [['client', client], ['replication', replication]] as const) {
    if (!ENDPOINT.test(endpoint)) throw new Error(`cluster member ${id}: ${what} endpoint ${JSON.stringify(endpoint)} must be a ZeroMQ endpoint such as tcp://127.0.0.1:6555`);
  }
  if (client === replication) throw new Error(`cluster member ${id}: the client and replication endpoints must differ`);
  return { id, client, replication };
}

/** A comma-separated member list; ids and endpoints must be unique. */
export function parseClusterMembers(text: string): ClusterMember[] {
  const members = text.split(',').filter((part) => part.trim() !== '').map(parseClusterMember);
  if (members.length === 0) throw new Error('--cluster names no member');
  const seen = new Set<string>();
  for (const member of members) {
    for (const key of [`id ${member.id}`, `endpoint ${member.client}`, `endpoint ${member.replication}`]) {
      if (seen.has(key)) throw new Error(`--cluster names ${key} twice`);
      seen.add(key);
    }
  }
  return members;
}

/** `--broker a,b,c` for clients, workers and the operator: one endpoint or several, each checked. */
export function parseEndpointList(text: string): string[] {
  const endpoints = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (endpoints.length === 0) throw new Error('expected at least one endpoint');
  for (const endpoint of endpoints) {
    if (!/^(tcp|ipc|inproc):\/\/.+/.test(endpoint)) throw new Error(`expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got "${endpoint}"`);
  }
  return endpoints;
}
