import { MajordomoClient, DefiniteFailure, IndefiniteFailure, KilledFailure, type ClientOptions } from '../client';
import { BestEffortSender } from '../best-effort-sender';
import { RetryBudget } from '../classes/retry-budget';
import { serviceClassOf } from '../classes/service-classes';
import { parseClientCommand, report, type CallCommand, type ClientCommand, type KillCommand } from './protocol';
import type { Logger } from '../util/log';
import { runStdinCommands } from './stdin-commands';

/**
 * Runs calls and kills read from stdin, each on its own idle MajordomoClient (one socket per
 * concurrent command), and reports each outcome. The request body is [job id, payload] and the job id
 * is sent as the KHX/1 job id too (when the broker speaks KHX/1); the reply's first frame names the job
 * the worker answered, so the harness can tell a stale reply from a right one.
 */
export async function runClientDriver(options: Pick<ClientOptions, 'broker'> & Partial<ClientOptions>, log: Logger): Promise<void> {
  const idle: MajordomoClient[] = [];
  // One retry budget for the whole process (gRPC A6): every call's failures and successes count in it.
  const retryBudget = options.retryBudget ?? (options.retryPolicy?.budget === undefined ? undefined : new RetryBudget(options.retryPolicy.budget));
  let bestEffort: BestEffortSender | undefined;

  const run = async (command: ClientCommand): Promise<void> => {
    if (command.type === 'call' && serviceClassOf(options.serviceClasses, command.service).kind === 'best-effort') {
      bestEffort ??= new BestEffortSender({ broker: options.broker, security: options.security });
      return runBestEffort(bestEffort, command);
    }
    const client = idle.pop() ?? new MajordomoClient({ ...options, retryBudget, logger: log, onOrphan: (orphan) => report({ type: 'orphan', ...orphan }), onAttempt: (event) => report(event) });
    try {
      await (command.type === 'kill' ? runKill(client, command) : runCall(client, command));
    } finally {
      idle.push(client);
    }
  };

  report({ type: 'ready', role: 'client' });
  // Returns once stdin closed and what was asked is finished (each call is bounded); then leave.
  await runStdinCommands(parseClientCommand, run, (error) => report({ type: 'error', error }), { ignoreStop: options.defects?.includes('ignore-graceful-stop') });
  for (const client of idle) client.close();
  bestEffort?.close();
}

/** A best-effort call: one non-blocking send, never an answer awaited; `sent` or `dropped` ends it (never `ok`). */
async function runBestEffort(sender: BestEffortSender, call: CallCommand): Promise<void> {
  const outcome = await sender.send(call.service, [Buffer.from(call.job), Buffer.from(call.payload ?? '')]);
  if (!outcome.sent) return report({ type: 'dropped', job: call.job, reason: outcome.reason });
  report({ type: 'attempt', job: call.job, n: 1 });
  report({ type: 'sent', job: call.job, ms: Math.round(outcome.ms * 1000) / 1000 });
}

/** One call and its one outcome report; a job killed on request (409) is a definite `fail` marked `killed`. */
async function runCall(client: MajordomoClient, call: CallCommand): Promise<void> {
  try {
    // The harness's job id is also the KHX/1 job id, so a KHX/1 broker runs each call once.
    const reply = await client.request(call.service, [Buffer.from(call.job), Buffer.from(call.payload ?? '')], { job: call.job });
    report({ type: 'ok', job: call.job, reply: reply[0]?.toString() ?? '', ...client.lastStamp });
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof DefiniteFailure) report({ type: 'fail', job: call.job, error: message, ...(error instanceof KilledFailure ? { killed: true } : {}), ...client.lastStamp });
    else report({ type: 'info', job: call.job, error: message, ...(error instanceof IndefiniteFailure && error.accepted ? { accepted: true } : {}) });
  }
}

/**
 * KHC/1: one kill and its one report, the broker's definite answer about the job or, failing one within
 * the bound, kill-info. A refused kill (`forbidden`) says nothing about the job, so it is kill-info too.
 */
async function runKill(client: MajordomoClient, command: KillCommand): Promise<void> {
  try {
    const outcome = await client.kill(command.job);
    if (outcome === 'forbidden') report({ type: 'kill-info', job: command.job, error: `the broker refused to kill job ${command.job} (forbidden): nothing was done` });
    else report({ type: 'kill-answer', job: command.job, outcome });
  } catch (error) {
    report({ type: 'kill-info', job: command.job, error: (error as Error).message });
  }
}
