/**
 * The driver protocol (docs/drivers.md): newline-delimited JSON between the harness and a node.
 * The harness writes commands to a client driver's stdin; every driver writes reports to stdout.
 * Logs never go to stdout.
 */

import type { OrphanKind } from '../late-reply-watch';

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

export type ClientCommand = CallCommand | KillCommand;

/** How the system answered a kill definitely. */
export type KillOutcome = 'killed' | 'finished' | 'unknown';

/** client driver → harness. A call that ended because its job was killed is a `fail` with `killed: true`. */
export type ClientReport =
  | { type: 'ok'; job: string; reply: string; term?: number; broker?: string }
  | { type: 'fail'; job: string; error: string; killed?: true; term?: number; broker?: string }
  | { type: 'info'; job: string; error: string; accepted?: boolean }
  | { type: 'kill-answer'; job: string; outcome: KillOutcome }
  | { type: 'kill-info'; job: string; error: string };

/**
 * client driver → harness, about one call's attempts (every class) and a best-effort call's end
 * (docs/drivers.md, "Classes of service"). `attempt` when attempt `n` (1-based) was sent; `attempt-fail`
 * when it ended without an answer, before any backoff; `sent` / `dropped`: a best-effort call is over.
 */
export type ClassReport =
  | { type: 'attempt'; job: string; n: number }
  | { type: 'attempt-fail'; job: string; n: number; reason: string }
  | { type: 'sent'; job: string; ms: number }
  | { type: 'dropped'; job: string; reason: string };

/** worker driver → harness. `exec-killed`: the handler was stopped before it committed. */
export type WorkerReport = { type: 'exec-start' | 'exec-end' | 'exec-killed'; job: string; worker: string; term?: number };

/**
 * client or worker driver → harness: a message the node dropped because nothing waited for it any more
 * (docs/drivers.md, "Orphans"); never an answer. The harness records it as the node's `orphan` event.
 */
export type OrphanReport = { type: 'orphan'; job: string; what: OrphanKind; detail: string };

/** any driver → harness */
export type LifecycleReport = { type: 'ready'; role: string; [detail: string]: unknown } | { type: 'error'; error: string };

/** A journaled node compacted its journal (the pub/sub proxy): what the live state came to. */
export interface JournalCompactedReport {
  type: 'journal-compacted';
  compactions: number;
  liveRecords: number;
  dedupEntries: number;
  dedupRetention: number;
}

export type DriverReport = ClientReport | ClassReport | WorkerReport | OrphanReport | LifecycleReport | JournalCompactedReport;

/** Pipes are synchronous on Linux, so a report written here survives a SIGKILL that follows it. */
export function report(line: DriverReport): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function parseCommandObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a command must be a JSON object');
  return value as Record<string, unknown>;
}

function nonEmptyJob(command: Record<string, unknown>): string {
  if (typeof command.job !== 'string' || command.job === '') throw new Error('"job" must be a non-empty string');
  return command.job;
}

function callFrom(command: Record<string, unknown>): CallCommand {
  const job = nonEmptyJob(command);
  if (typeof command.service !== 'string' || command.service === '') throw new Error('"service" must be a non-empty string');
  if (command.payload !== undefined && typeof command.payload !== 'string') throw new Error('"payload" must be a string');
  return { type: 'call', job, service: command.service, payload: command.payload as string | undefined };
}

export function parseCallCommand(line: string): CallCommand {
  const command = parseCommandObject(line);
  if (command.type !== 'call') throw new Error(`unknown command type ${JSON.stringify(command.type)} (expected "call")`);
  return callFrom(command);
}

/** A client driver's command: a call, or (KHC/1) a kill of a job the harness called. */
export function parseClientCommand(line: string): ClientCommand {
  const command = parseCommandObject(line);
  if (command.type === 'call') return callFrom(command);
  if (command.type !== 'kill') throw new Error(`unknown command type ${JSON.stringify(command.type)} (expected "call" or "kill")`);
  const job = nonEmptyJob(command);
  const extra = Object.keys(command).filter((key) => key !== 'type' && key !== 'job');
  if (extra.length > 0) throw new Error(`a kill takes only "type" and "job", not ${extra.map((key) => JSON.stringify(key)).join(', ')}`);
  return { type: 'kill', job };
}
