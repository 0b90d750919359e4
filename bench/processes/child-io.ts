/**
 * The child side of the bench's process protocol: one JSON line per announcement on stdout,
 * errors on stderr, and exit as soon as the parent goes away (its end of stdin closes).
 */

export function announce(message: { type: string; [key: string]: unknown }): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** The value after `--name` in argv; exits with a message if it is missing. */
export function arg(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) fail(new Error(`missing --${name}`));
  return value;
}

export function intArg(name: string): number {
  const value = Number(arg(name));
  if (!Number.isInteger(value) || value <= 0) fail(new Error(`--${name} must be a positive integer`));
  return value;
}

export function fail(error: unknown): never {
  process.stderr.write(`${process.argv[1]}: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

/** Exit when the parent closes our stdin or sends SIGTERM/SIGINT, after `cleanup` (bounded). */
export function exitWithParent(cleanup: () => void | Promise<void>): void {
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 1000).unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.stdin.resume();
  process.stdin.once('end', exit);
  process.stdin.once('error', exit);
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}
