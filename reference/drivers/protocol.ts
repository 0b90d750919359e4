/**
 * The driver protocol (docs/drivers.md): newline-delimited JSON between the harness and a node.
 * The harness writes commands to a client driver's stdin; every driver writes reports to stdout.
 * Logs never go to stdout.
 */

/** harness → client driver */
export interface CallCommand {
  type: 'call';
  job: string;
  service: string;
  payload?: string;
}

/** harness → client driver: ask the system to kill `job` (KHC/1), the id the harness called it with. */
export interface KillCommand {
  type: 'kill';
  job: string;
}

/** How the system answered a kill definitely. */
export type KillOutcome = 'killed' | 'finished' | 'unknown';

/** client driver → harness. A call that ended because its job was killed is a `fail` with `killed: true`. */
export type ClientReport =
  | { type: 'ok'; job: string; reply: string }
  | { type: 'fail'; job: string; error: string; killed?: true }
  | { type: 'info'; job: string; error: string; accepted?: boolean }
  | { type: 'kill-answer'; job: string; outcome: KillOutcome }
  | { type: 'kill-info'; job: string; error: string };

/** worker driver → harness. `exec-killed`: the handler was stopped before it committed. */
export type WorkerReport = { type: 'exec-start' | 'exec-end' | 'exec-killed'; job: string; worker: string };

/** any driver → harness */
export type LifecycleReport = { type: 'ready'; role: string; [detail: string]: unknown } | { type: 'error'; error: string };

export type DriverReport = ClientReport | WorkerReport | LifecycleReport;

/** Pipes are synchronous on Linux, so a report written here survives a SIGKILL that follows it. */
export function report(line: DriverReport): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function parseCallCommand(line: string): CallCommand {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new Error('a command must be a JSON object');
  const command = value as Record<string, unknown>;
  if (command.type !== 'call') throw new Error(`unknown command type ${JSON.stringify(command.type)} (expected "call")`);
  if (typeof command.job !== 'string' || command.job === '') throw new Error('"job" must be a non-empty string');
  if (typeof command.service !== 'string' || command.service === '') throw new Error('"service" must be a non-empty string');
  if (command.payload !== undefined && typeof command.payload !== 'string') throw new Error('"payload" must be a string');
  return { type: 'call', job: command.job, service: command.service, payload: command.payload as string | undefined };
}
