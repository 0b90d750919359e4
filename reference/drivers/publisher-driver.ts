import { Publisher, PutDefiniteFailure, type PublisherOptions } from '../pubsub/publisher';
import type { Logger } from '../util/log';
import { runStdinCommands } from './stdin-commands';

/**
 * The publisher driver (docs/drivers.md, "Pub/sub drivers"): puts read from stdin as JSON lines,
 * one outcome reported per put. All puts go through one Publisher, which keeps up to its window of
 * them in flight and has the proxy accept them in the order they were read (docs/protocol.md, KHP/1
 * publisher rule 2).
 */

export interface PutCommand {
  type: 'put';
  topic: string;
  msg: string;
  payload?: string;
}

export type PublisherReport =
  | { type: 'ready'; role: 'publisher'; publisher: string }
  | { type: 'put-ok'; topic: string; msg: string; seq: number; publisher: string }
  | { type: 'put-fail'; topic: string; msg: string; error: string; code: string }
  | { type: 'put-info'; topic: string; msg: string; error: string }
  | { type: 'error'; error: string };

/** Pipes are synchronous on Linux, so a report written here survives a SIGKILL that follows it. */
export function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function parsePutCommand(line: string): PutCommand {
  const command = parseObject(line);
  if (command.type !== 'put') throw new Error(`unknown command type ${JSON.stringify(command.type)} (expected "put")`);
  if (typeof command.topic !== 'string' || command.topic === '') throw new Error('"topic" must be a non-empty string');
  if (typeof command.msg !== 'string' || command.msg === '') throw new Error('"msg" must be a non-empty string');
  if (command.payload !== undefined && typeof command.payload !== 'string') throw new Error('"payload" must be a string');
  return { type: 'put', topic: command.topic, msg: command.msg, payload: command.payload as string | undefined };
}

export function parseObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a command must be a JSON object');
  return value as Record<string, unknown>;
}

export async function runPublisherDriver(options: PublisherOptions, log: Logger): Promise<void> {
  const publisher = new Publisher({ ...options, logger: log });
  const report = (line: PublisherReport): void => emit(line);

  const run = async (put: PutCommand): Promise<void> => {
    try {
      const result = await publisher.put(put.topic, put.payload ?? '', { msg: put.msg });
      report({ type: 'put-ok', topic: put.topic, msg: put.msg, seq: result.seq, publisher: publisher.id });
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof PutDefiniteFailure) report({ type: 'put-fail', topic: put.topic, msg: put.msg, error: message, code: error.code });
      else report({ type: 'put-info', topic: put.topic, msg: put.msg, error: message });
    }
  };

  report({ type: 'ready', role: 'publisher', publisher: publisher.id });
  // Returns once stdin closed and what was asked is finished (each put is bounded); then leave.
  await runStdinCommands(parsePutCommand, run, (error) => report({ type: 'error', error }));
  await publisher.close();
}
