import { nodeIdProblem } from './cluster-members';

/**
 * How this client or worker reaches each broker of a cluster, by KHR/1 node id (`--broker-route
 * <id>=<endpoint>,...`). The cluster names its members by the endpoints the brokers were given
 * (`--cluster`), which may not be how this peer reaches them: behind a NAT, a port mapping or the
 * harness's fault proxy, where every peer has its own link to every broker. A leader named in a
 * `307`, a TERM or an `mmi.khr` answer is reached at its route when there is one, else as named.
 */
export type BrokerRoutes = ReadonlyMap<string, string>;

const ENDPOINT = /^(tcp|ipc|inproc):\/\/.+$/;

/** `<id>=<endpoint>` pairs, comma-separated (empty text: no routes); throws a precise error for anything else. */
export function parseBrokerRoutes(text: string): BrokerRoutes {
  const routes = new Map<string, string>();
  for (const part of text.split(',').map((each) => each.trim()).filter((each) => each !== '')) {
    const at = part.indexOf('=');
    if (at < 0) throw new Error(`broker route ${JSON.stringify(part)} must be <node id>=<endpoint>`);
    const id = part.slice(0, at);
    const endpoint = part.slice(at + 1);
    const idProblem = nodeIdProblem(id);
    if (idProblem !== undefined) throw new Error(`broker route ${JSON.stringify(part)}: ${idProblem}`);
    if (!ENDPOINT.test(endpoint)) throw new Error(`broker route ${JSON.stringify(part)}: ${JSON.stringify(endpoint)} must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555`);
    if (routes.has(id)) throw new Error(`broker route for ${id} given twice`);
    routes.set(id, endpoint);
  }
  return routes;
}

/** The `mmi.khr` members frame (KHR/1 revision 2): `<id>=<client endpoint>` per voter, comma-separated. */
export function formatClientMembers(members: readonly { id: string; client: string }[]): string {
  return members.map(({ id, client }) => `${id}=${client}`).join(',');
}

/** The members frame read back; an entry that is not `<id>=<endpoint>` is skipped (a peer never fails on what it only learns from). */
export function parseClientMembers(text: string): { id: string; client: string }[] {
  const members: { id: string; client: string }[] = [];
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const id = part.slice(0, at).trim();
    const client = part.slice(at + 1).trim();
    if (nodeIdProblem(id) === undefined && ENDPOINT.test(client)) members.push({ id, client });
  }
  return members;
}
