import { InvalidArgumentError, Option } from 'commander';
import { peerSecurityFrom, serverSecurityFrom, type SecurityFlags } from '../../reference/security/security-settings';

/** Option parsers and shutdown handling shared by the node commands (broker, worker, client, pub/sub). */

/** A parser that throws a plain Error, as commander wants it: its message shown as the option's error. */
export function cliParser<T>(parse: (value: string, previous?: T) => T): (value: string, previous?: T) => T {
  return (value, previous) => {
    try {
      return parse(value, previous);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** A regular expression given on the command line, checked here so a typo is an error before anything starts. */
export function regexOption(value: string): string {
  try {
    new RegExp(value);
  } catch (error) {
    throw new Error(`not a regular expression: ${(error as Error).message}`);
  }
  return value;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

export function endpoint(value: string): string {
  if (!/^(tcp|ipc|inproc):\/\/.+/.test(value)) throw new InvalidArgumentError(`expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got "${value}"`);
  return value;
}

export const heartbeatOption = (defaultMs: number) => new Option('--heartbeat <ms>', 'heartbeat interval in ms').argParser(positiveInt).default(defaultMs);
export const livenessOption = (defaultPeriods: number) =>
  new Option('--liveness <n>', 'heartbeat periods of silence before the peer is taken for dead').argParser(positiveInt).default(defaultPeriods);
export const exitWithStdinOption = () => new Option('--exit-with-stdin', 'exit when stdin closes (set by the harness, so a node never outlives it)');

/**
 * How long a graceful stop may take before the node exits anyway: a close that hangs (a socket that
 * never drains, a disk that never answers) must not leave a node its supervisor believes is stopping.
 * It stays under `docker stop`'s default 10 s, so a node that hangs here still exits by itself there.
 */
export const SHUTDOWN_BOUND_MS = 8_000;

/** EX_SOFTWARE, as a failed journal: the stop was not clean, so what the node promised must be re-read from disk. */
const UNCLEAN_SHUTDOWN_EXIT = 70;

/** Graceful stop on SIGTERM/SIGINT (and stdin's end when asked); the harness's kill fault uses SIGKILL and skips this on purpose. */
export function onShutdown(close: () => void | Promise<void>, exitWithStdin: boolean, boundMs = SHUTDOWN_BOUND_MS): void {
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    process.exit(await closeWithin(close, boundMs));
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  if (exitWithStdin) {
    process.stdin.resume();
    process.stdin.once('end', () => void shutdown());
    process.stdin.once('error', () => void shutdown());
  }
}

/** The security flags of the node commands (docs/security.md); each falls back to its environment variable. */
export const curveKeyOption = () => new Option('--curve-key <file>', "this node's own CURVE key pair, a .key_secret file (env KEELHAUL_CURVE_KEY): secure mode");
export const serverKeyOption = () => new Option('--server-key <key>', "the server's CURVE public key: 40 Z85 characters or a .key file (env KEELHAUL_SERVER_KEY)");
export const policyOption = () => new Option('--policy <file>', 'who may connect and do what, YAML or JSON; re-read on SIGHUP and when it changes (env KEELHAUL_POLICY)');

/** Exit status when the security flags, key files or policy file do not make a secure node. */
export const SECURITY_SETTINGS_EXIT = 2;

/** Reads the security flags (and their env fallbacks) or stops with the reason, before anything starts. */
function securityOrExit<T>(read: (flags: SecurityFlags) => T, flags: SecurityFlags): T {
  try {
    return read(flags);
  } catch (error) {
    process.stderr.write(`keelhaul: ${(error as Error).message}\n`);
    process.exit(SECURITY_SETTINGS_EXIT);
  }
}

/** A server node's (broker, pub/sub proxy) `--curve-key`/`--policy`, or their env fallbacks: its security, undefined, or exit 2. */
export function serverSecurityOrExit(opts: Pick<SecurityFlags, 'curveKey' | 'policy'>): ReturnType<typeof serverSecurityFrom> {
  return securityOrExit(serverSecurityFrom, { curveKey: opts.curveKey, policy: opts.policy });
}

/** A peer node's (worker, client, publisher, subscriber) `--curve-key`/`--server-key`, or their env fallbacks: its security, undefined, or exit 2. */
export function peerSecurityOrExit(opts: Pick<SecurityFlags, 'curveKey' | 'serverKey'>): ReturnType<typeof peerSecurityFrom> {
  return securityOrExit(peerSecurityFrom, { curveKey: opts.curveKey, serverKey: opts.serverKey });
}

/** Runs `close`, bounded by `boundMs`: 0 when it finished, else the unclean exit status with the reason on stderr. */
export async function closeWithin(close: () => void | Promise<void>, boundMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((resolve) => {
    // Not unref'd: a close whose handles are all gone but whose promise never settles must still end by the bound.
    timer = setTimeout(() => resolve(`graceful stop did not finish within ${boundMs} ms; exiting without it`), boundMs);
  });
  const closed = Promise.resolve()
    .then(close)
    .then(
      () => null,
      (error: unknown) => `graceful stop failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  try {
    const problem = await Promise.race([closed, bound]);
    if (problem === null) return 0;
    process.stderr.write(`${problem}\n`);
    return UNCLEAN_SHUTDOWN_EXIT;
  } finally {
    clearTimeout(timer);
  }
}
