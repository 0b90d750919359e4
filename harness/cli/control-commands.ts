import { Command, Option } from 'commander';
import type { MajordomoClient } from '../../reference/client';
import { DEFAULT_CLIENT_OPTIONS } from '../../reference/node-defaults';
import type { KillOutcome, WorkerControlOutcome } from '../../reference/mdp/control-codec';
import { createLogger } from '../../reference/util/log';
import { curveKeyOption, endpoint, peerSecurityOrExit, positiveInt, serverKeyOption } from './node-options';

/**
 * `keelhaul kill`, `inspect`, `drain` and `stop-worker`: an operator's KHC/1 requests to a broker
 * (docs/protocol.md, "Control"). main.ts calls registerControlCommands(program).
 */

/**
 * Exit status of the control commands: 0 the job was killed (or the worker answered ok, or the state
 * was printed), 3 the job had finished, 4 the broker does not know the job or worker, 5 the kill was
 * refused for this key, 1 no definite answer (unreachable, no KHC/1, attempts ran out), 2 bad flags
 * (SECURITY_SETTINGS_EXIT, commander's usage errors exit 1 as elsewhere).
 */
export const CONTROL_EXIT = { killed: 0, ok: 0, error: 1, finished: 3, unknown: 4, forbidden: 5 } as const;

const KILL_EXIT: Record<KillOutcome, number> = { killed: CONTROL_EXIT.killed, finished: CONTROL_EXIT.finished, unknown: CONTROL_EXIT.unknown, forbidden: CONTROL_EXIT.forbidden };
const WORKER_CONTROL_EXIT: Record<WorkerControlOutcome, number> = { ok: CONTROL_EXIT.ok, unknown: CONTROL_EXIT.unknown };

interface ControlFlags {
  broker: string;
  timeout: number;
  attempts: number;
  curveKey?: string;
  serverKey?: string;
}

/** The flags every control command shares: where the broker is, how long to wait, and secure mode. */
function controlCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(new Option('--broker <endpoint>', 'broker to ask').argParser(endpoint).default('tcp://127.0.0.1:5555'))
    .addOption(new Option('--timeout <ms>', 'answer timeout per attempt; the request goes again on a fresh socket after it').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.timeout))
    .addOption(new Option('--attempts <n>', 'attempts, the first included').argParser(positiveInt).default(DEFAULT_CLIENT_OPTIONS.attempts))
    .addOption(curveKeyOption())
    .addOption(serverKeyOption());
}

/** Runs one control request on a fresh client; prints its answer on stdout and exits with its status, or the error on stderr with 1. */
async function runControl<T>(name: string, opts: ControlFlags, ask: (client: MajordomoClient) => Promise<T>, exitFor: (answer: T) => number, print: (answer: T) => string): Promise<never> {
  const security = peerSecurityOrExit(opts);
  const { MajordomoClient } = await import('../../reference/client');
  const client = new MajordomoClient({ broker: opts.broker, timeout: opts.timeout, attempts: opts.attempts, checkService: false, security, logger: createLogger(name, process.env.LOG_LEVEL ?? 'warn') });
  try {
    const answer = await ask(client);
    process.stdout.write(`${print(answer)}\n`);
    process.exit(exitFor(answer));
  } catch (error) {
    process.stderr.write(`keelhaul ${name}: ${(error as Error).message}\n`);
    process.exit(CONTROL_EXIT.error);
  } finally {
    client.close();
  }
}

export function registerControlCommands(program: Command): void {
  controlCommand(program, 'kill', 'ask the broker to kill a job (KHC/1) and print the outcome. Exit: 0 killed, 3 finished (too late), 4 unknown job, 5 forbidden, 1 no definite answer')
    .argument('<job>', 'the job id the client submitted')
    .action((job: string, opts: ControlFlags) =>
      runControl('kill', opts, (client) => client.kill(job), (outcome) => KILL_EXIT[outcome], (outcome) => outcome),
    );

  controlCommand(program, 'inspect', "print the broker's state of a job, or (no job) its summary, as JSON (KHC/1). Exit: 0 printed, 1 no answer")
    .argument('[job]', 'a job id; none: services, workers, queues and pending kills')
    .action((job: string | undefined, opts: ControlFlags) =>
      runControl('inspect', opts, (client) => client.inspect(job), () => CONTROL_EXIT.ok, (state) => JSON.stringify(state, null, 2)),
    );

  controlCommand(program, 'drain', 'ask the broker to drain a worker: it finishes its job and takes no more (KHC/1). Exit: 0 ok, 4 unknown instance, 1 no answer')
    .argument('<instance>', "the worker's instance id (its 'ready' report and log name it)")
    .action((instance: string, opts: ControlFlags) =>
      runControl('drain', opts, (client) => client.drainWorker(instance), (outcome) => WORKER_CONTROL_EXIT[outcome], (outcome) => outcome),
    );

  controlCommand(program, 'stop-worker', 'ask the broker to stop a worker: it drains, disconnects and exits 0 (KHC/1). Exit: 0 ok, 4 unknown instance, 1 no answer')
    .argument('<instance>', "the worker's instance id (its 'ready' report and log name it)")
    .action((instance: string, opts: ControlFlags) =>
      runControl('stop-worker', opts, (client) => client.stopWorker(instance), (outcome) => WORKER_CONTROL_EXIT[outcome], (outcome) => outcome),
    );
}
