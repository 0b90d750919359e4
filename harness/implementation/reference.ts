import path from 'node:path';
import type { Implementation } from './implementation';
import type { Timing } from '../cluster/timing';

/** The compiled CLI; nodes are started through it exactly as a user would start them by hand. */
const CLI = path.resolve(__dirname, '../cli/main.js');

const node = (args: string[]) => ({ command: process.execPath, args: [CLI, ...args, '--exit-with-stdin'] });

/** Broker and worker must agree on heartbeats, so both take them from the same timing. */
const heartbeatArgs = (timing: Timing) => ['--heartbeat', String(timing.heartbeatInterval), '--liveness', String(timing.heartbeatLiveness)];

export const referenceImplementation: Implementation = {
  name: 'reference',
  broker: ({ name, bind, timing, stateDir }) => ({
    name,
    role: 'broker',
    ...node([
      'broker',
      '--name', name,
      '--endpoint', bind,
      ...heartbeatArgs(timing),
      '--request-expiry', String(timing.requestExpiry),
      '--journal', path.join(stateDir, 'journal'),
      '--result-grace', String(timing.resultGrace),
    ]),
  }),
  worker: ({ name, broker, service, workMs, timing }) => ({
    name,
    role: 'worker',
    ...node([
      'worker',
      '--name', name,
      '--broker', broker,
      '--service', service,
      '--work-ms', String(workMs),
      ...heartbeatArgs(timing),
      '--reconnect-initial', String(Math.max(1, Math.round(timing.heartbeatInterval / 2))),
      '--reconnect-max', String(timing.backoffMax),
    ]),
  }),
  client: ({ name, broker, timing }) => ({
    name,
    role: 'client',
    command: process.execPath,
    // A client driver's stdin is its command channel; it exits when the harness closes it.
    args: [
      CLI,
      'client',
      '--driver',
      '--name', name,
      '--broker', broker,
      '--timeout', String(timing.clientTimeout),
      '--attempts', String(timing.clientAttempts),
      '--backoff-initial', String(timing.backoffInitial),
      '--backoff-max', String(timing.backoffMax),
    ],
  }),
};
