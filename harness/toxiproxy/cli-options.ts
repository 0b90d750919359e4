import { InvalidArgumentError } from 'commander';

/**
 * Parsers for the `keelhaul toxiproxy` options (harness/cli/main.ts), kept beside the server so the
 * CLI file only wires them up.
 */

/** A TCP port; 0 lets the system pick one. */
export function parsePortOption(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`expected a port number (0-65535), got "${value}"`);
  return port;
}

/** A seed as the real server takes it: any 64-bit signed integer (kept as text, so none is rounded). */
export function parseSeedOption(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer seed, got "${value}"`);
  const seed = BigInt(value);
  if (seed < -(2n ** 63n) || seed >= 2n ** 63n) throw new InvalidArgumentError(`expected a 64-bit integer seed, got "${value}"`);
  return seed.toString();
}

/** toxiproxy-server's flags that take a value (Go's flag package: `-host x`, `-host=x`, `--host x`). */
const VALUE_FLAGS = ['host', 'port', 'config', 'seed'];
/** Its boolean flags (`-proxy-metrics`, or `-proxy-metrics=true|false`). */
const BOOLEAN_FLAGS = ['version', 'proxy-metrics', 'runtime-metrics'];
const GO_FALSE = new Set(['false', '0', 'f', 'F', 'FALSE', 'False']);
const GO_TRUE = new Set(['true', '1', 't', 'T', 'TRUE', 'True']);

/**
 * The `keelhaul toxiproxy` arguments with toxiproxy-server's single-dash long flags (`-host`,
 * `-port`, `-config`, `-seed`, `-version`, `-proxy-metrics`, `-runtime-metrics`) rewritten to the
 * double-dash form commander parses, so a script written for toxiproxy-server runs unchanged.
 * Only those flags are touched: `-h` stays help, a flag's value is passed on as it is (Go's
 * `-host -port` sets the host to "-port" too), and nothing after `--` is.
 * Other commands' arguments are returned as they are.
 */
export function normaliseToxiproxyArgv(argv: readonly string[]): string[] {
  const command = argv.findIndex((arg, index) => index >= 2 && !arg.startsWith('-'));
  if (command < 0 || argv[command] !== 'toxiproxy') return [...argv];
  const out = argv.slice(0, command + 1);
  let takesValue = false;
  for (let index = command + 1; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') {
      out.push(...argv.slice(index));
      break;
    }
    if (takesValue) {
      out.push(arg);
      takesValue = false;
      continue;
    }
    const flag = /^-([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (flag === null) {
      out.push(arg);
      continue;
    }
    const [, name, value] = flag;
    if (VALUE_FLAGS.includes(name)) {
      if (value === undefined) {
        out.push(`--${name}`);
        takesValue = true;
      } else out.push(`--${name}=${value}`);
    } else if (BOOLEAN_FLAGS.includes(name) && (value === undefined || GO_TRUE.has(value))) out.push(`--${name}`);
    else if (BOOLEAN_FLAGS.includes(name) && GO_FALSE.has(value)) continue;
    else out.push(arg);
  }
  return out;
}
