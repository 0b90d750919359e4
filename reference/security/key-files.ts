import fs from 'node:fs';
import path from 'node:path';
import { keyPairProblem, type KeyPair } from './key-pair';
import { isZ85Key } from './z85';

/**
 * CURVE key files in czmq's zcert format (ZPL text), so pyzmq's `zmq.auth.load_certificate` and czmq
 * read what keelhaul writes and the other way round: `<name>.key` holds the public key,
 * `<name>.key_secret` both keys and is written mode 0600.
 */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export const PUBLIC_KEY_SUFFIX = '.key';
export const SECRET_KEY_SUFFIX = '.key_secret';

const KEY_LINE = /^\s+(public-key|secret-key)\s*=\s*"([^"]*)"\s*$/;

function readKeys(file: string): Map<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(file, `cannot read the key file: ${(error as Error).message}`);
  }
  const keys = new Map<string, string>();
  let section = '';
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\S/.test(line)) {
      section = line.trim();
      continue;
    }
    const match = KEY_LINE.exec(line);
    if (section !== 'curve' || match === null) continue;
    if (!isZ85Key(match[2]!)) throw new KeyFileError(file, `line ${index + 1}: ${match[1]} must be 40 Z85 characters`);
    keys.set(match[1]!, match[2]!);
  }
  return keys;
}

/** The public key in a `.key` or `.key_secret` file. */
export function readPublicKey(file: string): string {
  const publicKey = readKeys(file).get('public-key');
  if (publicKey === undefined) throw new KeyFileError(file, 'no public-key line in a "curve" section: not a zcert key file');
  return publicKey;
}

/** The key pair in a `.key_secret` file. */
export function readKeyPair(file: string): KeyPair {
  const keys = readKeys(file);
  const publicKey = keys.get('public-key');
  const secretKey = keys.get('secret-key');
  if (publicKey === undefined) throw new KeyFileError(file, 'no public-key line in a "curve" section: not a zcert key file');
  if (secretKey === undefined) throw new KeyFileError(file, `no secret-key line: a node's own key is the ${SECRET_KEY_SUFFIX} file, not the public ${PUBLIC_KEY_SUFFIX} one`);
  const problem = keyPairProblem({ publicKey, secretKey });
  if (problem !== undefined) throw new KeyFileError(file, problem);
  return { publicKey, secretKey };
}

function header(kind: 'Public' | '**Secret**', date: Date): string {
  const warning =
    kind === 'Public'
      ? ['#   Exchange securely, or use a secure mechanism to verify the contents', '#   of this file after exchange.']
      : ['#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.'];
  return [`#   ****  Generated on ${date.toISOString().slice(0, 10)} by keelhaul  ****`, `#   ZeroMQ CURVE ${kind} Certificate`, ...warning, '', 'metadata', 'curve'].join('\n');
}

/** Where `writeKeyFiles` puts a name's two files. */
export interface KeyFilePaths {
  publicFile: string;
  secretFile: string;
}

/**
 * Writes `<folder>/<name>.key` and `<folder>/<name>.key_secret` (mode 0600, also when the file was
 * there before with a wider mode). The folder must exist.
 * `date` is wall-clock time on purpose: it is only written into the files' header comment (as zmq's own
 * key files carry it), never compared with another time.
 */
export function writeKeyFiles(folder: string, name: string, pair: KeyPair, date = new Date()): KeyFilePaths {
  const publicFile = path.join(folder, `${name}${PUBLIC_KEY_SUFFIX}`);
  const secretFile = path.join(folder, `${name}${SECRET_KEY_SUFFIX}`);
  fs.writeFileSync(publicFile, `${header('Public', date)}\n    public-key = "${pair.publicKey}"\n`, { mode: 0o644 });
  fs.writeFileSync(secretFile, `${header('**Secret**', date)}\n    public-key = "${pair.publicKey}"\n    secret-key = "${pair.secretKey}"\n`, { mode: 0o600 });
  fs.chmodSync(secretFile, 0o600);
  return { publicFile, secretFile };
}

/** A server key given as 40 Z85 characters or as the path of a key file holding it. */
export function resolvePublicKey(value: string): string {
  if (isZ85Key(value)) return value;
  if (!fs.existsSync(value)) throw new KeyFileError(value, 'neither 40 Z85 characters (a public key) nor an existing key file');
  return readPublicKey(value);
}
