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

/** The value after `--name` in argv, or undefined if `--name` is absent. */
export function optionalArg(name: string): string | undefined {
  return process.argv.includes(`--${name}`) ? arg(name) : undefined;
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

/**
 * Answers the parent's requests (BenchChild.request): a JSON line `{"type","id"}` on stdin gets the
 * announcement `{"type":"<type>:<id>", ...answer}`. Unknown types and unreadable lines are ignored.
 */
export function onRequest(answer: (type: string) => Record<string, unknown> | undefined): void {
  let pending = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      let request: { type?: unknown; id?: unknown };
      try {
        request = JSON.parse(line) as { type?: unknown; id?: unknown };
      } catch {
        continue;
      }
      if (typeof request.type !== 'string' || typeof request.id !== 'number') continue;
      const body = answer(request.type);
      if (body !== undefined) announce({ ...body, type: `${request.type}:${request.id}` });
    }
  });
}
