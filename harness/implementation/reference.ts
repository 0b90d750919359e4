import path from 'node:path';
import type { Implementation } from './implementation';
import type { Timing } from '../cluster/timing';

/** The compiled CLI; nodes are started through it exactly as a user would start them by hand. */
const CLI = path.resolve(__dirname, '../cli/main.js');

const node = (args: string[]) => ({ command: process.execPath, args: [CLI, ...args, '--exit-with-stdin'] });
/** A driver's stdin is its command channel; it exits when the harness closes it. */
const driver = (args: string[]) => ({ command: process.execPath, args: [CLI, ...args] });

/** Broker and worker must agree on heartbeats, so both take them from the same timing. */
const heartbeatArgs = (timing: Timing) => ['--heartbeat', String(timing.heartbeatInterval), '--liveness', String(timing.heartbeatLiveness)];

/** A reconnecting peer (worker, subscriber) retries soon after a heartbeat is missed, backing off to the clients' ceiling. */
const reconnectArgs = (timing: Timing) => ['--reconnect-initial', String(Math.max(1, Math.round(timing.heartbeatInterval / 2))), '--reconnect-max', String(timing.backoffMax)];

/** A client or publisher retries a call as the timing says. */
const retryArgs = (timing: Timing) => [
  '--timeout', String(timing.clientTimeout),
  '--attempts', String(timing.clientAttempts),
  '--backoff-initial', String(timing.backoffInitial),
  '--backoff-max', String(timing.backoffMax),
];

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
      ...reconnectArgs(timing),
    ]),
  }),
  client: ({ name, broker, timing }) => ({
    name,
    role: 'client',
    ...driver(['client', '--driver', '--name', name, '--broker', broker, ...retryArgs(timing)]),
  }),
  pubsubProxy: ({ name, bind, timing, stateDir, maxPending }) => ({
    name,
    role: 'pubsub-proxy',
    ...node(['pubsub-proxy', '--name', name, '--endpoint', bind, '--journal', path.join(stateDir, 'journal'), '--max-pending', String(maxPending), ...heartbeatArgs(timing)]),
  }),
  publisher: ({ name, proxy, timing }) => ({
    name,
    role: 'publisher',
    ...driver(['publish', '--driver', '--name', name, '--id', name, '--proxy', proxy, ...retryArgs(timing)]),
  }),
  subscriber: ({ name, proxy, timing, stateDir }) => ({
    name,
    role: 'subscriber',
    ...node(['subscribe', '--driver', '--name', name, '--id', name, '--proxy', proxy, '--positions', path.join(stateDir, 'positions'), ...heartbeatArgs(timing), ...reconnectArgs(timing)]),
  }),
};
