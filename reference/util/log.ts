import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Node logs are JSON lines on stderr: stdout is reserved for the driver protocol (docs/drivers.md),
 * and the harness keeps the two apart. Synchronous writes, so a node killed with SIGKILL has already
 * written every line it logged.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { node: name } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: for library users that did not ask for logs, and for benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
