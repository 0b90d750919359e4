import { readKeyPair, resolvePublicKey } from './key-files';
import type { KeyPair } from './key-pair';
import { PeerSecurity } from './peer-security';
import { loadPolicy } from './policy-file';

/** The security flags every node takes (`--curve-key`, `--server-key`, `--policy`), before env fallbacks. */
export interface SecurityFlags {
  /** The node's own `.key_secret` file. Env: KEELHAUL_CURVE_KEY. */
  curveKey?: string;
  /** A peer's server key: 40 Z85 characters or a key file. Env: KEELHAUL_SERVER_KEY. */
  serverKey?: string;
  /** A server's policy file. Env: KEELHAUL_POLICY. */
  policy?: string;
}

/** Thrown for flags that do not make a secure node (one given without its partner): the message says which. */
export class SecuritySettingsError extends Error {
  override readonly name = 'SecuritySettingsError';
}

function pick(flag: string | undefined, env: string | undefined): string | undefined {
  const value = flag ?? env;
  return value === undefined || value === '' ? undefined : value;
}

/** A peer's security: both its key file and the server key, or neither (unauthenticated mode). */
export function peerSecurityFrom(flags: SecurityFlags, env: NodeJS.ProcessEnv = process.env): PeerSecurity | undefined {
  const curveKey = pick(flags.curveKey, env.KEELHAUL_CURVE_KEY);
  const serverKey = pick(flags.serverKey, env.KEELHAUL_SERVER_KEY);
  if (curveKey === undefined && serverKey === undefined) return undefined;
  if (curveKey === undefined) throw new SecuritySettingsError('--server-key (KEELHAUL_SERVER_KEY) needs --curve-key <file.key_secret> (KEELHAUL_CURVE_KEY): the node\'s own key pair');
  if (serverKey === undefined) throw new SecuritySettingsError('--curve-key (KEELHAUL_CURVE_KEY) needs --server-key <z85 | file.key> (KEELHAUL_SERVER_KEY): the server\'s public key');
  return new PeerSecurity(readKeyPair(curveKey), resolvePublicKey(serverKey));
}

/** A server's key pair and policy file: both or neither (unauthenticated mode). */
export function serverSecurityFrom(flags: SecurityFlags, env: NodeJS.ProcessEnv = process.env): { keyPair: KeyPair; policyFile: string } | undefined {
  const curveKey = pick(flags.curveKey, env.KEELHAUL_CURVE_KEY);
  const policyFile = pick(flags.policy, env.KEELHAUL_POLICY);
  if (curveKey === undefined && policyFile === undefined) return undefined;
  if (curveKey === undefined) throw new SecuritySettingsError('--policy (KEELHAUL_POLICY) needs --curve-key <file.key_secret> (KEELHAUL_CURVE_KEY): the server\'s own key pair');
  if (policyFile === undefined) throw new SecuritySettingsError('--curve-key (KEELHAUL_CURVE_KEY) needs --policy <file> (KEELHAUL_POLICY) on a server: the keys it accepts and their rights');
  const keyPair = readKeyPair(curveKey);
  // Read once here too, so a bad policy stops the start with its problems rather than deep in it.
  loadPolicy(policyFile);
  return { keyPair, policyFile };
}
