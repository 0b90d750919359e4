import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { PUBLIC_KEY_SUFFIX, SECRET_KEY_SUFFIX, writeKeyFiles } from '../../reference/security/key-files';
import { generateKeyPair } from '../../reference/security/key-pair';

/** What `keelhaul keys` wrote. */
export interface WrittenKeys {
  /** The server's public key (Z85): what peers pass as `--server-key`. */
  serverKey: string;
  /** Every file written, key files first, the policy last. */
  files: string[];
  policyFile: string;
}

export interface KeysOptions {
  /** Principal names, one key pair each. */
  names: string[];
  /** The server's name (its key files are `<server>.key`, `<server>.key_secret`). */
  server: string;
  /** Overwrite key files that exist (otherwise refused: a new key locks out every peer that knew the old one). */
  force?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const POLICY_FILE_NAME = 'policy.yaml';

/** The problem with these names, or undefined: each a file-name-safe word, no repeats, none the server's. */
export function keyNamesProblem(names: readonly string[], server: string): string | undefined {
  if (names.length === 0) return '--names: give at least one name';
  for (const name of [...names, server]) if (!NAME.test(name)) return `${JSON.stringify(name)} is not a usable name: letters, digits, ".", "_" and "-", starting with a letter or digit`;
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return `--names lists ${JSON.stringify(repeated)} twice`;
  if (names.includes(server)) return `${JSON.stringify(server)} is the server's name (--server) and cannot be a principal too`;
  return undefined;
}

/**
 * The policy template: every principal with its key and empty rights, each right explained in a
 * comment, so nothing is allowed until someone decides what.
 */
export function policyTemplate(principals: ReadonlyArray<{ name: string; key: string }>, server: string, date = new Date()): string {
  const lines = [
    `# keelhaul policy (docs/security.md), written by \`keelhaul keys\` on ${date.toISOString().slice(0, 10)}.`,
    `# The server (${server}) takes it with --policy; peers connect with --curve-key <name>${SECRET_KEY_SUFFIX}`,
    `# and --server-key ${server}${PUBLIC_KEY_SUFFIX}. Every right is a list of names: exact, "prefix*" or "*".`,
    '# All rights start empty: a principal may connect but do nothing until you fill in what it needs.',
    '# The server re-reads this file on SIGHUP and when it changes; a principal removed is revoked.',
    '# A secure broker cluster: add the brokers\' key as a principal with replicate: [<node id>, ...] (docs/replication.md).',
    'version: 1',
    'principals:',
  ];
  for (const { name, key } of principals) {
    lines.push(
      `  ${name}:`,
      `    key: "${key}"`,
      '    register: []       # services it may offer as a worker, e.g. [echo]',
      '    call: []           # services it may call as a client, e.g. [echo] or ["*"]',
      '    publish: []        # topics it may publish to, e.g. ["prices.*"]',
      '    subscribe: []      # topics it may subscribe to',
      `    subscriberIds: [${name}]   # subscriber ids it may use (this is the default)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a key pair per name and for the server, and the policy template, into `folder` (created if missing). */
export function writeKeys(folder: string, options: KeysOptions): WrittenKeys {
  const problem = keyNamesProblem(options.names, options.server);
  if (problem !== undefined) throw new Error(problem);
  const policyFile = path.join(folder, POLICY_FILE_NAME);
  if (!options.force) {
    const existing = [...options.names, options.server]
      .flatMap((name) => [`${name}${PUBLIC_KEY_SUFFIX}`, `${name}${SECRET_KEY_SUFFIX}`])
      .concat(POLICY_FILE_NAME)
      .map((file) => path.join(folder, file))
      .filter((file) => fs.existsSync(file));
    if (existing.length > 0) throw new Error(`${existing.join(', ')} exist already: a new key locks out every peer that knew the old one (--force overwrites)`);
  }
  fs.mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  const write = (name: string) => {
    const pair = generateKeyPair();
    const written = writeKeyFiles(folder, name, pair);
    files.push(written.publicFile, written.secretFile);
    return { name, key: pair.publicKey };
  };
  const serverKey = write(options.server).key;
  const principals = options.names.map(write);
  fs.writeFileSync(policyFile, policyTemplate(principals, options.server));
  files.push(policyFile);
  return { serverKey, files, policyFile };
}

/** `keelhaul keys <folder> --names a,b [--server broker]`. */
export function registerKeysCommand(program: Command): void {
  program
    .command('keys')
    .description(`write a CURVE key pair (<name>${PUBLIC_KEY_SUFFIX}, <name>${SECRET_KEY_SUFFIX}) for each name and the server, and a policy template (${POLICY_FILE_NAME}) for secure mode (docs/security.md)`)
    .argument('<folder>', 'where to write them (created if missing)')
    .addOption(new Option('--names <names>', 'the principals, comma-separated: workers, clients, publishers, subscribers').makeOptionMandatory())
    .addOption(new Option('--server <name>', "the server's name (broker or pub/sub proxy)").default('broker'))
    .addOption(new Option('--force', 'overwrite key files and a policy that exist'))
    .action((folder: string, options: { names: string; server: string; force?: boolean }) => {
      const names = options.names.split(',').map((name) => name.trim()).filter((name) => name !== '');
      let written: WrittenKeys;
      try {
        written = writeKeys(folder, { names, server: options.server, force: options.force });
      } catch (error) {
        return program.error(`keelhaul keys: ${(error as Error).message}`, { exitCode: 2 });
      }
      for (const file of written.files) process.stdout.write(`wrote ${file}\n`);
      process.stdout.write(`server public key: ${written.serverKey}\n`);
    });
}
