import fs from 'node:fs';
import path from 'node:path';
import type { PrincipalRights } from '../history/event';
import type { HistoryRecorder } from '../history/recorder';
import { writeKeyFiles, SECRET_KEY_SUFFIX } from '../../reference/security/key-files';
import { generateKeyPair, type KeyPair } from '../../reference/security/key-pair';
import { PeerSecurity } from '../../reference/security/peer-security';
import { CLUSTER_KEY_NAME, type NodeSecurity, type SecurityPosition, type SecurityProvider } from '../systems/node-security';

/** The harness's own principal: listed in every policy, with no rights, so a server answers its 8/MMI questions. */
export const HARNESS_PRINCIPAL = 'keelhaul-harness';

/** The policy file's name in the run's key folder. */
export const POLICY_FILE = 'policy.json';

export interface RunSecurityOptions {
  /** Where the harness writes keys and the policy (the scenario's `keys/` folder). */
  hostDir: string;
  /** The same folder as the nodes see it (Runtime.shareFolder). */
  nodeDir: string;
  history: HistoryRecorder;
}

/**
 * One scenario's key material: a CURVE key pair per node and per hostile peer (zcert files, the
 * secret one 0600), and the policy file the servers enforce, written from the scenario's
 * entitlement table. Every policy it writes is recorded (`policy`), every revocation too
 * (`revoked`), so the security checks judge the run by what the servers were told.
 */
export class RunSecurity implements SecurityProvider {
  private readonly pairs = new Map<string, KeyPair>();
  private readonly rights = new Map<string, PrincipalRights>([[HARNESS_PRINCIPAL, {}]]);

  constructor(private readonly options: RunSecurityOptions) {
    fs.mkdirSync(options.hostDir, { recursive: true });
  }

  /** The policy file as the nodes see it. */
  get policyFile(): string {
    return path.join(this.options.nodeDir, POLICY_FILE);
  }

  /** The key pair of `name`, made (and written as `<name>.key` / `<name>.key_secret`) on first use. */
  keyPair(name: string): KeyPair {
    let pair = this.pairs.get(name);
    if (pair === undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`"${name}" cannot name a key file: letters, digits, '.', '_' and '-' only`);
      pair = generateKeyPair();
      writeKeyFiles(this.options.hostDir, name, pair);
      this.pairs.set(name, pair);
    }
    return pair;
  }

  /** The principals of the policy and their rights, as recorded. */
  get entitlements(): Record<string, PrincipalRights> {
    return Object.fromEntries([...this.rights].map(([name, rights]) => [name, { ...rights }]));
  }

  /**
   * Gives each principal of `table` its rights (replacing what it had), writes the policy and
   * records it. A server reloads a changed policy on its next tick (or at once on SIGHUP).
   */
  grant(table: Record<string, PrincipalRights>): void {
    for (const [name, rights] of Object.entries(table)) {
      this.keyPair(name);
      this.rights.set(name, rights);
    }
    this.writePolicy();
    this.options.history.record({ type: 'policy', principals: this.entitlements });
  }

  /**
   * Takes every right of `principal` away: the policy is rewritten without it and the revocation
   * recorded with its bound. The caller tells the servers (SIGHUP); the file alone reaches them
   * within a tick.
   */
  revoke(principal: string, boundMs: number): void {
    if (!this.rights.delete(principal)) throw new Error(`cannot revoke ${principal}: the policy does not name it (it names ${[...this.rights.keys()].join(', ') || 'nobody'})`);
    this.writePolicy();
    this.options.history.record({ type: 'revoked', principal, boundMs });
  }

  /** A server gets its key file and the policy; a peer its key file and `server`'s public key. */
  forNode(name: string, position: SecurityPosition, server: string): NodeSecurity {
    this.keyPair(name);
    const curveKeyFile = path.join(this.options.nodeDir, `${name}${SECRET_KEY_SUFFIX}`);
    if (position === 'server') {
      if (!fs.existsSync(path.join(this.options.hostDir, POLICY_FILE))) this.writePolicy();
      return { curveKeyFile, policyFile: this.policyFile };
    }
    return { curveKeyFile, serverKey: this.keyPair(server).publicKey };
  }

  forReplicas(nodeIds: readonly string[]): NodeSecurity {
    this.grant({ [CLUSTER_KEY_NAME]: { replicate: [...nodeIds] } });
    return this.forNode(CLUSTER_KEY_NAME, 'server', CLUSTER_KEY_NAME);
  }

  harnessPeer(server: string): PeerSecurity {
    return new PeerSecurity(this.keyPair(HARNESS_PRINCIPAL), this.keyPair(server).publicKey);
  }

  /** Written whole and renamed into place, so a server never reads half a policy. */
  private writePolicy(): void {
    const principals = Object.fromEntries([...this.rights].map(([name, rights]) => [name, { key: this.keyPair(name).publicKey, ...rights }]));
    const file = path.join(this.options.hostDir, POLICY_FILE);
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify({ version: 1, principals }, null, 2)}\n`);
    fs.renameSync(temporary, file);
  }
}
