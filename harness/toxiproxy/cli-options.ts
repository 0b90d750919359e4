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
