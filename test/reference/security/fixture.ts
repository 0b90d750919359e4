import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { writeKeyFiles, type KeyFilePaths } from '../../../reference/security/key-files';
import { generateKeyPair, type KeyPair } from '../../../reference/security/key-pair';
import { PeerSecurity } from '../../../reference/security/peer-security';
import type { PrincipalEntry } from '../../../reference/security/policy';
import { ServerSecurity } from '../../../reference/security/server-security';
import { silentLogger } from '../../../reference/util/log';

export type Rights = Omit<PrincipalEntry, 'key'>;

/**
 * Keys and a policy in a temporary folder for the secure-mode tests: a server key pair, one key pair
 * per principal (plus any `unlisted` names, which get keys but no policy entry), files as
 * `keelhaul keys` writes them.
 */
export class SecurityFixture {
  readonly folder = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-secure-'));
  readonly server: KeyPair = generateKeyPair();
  readonly serverFiles: KeyFilePaths;
  readonly policyFile = path.join(this.folder, 'policy.yaml');
  private readonly pairs = new Map<string, KeyPair>();
  private readonly files = new Map<string, KeyFilePaths>();

  constructor(rights: Record<string, Rights>, unlisted: string[] = []) {
    this.serverFiles = writeKeyFiles(this.folder, 'server', this.server);
    for (const name of [...Object.keys(rights), ...unlisted]) {
      const pair = generateKeyPair();
      this.pairs.set(name, pair);
      this.files.set(name, writeKeyFiles(this.folder, name, pair));
    }
    this.writePolicy(rights);
  }

  keys(name: string): KeyPair {
    const pair = this.pairs.get(name);
    if (pair === undefined) throw new Error(`no key pair named ${name} in the fixture`);
    return pair;
  }

  secretFile(name: string): string {
    return this.files.get(name)!.secretFile;
  }

  peer(name: string): PeerSecurity {
    return new PeerSecurity(this.keys(name), this.server.publicKey);
  }

  /** (Re)writes the policy file with these principals' rights; a name left out is revoked. */
  writePolicy(rights: Record<string, Rights>): void {
    const principals = Object.fromEntries(Object.entries(rights).map(([name, entry]) => [name, { key: this.keys(name).publicKey, ...entry }]));
    const temporary = `${this.policyFile}.tmp`;
    fs.writeFileSync(temporary, YAML.stringify({ version: 1, principals }));
    fs.renameSync(temporary, this.policyFile);
  }

  serverSecurity(): Promise<ServerSecurity> {
    return ServerSecurity.start({ keyPair: this.server, policyFile: this.policyFile, log: silentLogger() });
  }
}
