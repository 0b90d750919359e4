import { createInterface } from 'node:readline';

/**
 * Runs the commands a driver reads from stdin, one JSON line each, until stdin closes. Each command
 * starts as soon as it is read, so several may be in flight; a line that does not parse is reported
 * (`bad command …`) and skipped. Resolves once stdin has closed and every started command has
 * finished: `run` must settle on its own (each call or put is bounded by its timeout) and not reject.
 */
export async function runStdinCommands<Command>(
  parse: (line: string) => Command,
  run: (command: Command) => Promise<void>,
  reportError: (error: string) => void,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
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
