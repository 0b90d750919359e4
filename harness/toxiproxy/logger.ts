import pino, { type Logger } from 'pino';

export type { Logger };

/** Toxiproxy's LOG_LEVEL values (zerolog's) mapped onto pino's. */
const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
  disabled: 'silent',
  silent: 'silent',
};

/**
 * The fault proxy's logger: JSON lines on stdout, as the real server writes them (`level` as a word,
 * `time`, `message`), at the level named by LOG_LEVEL (default info). Synchronous, so the lines of a
 * server stopped by a signal are all written.
 */
export function createFaultProxyLogger(level = process.env.LOG_LEVEL, file?: string): Logger {
  return pino(
    {
      level: LEVELS[(level ?? 'info').toLowerCase()] ?? 'info',
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Embedded in the harness, the log goes to the scenario's folder instead of the runner's output.
    file ? pino.destination({ dest: file, sync: true, mkdir: true }) : pino.destination({ fd: 1, sync: true }),
  );
}
