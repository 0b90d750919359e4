import type { PeerSecurity } from '../../reference/security/peer-security';

/**
 * What one node of a secure run is given (docs/security.md): its own key pair's file and, for a
 * server (broker, pub/sub proxy) the policy file, for a peer the server's public key. Paths are as
 * the node sees them (Runtime.shareFolder).
 */
export interface NodeSecurity {
  /** The node's own zcert `.key_secret` file. */
  curveKeyFile: string;
  /** A peer's: the server's public key, 40 Z85 characters. */
  serverKey?: string;
  /** A server's: the policy file it enforces and re-reads on SIGHUP. */
  policyFile?: string;
}

/**
 * The key a secure broker cluster's replicas share (docs/replication.md, "Secure replication"):
 * workers and clients know one server key for every replica, so every replica holds this one.
 */
export const CLUSTER_KEY_NAME = 'broker-cluster';

/** Where a node sits: a server enforces the policy, a peer presents its key to one. */
export type SecurityPosition = 'server' | 'peer';

/** What a system asks of a secure run for each node it starts; absent, the run is unauthenticated. */
export interface SecurityProvider {
  /** `server` is the node's server (the hub it connects to); for a server, its own name. */
  forNode(name: string, position: SecurityPosition, server: string): NodeSecurity;
  /** A broker cluster's replicas: the shared key (CLUSTER_KEY_NAME), which the policy names as the replica key of each of `nodeIds`, and the policy. */
  forReplicas(nodeIds: readonly string[]): NodeSecurity;
  /** The harness's own credentials towards `server` (for its 8/MMI questions): a principal the policy lists with no rights. */
  harnessPeer(server: string): PeerSecurity;
}

/** The placeholders of a secure run, per position: a manifest's command or env gets the node's values, '' when the run is not secure. */
export const SECURITY_PLACEHOLDERS: Readonly<Record<SecurityPosition, readonly string[]>> = {
  server: ['curveKeyFile', 'policyFile'],
  peer: ['curveKeyFile', 'serverKey'],
};

/** The placeholder values of one node (every one of its position; '' where the run gives none). */
export function securityValues(position: SecurityPosition, security: NodeSecurity | undefined): Record<string, string> {
  const given: Record<string, string | undefined> = { curveKeyFile: security?.curveKeyFile, serverKey: security?.serverKey, policyFile: security?.policyFile };
  return Object.fromEntries(SECURITY_PLACEHOLDERS[position].map((name) => [name, given[name] ?? '']));
}

/**
 * The environment every node of a secure run gets, whatever its command line says: the reference
 * nodes (and implementations that follow them) read their keys from it.
 */
export function securityEnv(security: NodeSecurity | undefined): Record<string, string> {
  if (security === undefined) return {};
  return {
    KEELHAUL_CURVE_KEY: security.curveKeyFile,
    ...(security.serverKey !== undefined ? { KEELHAUL_SERVER_KEY: security.serverKey } : {}),
    ...(security.policyFile !== undefined ? { KEELHAUL_POLICY: security.policyFile } : {}),
  };
}

/** The `security` param of a node's start params: `{ security }` in a secure run, `{}` otherwise. */
export function securityParam(provider: SecurityProvider | undefined, name: string, position: SecurityPosition, server: string): { security?: NodeSecurity } {
  const security = provider?.forNode(name, position, server);
  return security === undefined ? {} : { security };
}
