import { createInterface, type Interface } from 'node:readline';

/**
 * Reads a driver's stdin line by line until stdin closes or the driver is asked to stop (SIGTERM,
 * SIGINT): a graceful stop is the end of stdin, so the driver finishes what it was asked and exits
 * instead of dying with calls it never reported (docs/drivers.md, "Graceful stop").
 */
export function commandLines({ ignoreStop = false }: { ignoreStop?: boolean } = {}): Interface {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // ignoreStop: a seeded defect (reference/defects.ts), a driver that swallows the signal and runs on.
  const stop = (): void => {
    if (!ignoreStop) lines.close();
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
  lines.once('close', () => process.off('SIGTERM', stop).off('SIGINT', stop));
  return lines;
}

/**
 * Runs the commands a driver reads from stdin, one JSON line each, until stdin closes or a SIGTERM
 * comes. Each command starts as soon as it is read, so several may be in flight; a line that does
 * not parse is reported (`bad command …`) and skipped. Resolves once reading ended and every started
 * command has finished: `run` must settle on its own (each call or put is bounded by its timeout)
 * and not reject.
 */
export async function runStdinCommands<Command>(
  parse: (line: string) => Command,
  run: (command: Command) => Promise<void>,
  reportError: (error: string) => void,
  { ignoreStop = false }: { ignoreStop?: boolean } = {},
): Promise<void> {
  const pending = new Set<Promise<void>>();
  for await (const line of commandLines({ ignoreStop })) {
    if (line.trim() === '') continue;
    let command: Command;
    try {
      command = parse(line);
    } catch (error) {
      reportError(`bad command ${JSON.stringify(line.slice(0, 200))}: ${(error as Error).message}`);
      continue;
    }
    const running = run(command).finally(() => pending.delete(running));
    pending.add(running);
  }
  await Promise.all(pending);
}
